/**
 * The simulator in a real browser: the lecture-half-close preset draws the lecture's nine
 * half-close segments (seeds/003), seq and ack as printed, in the ladder; by hand, dropping the
 * SYN shows it lost and then retransmitted (RFC 6298: after the initial RTO); clicking a segment
 * opens it in the field tree; play advances virtual time; the pcapng export opens in tshark without
 * warnings. Screenshots go to test/out/screenshots/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { decodeCapture } from '../../src/capture/decoder.js';
import { open, REPO, screenshot, SHOTS, skipReason, type Session } from './browser.js';
import { lectureHalfClose, matchInOrder, parseLecture, type LectureSegment } from './lecture.js';

const SEEDS = join(REPO, '..', 'shared', 'seeds');
const skip = skipReason() ?? false;

/** The ladder's rows as lecture segments: direction from the row's side, fields from its label. */
async function ladderRows(page: Page): Promise<(LectureSegment & { lost: boolean; note: string })[]> {
  const rows = await page.locator('.sim-view .l-row').evaluateAll((gs) =>
    gs.map((g) => ({
      left: g.classList.contains('a'),
      lost: g.classList.contains('lost'),
      label: g.querySelector('.l-label')?.firstChild?.textContent ?? '',
      note: g.querySelector('.l-note')?.textContent?.trim() ?? '',
    })),
  );
  return rows.map((r) => ({ ...parseLecture(r.label, r.left ? 'A' : 'B', r.left ? 'B' : 'A'), lost: r.lost, note: r.note }));
}

async function act(page: Page, name: string): Promise<void> {
  await page.locator(`.sim-view button[data-act="${name}"]`).click();
}

describe('simulator', { skip }, () => {
  let s: Session;
  before(async () => {
    s = await open({});
    await s.page.locator('.tab[data-view="sim"]').click();
    await s.page.locator('.sim-view').waitFor();
  });
  after(async () => {
    await s?.close();
  });

  it("lecture-half-close draws the lecture's nine half-close segments, seq and ack as printed", { skip: existsSync(SEEDS) ? false : 'no seeds' }, async () => {
    const { page } = s;
    assert.equal(await page.locator('.sim-view select.preset').inputValue(), 'lecture-half-close');
    await page.locator('.sim-view button.to-end').click();
    const rows = await ladderRows(page);
    const lecture = lectureHalfClose(SEEDS);
    assert.equal(lecture.length, 9);
    const at = matchInOrder(lecture, rows);
    assert.ok(Array.isArray(at), String(at));
    assert.deepEqual(at, at.map((_, i) => (at[0] as number) + i), 'the nine follow each other');
    assert.equal(at[8], rows.length - 1, 'and end the exchange');
    assert.equal(await page.locator('.sim-view .l-caption text').textContent(), "the lecture's trace");
    assert.equal(await page.locator('.host-a .hstate').innerText(), 'CLOSED', 'after TIME-WAIT');
    await page.locator('.sim-view .l-row').nth(at[0] as number).scrollIntoViewIfNeeded();
    await screenshot(page, 'simulator-lecture-half-close');
  });

  it('opens a segment of the ladder in the field tree and hex panes', async () => {
    const { page } = s;
    await page.locator('.sim-view .l-row').nth(0).locator('.l-hit').click();
    const tree = await page.locator('.sim-view .tree').innerText();
    assert.match(tree, /Sequence Number = 66 \(0x42\)/);
    assert.match(tree, /\.\.\.\.\.\.\.1\. = Synchronize sequence numbers/);
    assert.ok((await page.locator('.sim-view .hx span').count()) >= 40);
  });

  it('by hand: dropping the SYN shows it lost, then retransmitted after the initial RTO', async () => {
    const { page } = s;
    await page.locator('.sim-view select.preset').selectOption('manual');
    assert.equal(await page.locator('.host-b .hstate').innerText(), 'LISTEN');
    await act(page, 'drop-A');
    assert.match(await page.locator('.sim-view .pending').innerText(), /1 for A → B/);
    await act(page, 'connect-A');
    assert.equal(await page.locator('.host-a .hstate').innerText(), 'SYN-SENT');
    for (let i = 0; i < 4; i++) await page.locator('.sim-view button.step').click();
    const rows = await ladderRows(page);
    assert.equal(rows.length, 4);
    const [first, second] = rows;
    assert.ok(first !== undefined && second !== undefined);
    assert.ok(first.syn && first.lost, 'the first SYN is lost');
    assert.ok(second.syn && !second.lost && second.note === 'retransmission');
    assert.equal(second.seq, first.seq);
    assert.equal(await page.locator('.sim-view .l-row').nth(1).locator('.l-time').textContent(), '1000.000 ms');
    assert.equal(await page.locator('.host-a .hstate').innerText(), 'ESTABLISHED');
    await screenshot(page, 'simulator-dropped-syn');
  });

  it('by hand: send, half-close, and play on virtual time', async () => {
    const { page } = s;
    await page.locator('.host-a input.num-in').fill('1200');
    await act(page, 'send-A');
    await act(page, 'shutdown-A');
    const before = (await ladderRows(page)).length;
    await page.locator('.sim-view select[aria-label="speed"]').selectOption('1');
    const clock0 = await page.locator('.sim-clock').textContent();
    await page.locator('.sim-view button.play').click();
    // The data with the FIN, B's ACK; then nothing is due (B in CLOSE-WAIT) and play stops by itself.
    await page.waitForFunction((n) => document.querySelectorAll('.sim-view .l-row').length >= n + 2, before, { timeout: 10_000 });
    await page.locator('.sim-view button.play', { hasText: 'Play' }).waitFor({ timeout: 10_000 });
    assert.notEqual(await page.locator('.sim-clock').textContent(), clock0);
    assert.equal(await page.locator('.host-b .hstate').innerText(), 'CLOSE-WAIT');
    const rows = await ladderRows(page);
    assert.ok(rows.some((r) => r.from === 'A' && r.bytes === 1200));
    assert.ok(rows.some((r) => r.from === 'A' && r.fin));
    await page.locator('.sim-view button.to-end').click();
    assert.match(await page.locator('.host-b dl').innerText(), /read\s+1200/);
    await page.locator('.theme-toggle').click();
    await screenshot(page, 'simulator-by-hand-dark');
    await page.locator('.theme-toggle').click();
  });

  it('exports the exchange as a pcapng that tshark opens without warnings', async () => {
    const { page } = s;
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('.sim-view button.export').click()]);
    const path = join(SHOTS, '..', 'simulator-export.pcapng');
    await download.saveAs(path);
    const bytes = new Uint8Array(readFileSync(path));
    const c = decodeCapture(bytes);
    assert.equal(c.error, undefined);
    assert.equal(c.records.length, await page.locator('.sim-view .l-row').count());
    assert.deepEqual(c.records[0]?.comments, ['A -> B (lost)']);
    if (spawnSync('tshark', ['--version']).status === 0) {
      const r = spawnSync('tshark', ['-r', path], { encoding: 'utf8' });
      assert.equal(r.status, 0);
      assert.deepEqual(
        r.stderr.split('\n').filter((l) => l !== '' && !l.includes('Running as user "root"')),
        [],
      );
      assert.equal(r.stdout.trim().split('\n').length, c.records.length);
    }
  });

  it('by hand with ECN: an ECN-setup handshake, the link marks CE, the receiver echoes ECE and the sender answers CWR', async () => {
    const { page } = s;
    await page.locator('.sim-view select.preset').selectOption('manual');
    await page.locator('.sim-view input.ecn').check(); // resets: both hosts ask for ECN
    await page.locator('.sim-view input[aria-label="CE mark percent"]').fill('100');
    await page.locator('.sim-view input[aria-label="CE mark percent"]').dispatchEvent('change');
    await act(page, 'connect-A');
    for (let i = 0; i < 3; i++) await page.locator('.sim-view button.step').click();
    await page.locator('.host-a input.num-in').fill('3000');
    await act(page, 'send-A');
    await page.locator('.sim-view button.to-end').click();
    const rows = await page.locator('.sim-view .l-row').evaluateAll((gs) =>
      gs.map((g) => ({
        fromA: g.classList.contains('a'),
        label: g.querySelector('.l-label')?.firstChild?.textContent ?? '',
        note: g.querySelector('.l-note')?.textContent ?? '',
      })),
    );
    const syn = rows[0];
    assert.ok(syn !== undefined && syn.fromA && /SYN/.test(syn.label) && /ECE/.test(syn.label) && /CWR/.test(syn.label), `ECN-setup SYN: ${syn?.label}`);
    assert.ok(/SYN/.test(rows[1]?.label ?? '') && /ECE/.test(rows[1]?.label ?? '') && !/CWR/.test(rows[1]?.label ?? ''), `ECN-setup SYN-ACK: ${rows[1]?.label}`);
    assert.ok(rows.some((r) => r.fromA && /marked CE/.test(r.note)), "the link marked A's data");
    assert.ok(rows.some((r) => !r.fromA && /ECE/.test(r.label) && !/SYN/.test(r.label)), 'B echoed it');
    assert.ok(rows.some((r) => r.fromA && /CWR/.test(r.label) && !/SYN/.test(r.label)), 'A answered with CWR');
    await screenshot(page, 'simulator-ecn');
    await page.locator('.sim-view input.ecn').uncheck();
  });

  it('had no errors in the page', () => {
    assert.deepEqual(s.errors, []);
  });
});
