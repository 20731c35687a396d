/**
 * The ladder diagrams' catalogue (src/analyze/i18n/ladder*.ts) and the display width helpers
 * (i18n/width.ts). The truth:
 * - every message id has a template in all four languages (a missing translation fails here as
 *   well as at compile time), and each renders without placeholders, with its numbers as given;
 * - the anomaly names of the German, Swedish and Japanese marks are the words `synack explain`
 *   prints for the same kinds (rendered through explain's own catalogue);
 * - display widths as Python's unicodedata.east_asian_width gives them (W and F take two columns);
 * - the locale environment's precedence as POSIX defines it (LC_ALL, LC_MESSAGES, LANG; empty
 *   values count as unset).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ANOMALY_KINDS } from '../../src/analyze/anomalies.js';
import { langFromEnv, LANGS, type Lang, MESSAGE_IDS, render } from '../../src/analyze/i18n/index.js';
import { type CaptureBasis, LADDER_IDS, LADDER_LANGUAGES, LADDER_MESSAGES, type LadderId, type LadderMessage, type LadderParams, markLabel, renderLadderMessage } from '../../src/analyze/i18n/ladder.js';
import { charWidth, clipToWidth, displayWidth, padEndToWidth, padStartToWidth, wrapToWidth } from '../../src/analyze/i18n/width.js';

const hasPython = spawnSync('python3', ['-c', 'import unicodedata'], { encoding: 'utf8' }).status === 0;

const BASES: readonly CaptureBasis[] = [
  { kind: 'ttl', point: 'client', own: 128, other: 63 },
  { kind: 'ttl', point: 'server', own: 64, other: 57 },
  { kind: 'timing', toSynAck: 0.0001, toAck: 0.7084 },
  { kind: 'unclear', toSynAck: 0.000025, toAck: 0.000012, ttlClient: 64, ttlServer: null },
  { kind: 'none' },
];

/** Sample parameters for every ladder message, covering the branches inside the templates. */
const SAMPLES: { readonly [K in LadderId]: readonly LadderParams[K][] } = {
  title: [
    { id: 0, client: '131.107.2.214:1037', server: '131.107.2.211:139', first: 1, last: 3, relative: false },
    { id: 17, client: '[2001:db8::1]:40001', server: '[2001:db8::2]:5201', first: 40, last: 912, relative: true },
  ],
  'host.client': [{}],
  'host.server': [{}],
  'caption.at': BASES.flatMap((basis) => (['client', 'server'] as const).map((point) => ({ point, basis }))),
  'caption.unknown': BASES.map((basis) => ({ basis })),
  'phase.open': [{}],
  'phase.data': [{}],
  'phase.close': [{}],
  legend: [{}],
  mark: ANOMALY_KINDS.flatMap((kind) => [
    { kind, suspected: false },
    { kind, suspected: true },
  ]),
  'head.frame': [{}],
  'head.time': [{}],
  'head.state': [{}],
  omitted: [
    { omitted: 1, kept: 5000 },
    { omitted: 2713, kept: 5000 },
  ],
  'row.title': [
    { frame: 1, time: '0.000', unit: 'ms', from: 'client', to: 'server', label: 'SYN seq=8221822', marks: [], note: null },
    { frame: 206, time: '1234.567', unit: 'ms', from: 'server', to: 'client', label: 'ACK seq=1 ack=2 len=376', marks: ['out-of-order?', 'dup ACK'], note: 'duplicated by the link' },
  ],
  'ui.drawFailed': [{}],
  'fate.lost': [{}],
  'fate.corrupted': [{}],
  'fate.duplicated': [{}],
  'fate.tooBig': [{}],
  'fate.queueFull': [{}],
  'fate.closed': [{}],
  'fate.reordered': [{}],
};

function samples(): LadderMessage[] {
  const out: LadderMessage[] = [];
  for (const id of LADDER_IDS) for (const params of SAMPLES[id]) out.push({ id, params } as LadderMessage);
  return out;
}

/**
 * Messages that may read the same as in English, and why: the unit symbol "ms" is the SI symbol in
 * German and Swedish; "server" is the Swedish word (the seed article's "servern" is its definite
 * form); Swedish says "keep-alive" (sv.ts) as English does.
 */
function mayEqualEnglish(lang: Lang, m: LadderMessage): boolean {
  if (m.id === 'head.time') return lang === 'de' || lang === 'sv';
  if (m.id === 'host.server') return lang === 'sv';
  if (m.id === 'mark') return lang === 'sv' && m.params.kind === 'keepAlive';
  return false;
}

describe('ladder catalogue', () => {
  test('every ladder message id has a template in every language, and no language has extra ones', () => {
    for (const lang of LANGS) {
      const t = LADDER_LANGUAGES[lang] as unknown as Record<string, unknown>;
      for (const id of LADDER_IDS) assert.equal(typeof t[id], 'function', `${lang} lacks ${id}`);
      assert.deepEqual(Object.keys(t).sort(), [...LADDER_IDS].sort(), `${lang} has templates for unknown ids`);
    }
    for (const id of LADDER_IDS) for (const lang of LANGS) assert.equal(typeof LADDER_MESSAGES[id][lang], 'function', `LADDER_MESSAGES.${id}.${lang}`);
  });

  test("explain's catalogue is untouched: its 65 ids, none shared with the ladder's", () => {
    assert.equal(MESSAGE_IDS.length, 65);
    for (const id of LADDER_IDS) assert.ok(!(MESSAGE_IDS as readonly string[]).includes(id), id);
  });

  test('every message has samples', () => {
    for (const id of LADDER_IDS) assert.ok(SAMPLES[id].length > 0, `no sample for ${id}`);
  });

  test('no output contains a placeholder, an undefined value or stray whitespace', () => {
    for (const m of samples()) {
      for (const lang of LANGS) {
        const text = renderLadderMessage(lang, m);
        assert.ok(text.length > 0, `${lang} ${m.id}: empty`);
        for (const bad of ['undefined', 'NaN', 'null', '[object', '${', '{', '}', 'Infinity', '()']) {
          assert.ok(!text.includes(bad), `${lang} ${m.id}: '${bad}' in: ${text}`);
        }
        assert.equal(text, text.trim(), `${lang} ${m.id}: stray whitespace`);
        assert.ok(!/ {2}/u.test(text), `${lang} ${m.id}: double space in: ${text}`);
        assert.ok(!text.includes('\n'), `${lang} ${m.id}: a line break (the renderers wrap)`);
      }
    }
  });

  test('numbers of the parameters appear as they are, in every language', () => {
    for (const m of samples()) {
      const p = m.params as Readonly<Record<string, unknown>>;
      for (const lang of LANGS) {
        const text = renderLadderMessage(lang, m);
        for (const key of ['id', 'first', 'last', 'frame', 'omitted', 'kept']) {
          const v = p[key];
          if (typeof v === 'number') assert.ok(text.includes(String(v)), `${lang} ${m.id}: ${key}=${v} missing in: ${text}`);
        }
        for (const key of ['client', 'server', 'label', 'time']) {
          const v = p[key];
          if (typeof v === 'string') assert.ok(text.includes(v), `${lang} ${m.id}: ${key} '${v}' missing in: ${text}`);
        }
        if (Array.isArray(p.marks)) for (const k of p.marks) assert.ok(text.includes(String(k)), `${lang} ${m.id}: mark ${String(k)} missing`);
        const b = p.basis as CaptureBasis | undefined;
        if (b?.kind === 'ttl') {
          assert.ok(text.includes(`(${b.own})`) && text.includes(String(b.other)), `${lang} ${m.id}: TTLs missing in: ${text}`);
          assert.ok(text.includes('TTL'), `${lang} ${m.id}`);
        }
        if (b?.kind === 'timing' || b?.kind === 'unclear') {
          // Milliseconds with three decimals, the decimal comma in German and Swedish sentences.
          const sep = lang === 'de' || lang === 'sv' ? ',' : '.';
          for (const s of [b.toSynAck, b.toAck]) {
            const want = (s * 1000).toFixed(3).replace('.', sep);
            assert.ok(text.includes(want), `${lang} ${m.id}: ${want} missing in: ${text}`);
          }
        }
      }
    }
  });

  test('each language is its own: no template gives the English text (but for the listed words)', () => {
    for (const m of samples()) {
      const en = renderLadderMessage('en', m);
      for (const lang of ['de', 'sv', 'ja'] as const) {
        if (mayEqualEnglish(lang, m)) continue;
        assert.notEqual(renderLadderMessage(lang, m), en, `${lang} ${m.id} is English`);
      }
    }
  });

  test('a suspected mark ends in "?", a certain one does not, in every language', () => {
    for (const lang of LANGS) {
      for (const kind of ANOMALY_KINDS) {
        assert.equal(markLabel(lang, kind, true), `${markLabel(lang, kind, false)}?`);
        assert.ok(!markLabel(lang, kind, false).endsWith('?'));
      }
    }
  });

  test("German, Swedish and Japanese marks use explain's words for each anomaly kind", () => {
    for (const lang of ['de', 'sv', 'ja'] as const) {
      for (const kind of ANOMALY_KINDS) {
        // explain's summary of a connection with one anomaly of this kind names it in the singular.
        const sentence = render(lang, { id: 'sum.anomalies', params: { counts: [{ kind, count: 1, suspected: 0 }] } });
        const word = markLabel(lang, kind);
        assert.ok(sentence.includes(word), `${lang} ${kind}: explain says «${sentence}», the ladder «${word}»`);
      }
    }
  });

  test('Japanese sentences of the ladder are polite (です/ます), as explain and the seed article are', () => {
    for (const m of samples()) {
      const text = renderLadderMessage('ja', m);
      if (!text.includes('。')) continue;
      for (const sentence of text.split('。').slice(0, -1)) {
        assert.match(sentence.trim(), /(です|ます|ません|でした|ました)[)）]?( \([^()]*\))?$/u, `ja ${m.id}: not polite: 「${sentence}」 in ${text}`);
      }
    }
  });
});

describe('display width', () => {
  /** Every character the catalogues print (explain's and the ladder's), as an independent check's input. */
  function catalogueChars(): string[] {
    const set = new Set<string>();
    for (const m of samples()) for (const lang of LANGS) for (const c of renderLadderMessage(lang, m)) set.add(c);
    for (const lang of LANGS) for (const id of MESSAGE_IDS) for (const c of id) set.add(c);
    return [...set].sort();
  }

  test('East Asian wide and fullwidth characters take two columns, as Python’s unicodedata says', { skip: hasPython ? false : 'python3 is not installed' }, () => {
    const chars = [...catalogueChars(), 'あ', 'ア', '漢', '、', '。', '（', '）', '！', '？', '「', '」', '가', 'ｱ', '－', 'a', 'é', 'ß', 'å', '–', '—', '…', '→', '×', 'µ', '„', '“', '”'];
    const script = 'import sys, json, unicodedata\nprint(json.dumps([2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in json.load(sys.stdin)]))';
    const r = spawnSync('python3', ['-c', script], { input: JSON.stringify(chars), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const want = JSON.parse(r.stdout) as number[];
    chars.forEach((c, i) => assert.equal(charWidth(c), want[i], `U+${(c.codePointAt(0) ?? 0).toString(16)} ${c}`));
  });

  test('clip, pad and wrap keep to the width in columns', () => {
    const ja = 'キャプチャはサーバー側で取得されました (ハンドシェイクの時間: SYN から SYN-ACK まで 0.100 ミリ秒)。';
    assert.equal(displayWidth('フレーム'), 8);
    assert.equal(displayWidth('frame'), 5);
    for (let w = 1; w <= 40; w++) {
      const c = clipToWidth(ja, w);
      assert.ok(displayWidth(c) <= w, `clip ${w}: ${c}`);
      if (displayWidth(ja) > w && w > 2) assert.ok(c.endsWith('…'));
      assert.equal(displayWidth(padStartToWidth('状態', w)), Math.max(w, 4));
      assert.equal(displayWidth(padEndToWidth('状態', w)), Math.max(w, 4));
    }
    for (const w of [2, 3, 5, 10, 17, 40]) {
      const lines = wrapToWidth(`${ja} ${ja}`, w);
      for (const l of lines) assert.ok(displayWidth(l) <= w, `wrap ${w}: ${l}`);
      // Nothing lost but the spaces at the breaks; no line starts with closing punctuation when the
      // closers and the character before them fit on a line (")。" after a kanji: 5 columns).
      assert.equal(lines.join('').replace(/ /gu, ''), `${ja}${ja}`.replace(/ /gu, ''));
      if (w >= 5) for (const l of lines) assert.ok(!/^[、。)]/u.test(l), `wrap ${w}: line starts with a closer: ${l}`);
    }
    // Latin text breaks at spaces only.
    assert.deepEqual(wrapToWidth('seq: sequence number, ack: acknowledgment number', 20), ['seq: sequence', 'number, ack:', 'acknowledgment', 'number']);
  });
});

describe('language from the locale environment', () => {
  test('LC_ALL outranks LC_MESSAGES outranks LANG; empty counts as unset; unknown is English', () => {
    assert.equal(langFromEnv({ LANG: 'de_DE.UTF-8' }), 'de');
    assert.equal(langFromEnv({ LANG: 'de_DE.UTF-8', LC_MESSAGES: 'sv_SE.UTF-8' }), 'sv');
    assert.equal(langFromEnv({ LANG: 'de_DE.UTF-8', LC_MESSAGES: 'sv_SE.UTF-8', LC_ALL: 'ja_JP.UTF-8' }), 'ja');
    assert.equal(langFromEnv({ LANG: 'sv_SE.UTF-8', LC_ALL: '' }), 'sv');
    assert.equal(langFromEnv({ LANG: 'C' }), 'en');
    assert.equal(langFromEnv({ LANG: 'fr_FR.UTF-8' }), 'en');
    assert.equal(langFromEnv({}), 'en');
  });
});
