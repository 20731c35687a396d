/**
 * The capture viewer in a real browser (Debian's chromium through playwright-core), served by
 * `synack ui`'s server. Truth: the seed capture's numbers (tshark reads frame 1 as seq 8221822,
 * MSS 1460, TCP checksum 0xf213; frames 4-7 are tcp.stream 1), the capture layer's own error
 * messages for files that are not captures, and the display filter's agreement with tshark
 * (test/analyze/filter.test.ts). Screenshots of every view go to test/out/screenshots/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { decodeCapture } from '../../src/capture/decoder.js';
import { PcapWriter } from '../../src/capture/pcap.js';
import { open, REPO, screenshot, skipReason, type Session } from './browser.js';

const SEED = join(REPO, 'test/fixtures/kb172983.pcap');
const SEED_NG = join(REPO, 'test/fixtures/capture/kb172983.pcapng');
const skip = skipReason() ?? false;

const rows = (page: Page) => page.locator('.frow:not([hidden])');
const treeText = (page: Page): Promise<string> => page.locator('.tree').innerText();
const highlighted = (page: Page): Promise<string[]> => page.locator('.hx span.hl').allInnerTexts();

async function waitFrames(page: Page, n: number): Promise<void> {
  await page.waitForFunction((k) => document.querySelector('.statusbar')?.textContent?.includes(`${k.toLocaleString('en')} frames`) === true, n, { timeout: 20_000 });
}

describe('capture viewer', { skip }, () => {
  let s: Session;
  before(async () => {
    s = await open({ file: SEED });
    await waitFrames(s.page, 7);
  });
  after(async () => {
    await s?.close();
  });

  it('opens the file given to synack ui: 7 rows, frame 1 selected', async () => {
    const { page } = s;
    assert.equal(await rows(page).count(), 7);
    assert.deepEqual(await page.locator('.frow .c-no').allInnerTexts(), ['1', '2', '3', '4', '5', '6', '7']);
    assert.equal(await page.locator('.frow.sel .c-no').innerText(), '1');
    await screenshot(page, 'capture-kb172983-light');
  });

  it("shows frame 1's tree: Sequence Number 8221822 (0x7D747E) and MSS 1460", async () => {
    const text = await treeText(s.page);
    assert.match(text, /Sequence Number = 8221822 \(0x7D747E\)/);
    assert.match(text, /Option Kind \(Maximum Segment Size\)[\s\S]*Option Value = 1460 \(0x5B4\)/);
    assert.match(text, /Source Port = 1037/);
    assert.match(text, /Destination Port = 139/);
  });

  it('selecting the TCP checksum highlights bytes F2 13; clicking a byte selects its field', async () => {
    const { page } = s;
    await page.locator('.tnode[data-layer="tcp"]', { has: page.locator('.tname', { hasText: /^Checksum$/ }) }).locator('.tlabel').click();
    assert.deepEqual(await highlighted(page), ['F2', '13']);
    assert.deepEqual(await page.locator('.as span.hl').count(), 2);
    await screenshot(page, 'capture-checksum-selected');
    // Byte 0x22 is the first byte of the TCP header: the source port.
    await page.locator('.hx span[data-o="34"]').click();
    assert.equal(await page.locator('.tnode.sel .tname').innerText(), 'Source Port');
    assert.deepEqual(await highlighted(page), ['04', '0D']);
    // Byte 0x0E is the IPv4 version/IHL byte: Version and Header Length share it; the first wins.
    await page.locator('.hx span[data-o="14"]').click();
    assert.equal(await page.locator('.tnode.sel').getAttribute('data-layer'), 'ipv4');
    assert.equal(await page.locator('.tnode.sel .tname').innerText(), 'Version');
  });

  it('moves through frames with the arrow keys', async () => {
    const { page } = s;
    await rows(page).nth(0).click();
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.locator('.frow.sel .c-no').innerText(), '2');
    assert.match(await treeText(page), /Sequence Number = 1109645 \(0x10EE8D\)/);
    await page.keyboard.press('End');
    assert.equal(await page.locator('.frow.sel .c-no').innerText(), '7');
    await page.keyboard.press('ArrowUp');
    assert.equal(await page.locator('.frow.sel .c-no').innerText(), '6');
    await page.keyboard.press('Home');
    assert.equal(await page.locator('.frow.sel .c-no').innerText(), '1');
  });

  it('applies display filters, and shows the error of one that does not parse', async () => {
    const { page } = s;
    const box = page.locator('.filter-input');
    await box.fill('tcp.flags.syn == 1');
    await box.press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('.frow:not([hidden])').length === 2);
    assert.deepEqual(await page.locator('.frow:not([hidden]) .c-no').allInnerTexts(), ['1', '2']);
    await box.fill('conn == 1');
    await box.press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('.frow:not([hidden])').length === 4);
    assert.deepEqual(await page.locator('.frow:not([hidden]) .c-no').allInnerTexts(), ['4', '5', '6', '7']);
    await box.fill('tcp.port == 139 &&');
    await box.press('Enter');
    const msg = page.locator('.filter-msg');
    await msg.getByText("expected a field, a protocol, '!' or '(' after '&&'").waitFor();
    assert.match(await msg.innerText(), /at column 19/);
    assert.equal(await box.getAttribute('class'), 'filter-input invalid');
    assert.equal(await rows(page).count(), 4, 'a bad filter leaves the list as it was');
    await screenshot(page, 'capture-filter-error');
    await box.fill('tcp.prot == 139');
    await box.press('Enter');
    await msg.getByText("'tcp.prot' is not a field or protocol I know; did you mean tcp.port?").waitFor();
    await page.locator('button', { hasText: 'Clear' }).click();
    await page.waitForFunction(() => document.querySelectorAll('.frow:not([hidden])').length === 7);
    assert.equal(await msg.innerText(), '');
  });

  it('switches to the dark theme and back', async () => {
    const { page } = s;
    await page.locator('.theme-toggle').click();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    await rows(page).nth(1).click();
    await screenshot(page, 'capture-kb172983-dark');
    await page.locator('.theme-toggle').click();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
  });

  it('opens a dropped pcapng', async () => {
    const { page } = s;
    const bytes = [...readFileSync(SEED_NG)];
    await page.evaluate((b) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(b)], 'dropped.pcapng'));
      document.body.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true }));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, bytes);
    await page.waitForFunction(() => document.querySelector('.statusbar')?.textContent?.includes('dropped.pcapng') === true);
    assert.equal(await rows(page).count(), 7);
    assert.match(await page.locator('.statusbar').innerText(), /pcapng/);
  });

  it('shows the capture layer\'s message for a JPEG and for an empty file', async () => {
    const { page } = s;
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xd9]);
    const jpegMessage = decodeCapture(jpeg).error?.message ?? '';
    assert.ok(jpegMessage.length > 0);
    await page.setInputFiles('input[type=file]', { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(jpeg) });
    const card = page.locator('.error-card');
    await card.waitFor();
    assert.equal(await card.locator('h2').innerText(), 'Not a capture file');
    assert.equal(await card.locator('.error-text').innerText(), jpegMessage);
    assert.match(await card.innerText(), /looks like a JPEG image/);
    assert.equal(await rows(page).count(), 0);
    await screenshot(page, 'capture-not-a-capture-jpeg');

    const emptyMessage = decodeCapture(new Uint8Array(0)).error?.message ?? '';
    await page.setInputFiles('input[type=file]', { name: 'empty.pcap', mimeType: 'application/octet-stream', buffer: Buffer.alloc(0) });
    await card.locator('.file-name', { hasText: 'empty.pcap' }).waitFor();
    assert.equal(await card.locator('h2').innerText(), 'Empty file');
    assert.equal(await card.locator('.error-text').innerText(), emptyMessage);
    await screenshot(page, 'capture-empty-file');
  });

  it('keeps the frames before the damage of a cut file, with a warning', async () => {
    const { page } = s;
    const seed = readFileSync(SEED);
    const cut = seed.subarray(0, seed.length - 20);
    const want = decodeCapture(new Uint8Array(cut));
    await page.setInputFiles('input[type=file]', { name: 'cut.pcap', mimeType: 'application/octet-stream', buffer: cut });
    await waitFrames(page, want.records.length);
    assert.equal(await rows(page).count(), want.records.length);
    assert.equal(await page.locator('.banner.warn').innerText(), `Showing the ${want.records.length} frames before the damage. ${want.error?.message ?? ''}`);
  });

  it('had no errors in the page', () => {
    assert.deepEqual(s.errors, []);
  });
});

describe('capture viewer with a million frames', { skip }, () => {
  let s: Session;
  const N = 1_000_000;
  let path: string;
  before(async () => {
    // One 60-byte frame (the seed's SYN) a million times, timestamps 1 ms apart.
    const frame = decodeCapture(new Uint8Array(readFileSync(SEED))).records[0]?.data as Uint8Array;
    const w = new PcapWriter({ linkType: 1 });
    const parts: Uint8Array[] = [w.header()];
    for (let i = 0; i < N; i++) parts.push(w.packet({ tsSec: 1_700_000_000 + Math.floor(i / 1000), tsNsec: (i % 1000) * 1_000_000, data: frame }));
    const dir = join(REPO, 'test/out/tmp');
    mkdirSync(dir, { recursive: true });
    path = join(dir, 'million.pcap');
    writeFileSync(path, Buffer.concat(parts));
    s = await open({});
  });
  after(async () => {
    await s?.close();
    rmSync(path, { force: true });
  });

  it('renders only the rows on screen, and reaches the last frame', async () => {
    const { page } = s;
    await screenshot(page, 'welcome');
    // The welcome card's example is the seed capture, shipped with the page.
    await page.locator('.welcome button', { hasText: 'KB 172983' }).click();
    await waitFrames(page, 7);
    assert.equal(await page.locator('.frow.sel .c-no').innerText(), '1');
    await page.setInputFiles('input[type=file]', path);
    await waitFrames(page, N);
    const inDom = await page.locator('.frow').count();
    assert.ok(inDom < 60, `${inDom} row elements for ${N} frames`);
    await page.locator('.flist-viewport').focus();
    await page.keyboard.press('End');
    assert.equal(await page.locator('.frow.sel .c-no').innerText(), String(N));
    assert.equal(await page.locator('.frow.sel .c-time').innerText(), '999.999000');
    await page.keyboard.press('PageUp');
    const after = Number(await page.locator('.frow.sel .c-no').innerText());
    assert.ok(after < N && after > N - 40, `PageUp went to ${after}`);
    // Scroll to the middle: the rows shown are around frame 500,000.
    await page.locator('.flist-viewport').evaluate((el) => {
      el.scrollTop = (el.scrollHeight - el.clientHeight) / 2;
    });
    await page.waitForTimeout(100);
    const first = Number(await rows(page).nth(0).locator('.c-no').innerText());
    assert.ok(Math.abs(first - N / 2) < 100, `middle shows frame ${first}`);
    assert.ok((await page.locator('.frow').count()) < 60);
    await screenshot(page, 'capture-million-frames');
    const status = await page.locator('.statusbar').innerText();
    const ms = /indexed in (\d+) ms/.exec(status)?.[1];
    process.stdout.write(`# 1,000,000 frames indexed in the page in ${ms ?? '?'} ms\n`);
    await page.locator('.filter-input').fill('frame.number >= 999990');
    const t0 = Date.now();
    await page.locator('.filter-input').press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('.frow:not([hidden])').length === 11, undefined, { timeout: 60_000 });
    process.stdout.write(`# filter over 1,000,000 frames: ${Date.now() - t0} ms\n`);
    assert.deepEqual(s.errors, []);
  });
});
