/**
 * The connections view's ladder follows the language switch of the explanation, in a real browser,
 * on the seed capture. The truth: the seed articles' words for client, server and frame (KB 172983
 * in German, Swedish and Japanese, seeds/000-002: "Client"/"Server"/"Rahmen", "klienten"/"servern"/
 * "ramen", "クライアント"/"サーバー"/"フレーム") and the seed's numbers (frame 2: SYN-ACK seq 1109645
 * ack 8221823), which stay as they are in every language. Switching redraws the same segments in
 * place: the selected frame stays selected.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { open, REPO, screenshot, skipReason, type Session } from './browser.js';

const SEED = join(REPO, 'test/fixtures/kb172983.pcap');
const skip = skipReason() ?? false;

describe('connections view: the ladder in the chosen language', { skip }, () => {
  let s: Session;
  before(async () => {
    s = await open({ file: SEED });
    await s.page.locator('.frow').first().waitFor();
    await s.page.locator('.tab[data-view="conns"]').click();
    await s.page.locator('.conns-table tbody tr').first().waitFor();
    await s.page.locator('.conns-view .cladder g.segment').first().waitFor();
  });
  after(async () => {
    await s?.close();
  });

  const WORDS = {
    en: { hosts: ['client', 'server'], title: /^Frame 2, 0\.100 ms: server → client, SYN,ACK seq=1109645 ack=8221823$/u },
    de: { hosts: ['Client', 'Server'], title: /^Rahmen 2, 0\.100 ms: Server → Client, SYN,ACK seq=1109645 ack=8221823$/u },
    sv: { hosts: ['klient', 'server'], title: /^Ram 2, 0\.100 ms: server → klient, SYN,ACK seq=1109645 ack=8221823$/u },
    ja: { hosts: ['クライアント', 'サーバー'], title: /^フレーム 2、0\.100 ミリ秒: サーバー → クライアント、SYN,ACK seq=1109645 ack=8221823$/u },
  } as const;

  it('redraws the ladder in each language, the segments and the selection kept', async () => {
    const { page } = s;
    const sel = page.locator('.conns-view select.lang');
    await page.locator('.conns-view g.segment[data-frame="2"]').click();
    assert.deepEqual(await page.locator('.conns-view g.segment.sel').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-frame'))), ['2']);
    for (const lang of ['de', 'sv', 'ja', 'en'] as const) {
      await sel.selectOption(lang);
      const ladder = page.locator('.conns-view .cladder');
      assert.equal(await ladder.getAttribute('lang'), lang);
      assert.deepEqual(await ladder.locator('text.host').allTextContents(), [...WORDS[lang].hosts], lang);
      const title = (await ladder.locator('g.segment[data-frame="2"] title').textContent()) ?? '';
      assert.match(title, WORDS[lang].title, lang);
      // Protocol tokens and numbers as tcpdump prints them, in every language.
      assert.deepEqual(await ladder.locator('g.segment text.label').allTextContents(), ['SYN seq=8221822', 'SYN,ACK seq=1109645 ack=8221823', 'ACK seq=8221823 ack=1109646'], lang);
      assert.deepEqual(await ladder.locator('g.segment.sel').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-frame'))), ['2'], lang);
      if (lang === 'ja') await screenshot(page, 'connections-ladder-ja');
    }
  });

  it('draws the next connection chosen in the language chosen', async () => {
    const { page } = s;
    await page.locator('.conns-view select.lang').selectOption('de');
    await page.locator('.conns-table tbody tr').nth(1).click();
    const ladder = page.locator('.conns-view .cladder');
    await ladder.locator('g.segment[data-frame="4"]').waitFor();
    // seeds/000: frames 4-7 are "Beenden einer Verbindung".
    assert.match((await ladder.locator('text.phase').allTextContents()).join(' '), /Beenden der Verbindung/u);
    assert.match((await ladder.locator('text.title').textContent()) ?? '', /^Verbindung 1: Client 192\.94\.222\.123:2337, Server 192\.94\.222\.87:1352, Rahmen 4–7$/u);
    await page.locator('.conns-view select.lang').selectOption('en');
    assert.match((await ladder.locator('text.title').textContent()) ?? '', /^Connection 1: client 192\.94\.222\.123:2337/u);
  });

  it('had no errors in the page', () => {
    assert.deepEqual(s.errors, []);
  });
});
