/**
 * The connections view in a real browser, on the seed capture: tshark counts two TCP streams
 * (frames 1-3 and 4-7); the first is the article's handshake (SYN seq 8221822, SYN-ACK seq 1109645
 * ack 8221823, ACK ack 1109646), which the ladder must draw in the lecture's notation. Hovering an
 * arrow highlights its frame; the explanation switches language; "filter these frames" shows the
 * connection in the capture view.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { open, REPO, screenshot, skipReason, type Session } from './browser.js';

const SEED = join(REPO, 'test/fixtures/kb172983.pcap');
const skip = skipReason() ?? false;

describe('connections view', { skip }, () => {
  let s: Session;
  before(async () => {
    s = await open({ file: SEED });
    await s.page.locator('.frow').first().waitFor();
    await s.page.locator('.tab[data-view="conns"]').click();
    await s.page.locator('.conns-table tbody tr').first().waitFor();
  });
  after(async () => {
    await s?.close();
  });

  it('lists the two TCP connections with their endpoints', async () => {
    const { page } = s;
    const rows = page.locator('.conns-table tbody tr');
    assert.equal(await rows.count(), 2);
    assert.deepEqual(await rows.nth(0).locator('td.mono').allInnerTexts(), ['131.107.2.214:1037', '131.107.2.211:139', 'ShA']);
    assert.deepEqual((await rows.nth(1).locator('td.mono').allInnerTexts()).slice(0, 2), ['192.94.222.123:2337', '192.94.222.87:1352']);
    assert.equal(await page.locator('.conns-note').innerText(), '2 TCP connections.');
  });

  it("draws the first connection's ladder in the lecture's notation", async () => {
    const { page } = s;
    const labels = await page.locator('.conns-view .l-label').evaluateAll((ts) => ts.map((t) => t.firstChild?.textContent ?? ''));
    assert.deepEqual(labels, ['SYN, seq=8221822', 'ACK, ack=8221823, SYN, seq=1109645', 'ACK, ack=1109646, seq=8221823']);
    const sides = await page.locator('.conns-view .l-row').evaluateAll((gs) => gs.map((g) => (g.classList.contains('a') ? 'client' : 'server')));
    assert.deepEqual(sides, ['client', 'server', 'client']);
    await screenshot(page, 'connections-kb172983');
  });

  it('hovering an arrow highlights its frame', async () => {
    const { page } = s;
    await page.locator('.conns-view .l-row').nth(1).locator('.l-hit').hover();
    assert.equal(await page.locator('.conns-view .frow.mark .c-no').innerText(), '2');
    assert.equal(await page.locator('.conns-view .frow.sel .c-no').innerText(), '2');
    await page.locator('.conns-view .l-row').nth(2).locator('.l-hit').hover();
    assert.equal(await page.locator('.conns-view .frow.mark .c-no').innerText(), '3');
  });

  it('explains the connection in English, German, Swedish and Japanese', async () => {
    const { page } = s;
    const facts = page.locator('.conns-view .facts');
    const sel = page.locator('.conns-view select.lang');
    await sel.selectOption('en');
    assert.match(await facts.innerText(), /Three-way handshake: SYN in frame 1, SYN-ACK in frame 2, ACK in frame 3; initial round-trip time 708\.5 ms\./);
    await sel.selectOption('de');
    assert.match(await facts.innerText(), /Dreiwege-Handshake: SYN in Rahmen 1, SYN-ACK in Rahmen 2, ACK in Rahmen 3/);
    await sel.selectOption('sv');
    assert.match(await facts.innerText(), /Trevägshandskakning: SYN i ram 1/);
    await sel.selectOption('ja');
    assert.match(await facts.innerText(), /3ウェイ・ハンドシェイク: SYN はフレーム 1/);
    await screenshot(page, 'connections-ja');
    await sel.selectOption('en');
  });

  it('choosing the second connection redraws; "filter these frames" shows it in the capture view', async () => {
    const { page } = s;
    await page.locator('.conns-table tbody tr').nth(1).click();
    const labels = await page.locator('.conns-view .l-label').evaluateAll((ts) => ts.map((t) => t.firstChild?.textContent ?? ''));
    assert.equal(labels.length, 4);
    assert.equal(labels[0], 'ACK, ack=3462835714, FIN, seq=186685100');
    await page.locator('.conns-view button', { hasText: 'Filter these frames' }).click();
    await page.waitForFunction(() => document.querySelectorAll('.capture-view .frow:not([hidden])').length === 4);
    assert.equal(await page.locator('.filter-input').inputValue(), 'conn == 1');
    assert.deepEqual(await page.locator('.capture-view .frow:not([hidden]) .c-no').allInnerTexts(), ['4', '5', '6', '7']);
  });

  it('had no errors in the page', () => {
    assert.deepEqual(s.errors, []);
  });
});
