/**
 * Ladder diagrams in English, German, Swedish and Japanese (ladderFromConnection's `lang`,
 * `synack ladder --lang`). The truth:
 * - the seed articles (KB 172983 in German, Swedish and Japanese, seeds/000-002): the words they
 *   use for the connection, client, server, frame, the three-way handshake, the acknowledgment and
 *   sequence numbers and the termination, quoted verbatim below (and checked against the seed files
 *   when they are at hand), must be the words of our diagrams of the seed's own capture;
 * - the tracker's reason for the capture point (`capture.reason`, in English `capture.basis`): English captions give it
 *   verbatim, so reading it back into numbers loses nothing;
 * - display widths as Python's unicodedata.east_asian_width gives them (W and F take two columns),
 *   for the renderer's width invariant;
 * - protocol tokens are what tcpdump prints in every locale: the arrows are the same in every
 *   language;
 * - an independent XML parser (Python's xml.etree) for the SVG, and chromium's layout (getBBox)
 *   for whether its Japanese text stays inside the drawing.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureBasisText, type ConnectionRecord, trackConnections } from '../../src/analyze/conns.js';
import { LANGS, type Lang } from '../../src/analyze/i18n/index.js';
import { ladderFromConnection, renderLadderText } from '../../src/analyze/ladder.js';
import { renderLadderSvg } from '../../src/analyze/ladder-svg.js';
import { decodeCapture } from '../../src/capture/decoder.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** The seed vector (../shared/vectors), or its copy among the fixtures where the shared folder is not at hand. */
const SHARED_KB = join(REPO, '../shared/vectors/kb172983.pcap');
const KB = existsSync(SHARED_KB) ? SHARED_KB : join(FIXTURES, 'kb172983.pcap');
const SEEDS = join(REPO, '../shared/seeds');
const LOSS = join(FIXTURES, 'conns/loss-client.pcap');
const HALF = join(FIXTURES, 'kernel/ipv6-half-close.pcap');
const CLI = fileURLToPath(new URL('../../src/cli/ladder.ts', import.meta.url));
const CHROMIUM = process.env.SYNACK_CHROMIUM ?? '/usr/bin/chromium';
const hasPython = spawnSync('python3', ['-c', 'import unicodedata, xml.etree.ElementTree'], { encoding: 'utf8' }).status === 0;
const needPython = hasPython ? false : 'python3 is not installed';

function conns(file: string, keepFrames: boolean | number = true): ConnectionRecord[] {
  const { records, error } = decodeCapture(new Uint8Array(readFileSync(file)));
  assert.equal(error, undefined);
  return trackConnections(records, { keepFrames });
}

/** Every capture among the fixtures. */
function allFixtures(): string[] {
  const out: string[] = [];
  for (const d of ['', 'conns', 'kernel', 'capture']) {
    for (const f of readdirSync(join(FIXTURES, d))) if (/\.pcap(ng)?$/u.test(f)) out.push(join(FIXTURES, d, f));
  }
  return out;
}

/** Display columns of each line, by Python's unicodedata (W and F count two). */
function pythonColumns(lines: readonly string[]): number[] {
  const script = 'import sys, json, unicodedata\nprint(json.dumps([sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in l) for l in json.load(sys.stdin)]))';
  const r = spawnSync('python3', ['-c', script], { input: JSON.stringify(lines), encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as number[];
}

/**
 * Sentences of the seed articles, verbatim (seeds/000 German, 001 Swedish, 002 Japanese), and the
 * words of each that our diagrams of the seed's capture must use.
 */
const SEED: Readonly<Record<Exclude<Lang, 'en'>, { readonly file: string; readonly quotes: readonly string[]; readonly words: readonly string[] }>> = {
  de: {
    file: '000_',
    quotes: [
      'beschreibt den Prozess des TCP-Dreiwege-Handshakes, der zwischen einem Client und einem Server beim Herstellen oder Beenden einer TCP-Verbindung stattfindet.',
      'Der Server sendet eine Bestätigungsnummer (8221823) an den Client.',
      'Rahmen 1:',
      'müssen der Client und der Server ihre Sequenznummern gegenseitig synchronisieren',
    ],
    words: ['Verbindung', 'Client', 'Server', 'Rahmen', 'Dreiwege-Handshake', 'Bestätigungsnummer', 'Sequenznummer', 'Beenden'],
  },
  sv: {
    file: '001_',
    quotes: [
      'Den beskriver processen för TCP-trevägshandskakning mellan en klient och server när du startar eller avslutar en TCP-anslutning.',
      'Servern skickar ett bekräftelsenummer (8221823) till klienten.',
      'Som du ser i den första ramen skickar klienten NTW3 ett SYN-segment (TCP ....S.).',
      'Om du vill starta en anslutning måste klienten och servern synkronisera varandras sekvensnummer.',
      'Avsluta en anslutning',
    ],
    words: ['anslutning', 'klient', 'server', 'ram', 'trevägshandskakning', 'bekräftelsenummer', 'sekvensnummer', 'avsluta'],
  },
  ja: {
    file: '002_',
    quotes: [
      'TCP 接続を開始または終了するときのクライアントとサーバーの間の TCP 3 方向ハンドシェイクのプロセスについて説明します。',
      'サーバーは、受信確認番号 (8221823) をクライアントに送信します。',
      'フレーム 1:',
      '接続を開始するには、クライアントとサーバーが互いのシーケンス番号を同期する必要があります。',
      '接続の終了',
    ],
    words: ['接続', 'クライアント', 'サーバー', 'フレーム', '3 方向ハンドシェイク', '受信確認番号', 'シーケンス番号', '接続の終了'],
  },
};

/** English phrases of the ladder that must not be left in another language's diagram. */
const ENGLISH = ['Connection ', 'Captured at', 'Capture point', 'client ', 'frames ', 'sequence number', 'three-way', 'terminating', 'data transfer', 'times are', 'arrows '];

const ARROW = /\|(--|<-|X|\s).*(->|--|X|\s)\|/u;

describe('ladder model in every language', () => {
  test("the capture point's reason comes with its numbers for every fixture; its English text is capture.basis, which the English caption gives verbatim", () => {
    const kinds = new Set<string>();
    for (const file of allFixtures()) {
      for (const c of conns(file, false)) {
        const b = c.capture.reason;
        assert.equal(captureBasisText(b), c.capture.basis, `${file} conn ${c.id}`);
        kinds.add(b.kind);
        if (!c.capture.basis.includes('-1')) assert.ok(ladderFromConnection(c).caption.includes(`(${c.capture.basis})`), `${file} conn ${c.id}`);
      }
    }
    // The fixtures reach every reason the tracker gives (conns.ts capturePoint).
    assert.deepEqual([...kinds].sort(), ['none', 'timing', 'ttl', 'unclear']);
    // The seed's numbers (seeds/000: frames at 2.0785, 2.0786, 2.787 s; TTL 0x80 one way, 0x3F the other).
    const [c0, c1] = conns(KB);
    assert.ok(c0 !== undefined && c1 !== undefined);
    const t = c0.capture.reason;
    assert.equal(t.kind, 'timing');
    if (t.kind === 'timing') {
      assert.ok(Math.abs(t.toSynAck - (2.0786 - 2.0785)) < 1e-9);
      assert.ok(Math.abs(t.toAck - (2.787 - 2.0786)) < 1e-9);
    }
    assert.deepEqual(c1.capture.reason, { kind: 'ttl', point: 'client', own: 0x80, other: 0x3f });
  });

  test('the rows, marks and arrows are the same in every language; only the words change', () => {
    for (const file of [KB, LOSS, HALF]) {
      for (const c of conns(file)) {
        const en = ladderFromConnection(c);
        const enArrows = renderLadderText(en).filter((l) => ARROW.test(l)).map((l) => l.slice(l.indexOf('|')));
        for (const lang of LANGS) {
          const m = ladderFromConnection(c, { lang, relative: lang === 'sv' });
          assert.equal(m.lang, lang);
          assert.equal(m.rows.length, en.rows.length);
          const base = lang === 'sv' ? ladderFromConnection(c, { relative: true }) : en;
          assert.deepEqual(
            m.rows.map((r) => [r.frame, r.from, r.label, r.timeText, r.marks.map((k) => [k.kind, k.suspected])]),
            base.rows.map((r) => [r.frame, r.from, r.label, r.timeText, r.marks.map((k) => [k.kind, k.suspected])]),
          );
          if (lang === 'sv') continue;
          // Without a width the arrows are as wide as the labels need: the same in every language.
          const arrows = renderLadderText(m).filter((l) => ARROW.test(l)).map((l) => l.slice(l.indexOf('|')));
          assert.deepEqual(arrows.map((a) => a.replace(/ {2}! .*$/u, '')), enArrows.map((a) => a.replace(/ {2}! .*$/u, '')), `${file} ${lang}`);
        }
      }
    }
  });

  test('phase rules follow the seed article: the handshake before frame 1, the termination before frame 4', () => {
    const words: Record<Lang, [string, string]> = {
      en: ['three-way handshake', 'terminating the connection'],
      de: ['Dreiwege-Handshake', 'Beenden der Verbindung'],
      sv: ['trevägshandskakning', 'avsluta anslutningen'],
      ja: ['3 方向ハンドシェイク', '接続の終了'],
    };
    for (const lang of LANGS) {
      const [c0, c1] = conns(KB).map((c) => ladderFromConnection(c, { lang }));
      assert.deepEqual(c0?.rows.map((r) => r.caption), [words[lang][0], undefined, undefined], lang);
      // Frames 4-7: a FIN first (seeds/000, "Beenden einer Verbindung", frames 4-7).
      assert.deepEqual(c1?.rows.map((r) => r.caption), [words[lang][1], undefined, undefined, undefined], lang);
    }
    // loss-client: data begins at frame 4 (tshark: frame 4 is the first with tcp.len > 0).
    const [loss] = conns(LOSS).map((c) => ladderFromConnection(c, { lang: 'de' }));
    assert.equal(loss?.rows.find((r) => r.caption === 'Datenübertragung')?.frame, 4);
  });
});

describe('ladder text: the width invariant in every language', { skip: needPython }, () => {
  for (const lang of LANGS) {
    test(`${lang}: every line fits its width in display columns (Python's count), one arrow per segment, marks on flagged frames`, () => {
      const lines: string[] = [];
      const widths: number[] = [];
      for (const file of [KB, LOSS, HALF]) {
        // keepFrames 6 on the long capture: the note on omitted segments is drawn too.
        for (const c of [...conns(file), ...(file === LOSS ? conns(file, 6) : [])]) {
          const m = ladderFromConnection(c, { lang });
          for (const width of [40, 50, 64, 80, 100, 160]) {
            const out = renderLadderText(m, { width });
            lines.push(...out);
            widths.push(...out.map(() => width));
            const arrows = out.filter((l) => ARROW.test(l) && /^\s*\d+ /u.test(l));
            assert.deepEqual(arrows.map((l) => Number(l.trim().split(/\s+/u)[0])), m.rows.map((r) => r.frame), `${lang} ${width}`);
            const marked: number[] = [];
            out.forEach((l, i) => {
              if (!/^\s*!|\s! /u.test(l)) return;
              const arrowLine = ARROW.test(l) ? l : (out[i - 1] ?? '');
              marked.push(Number(arrowLine.trim().split(/\s+/u)[0]));
            });
            assert.deepEqual(marked, (c.frames ?? []).filter((f) => f.anomalies.length > 0).map((f) => f.frame), `${lang} ${width}`);
          }
        }
      }
      const cols = pythonColumns(lines);
      lines.forEach((l, i) => assert.ok((cols[i] ?? 0) <= (widths[i] ?? 0), `${cols[i]} > ${widths[i]}: ${l}`));
      if (lang === 'ja') assert.ok(cols.some((c, i) => c !== (lines[i] ?? '').length), 'Japanese lines have wide characters');
    });
  }
});

describe('synack ladder --lang (CLI)', () => {
  function ladder(args: readonly string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
    const code = `import(${JSON.stringify(CLI)}).then((m) => m.main(${JSON.stringify(args)})).then((c) => { process.exitCode = c; }, (e) => { console.error(e.message); process.exitCode = e.code === 'ERR_SYNACK_USAGE' ? 64 : 1; })`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, LANG: 'C', LC_ALL: '', LC_MESSAGES: '', ...env } });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  test('the quoted seed sentences are verbatim from the seed articles', { skip: existsSync(SEEDS) ? false : 'the seed articles are not at hand' }, () => {
    for (const { file, quotes } of Object.values(SEED)) {
      const name = readdirSync(SEEDS).find((f) => f.startsWith(file));
      assert.ok(name !== undefined, file);
      const text = readFileSync(join(SEEDS, name), 'utf8');
      for (const q of quotes) assert.ok(text.includes(q), `${name}: ${q}`);
    }
  });

  for (const lang of ['de', 'sv', 'ja'] as const) {
    test(`--lang ${lang} on the seed vector uses the seed article's words, and no English`, () => {
      const r = ladder([KB, '--lang', lang, '--width', '100']);
      assert.equal(r.status, 0, r.stderr);
      const quoted = SEED[lang].quotes.join(' ').toLowerCase();
      for (const w of SEED[lang].words) {
        assert.ok(quoted.includes(w.toLowerCase()), `${lang}: '${w}' is not the seed's word`);
        assert.ok(r.stdout.toLowerCase().includes(w.toLowerCase()), `${lang}: '${w}' missing in:\n${r.stdout}`);
      }
      for (const e of ENGLISH) assert.ok(!r.stdout.includes(e), `${lang}: English '${e}' in:\n${r.stdout}`);
      // The protocol tokens and numbers as tcpdump prints them (tshark: frame 2 is SYN,ACK seq 1109645 ack 8221823).
      assert.match(r.stdout, /\|<-+ SYN,ACK seq=1109645 ack=8221823 --\|/u);
      // The legend once, for the first diagram.
      const legendWord = { de: 'Bestätigungsnummer', sv: 'bekräftelsenummer', ja: '受信確認番号' }[lang];
      assert.equal(r.stdout.split(legendWord).length - 1, 1, `${lang}: the legend once`);
    });
  }

  test('the English diagram has none of those words; LANG picks the language without --lang; --lang beats LANG', () => {
    const en = ladder([KB, '--width', '100']);
    assert.equal(en.status, 0, en.stderr);
    for (const w of ['Verbindung', 'Rahmen', 'anslutning', 'trevägshandskakning', 'クライアント']) assert.ok(!en.stdout.includes(w), w);
    assert.match(en.stdout, /Connection 0: client 131\.107\.2\.214:1037/u);
    const de = ladder([KB, '--width', '100'], { LANG: 'de_DE.UTF-8' });
    assert.match(de.stdout, /^Verbindung 0: Client 131\.107\.2\.214:1037, Server 131\.107\.2\.211:139, Rahmen 1–3$/mu);
    const ja = ladder([KB, '--width', '100', '--lang', 'ja'], { LANG: 'de_DE.UTF-8' });
    assert.match(ja.stdout, /^接続 0: クライアント 131\.107\.2\.214:1037/mu);
  });

  test('--lang with a language we do not have is a usage error; --help names --lang', () => {
    const bad = ladder([KB, '--lang', 'fr']);
    assert.equal(bad.status, 64);
    assert.match(bad.stderr, /--lang wants one of en, de, sv, ja, got 'fr'/u);
    const help = ladder(['--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--lang L/u);
  });

  test('--svg --lang ja: well-formed, xml:lang ja, Japanese headings and hover titles', { skip: needPython }, () => {
    const r = ladder([KB, '--svg', '-', '--lang', 'ja']);
    assert.equal(r.status, 0, r.stderr);
    const script = [
      'import sys, json, xml.etree.ElementTree as ET',
      'root = ET.fromstring(sys.stdin.read().encode("utf-8"))',
      'L = "{http://www.w3.org/XML/1998/namespace}lang"',
      'print(json.dumps([{"tag": e.tag.split("}")[-1], "cls": e.get("class", ""), "lang": e.get(L), "text": "".join(e.itertext())} for e in root.iter()]))',
    ].join('\n');
    const p = spawnSync('python3', ['-c', script], { input: r.stdout, encoding: 'utf8' });
    assert.equal(p.status, 0, `not well-formed XML: ${p.stderr}`);
    const els = JSON.parse(p.stdout) as { tag: string; cls: string; lang: string | null; text: string }[];
    assert.deepEqual(els.filter((e) => e.cls === 'ladder').map((e) => e.lang), ['ja', 'ja']);
    const titles = els.filter((e) => e.tag === 'title').map((e) => e.text);
    assert.equal(titles.length, 7);
    titles.forEach((t, i) => assert.ok(t.startsWith(`フレーム ${i + 1}、`), t));
    assert.ok(titles[0]?.includes('クライアント → サーバー'));
    const hosts = els.filter((e) => e.cls === 'host').map((e) => e.text);
    assert.deepEqual(hosts, ['クライアント', 'サーバー', 'クライアント', 'サーバー']);
    assert.ok(els.some((e) => e.tag === 'text' && e.text === 'フレーム'));
    assert.ok(els.some((e) => e.cls === 'phase' && e.text.includes('3 方向ハンドシェイク')));
    for (const e of ENGLISH) assert.ok(!els.some((x) => x.text.includes(e)), e);
  });
});

describe('ladder SVG in chromium', { skip: existsSync(CHROMIUM) ? false : `no chromium at ${CHROMIUM}` }, () => {
  test('Japanese text stays inside the drawing and inside its room (measured by the browser)', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      for (const [file, width] of [
        [KB, 480],
        [KB, 820],
        [LOSS, 600],
      ] as const) {
        const models = [...conns(file), ...(file === LOSS ? conns(file, 6) : [])].map((c) => ladderFromConnection(c, { lang: 'ja' }));
        await page.setContent(`<!doctype html><html lang="ja"><body style="margin:0">${renderLadderSvg(models, { width }).replace(/^<\?xml[^>]*>/u, '')}</body></html>`);
        // Per diagram: its texts' boxes and the x of its two host lines.
        const diagrams = await page.evaluate(() =>
          Array.from(document.querySelectorAll('svg g.ladder')).map((g) => ({
            lines: Array.from(g.querySelectorAll('line.host-line')).map((l) => Number(l.getAttribute('x1'))),
            boxes: Array.from(g.querySelectorAll('text')).map((t) => {
              const b = (t as SVGTextElement).getBBox();
              return { cls: t.getAttribute('class') ?? '', text: t.textContent ?? '', x: b.x, right: b.x + b.width };
            }),
          })),
        );
        assert.equal(diagrams.length, models.length);
        for (const { lines, boxes } of diagrams) {
          assert.ok(boxes.length > 0);
          for (const b of boxes) assert.ok(b.x >= 0 && b.right <= width, `${width}px: ${b.cls} "${b.text}" spans ${b.x.toFixed(1)}–${b.right.toFixed(1)}`);
          // Labels on the arrows and phase rules stay between the two host lines.
          const [xL, xR] = lines;
          assert.ok(xL !== undefined && xR !== undefined);
          for (const b of boxes.filter((x) => x.cls === 'label' || x.cls === 'phase')) assert.ok(b.x >= xL && b.right <= xR, `${b.cls} "${b.text}" spans ${b.x.toFixed(1)}–${b.right.toFixed(1)}, lines at ${xL} and ${xR}`);
          // Mark labels start right of the right-hand line.
          for (const b of boxes.filter((x) => x.cls === 'mark-label')) assert.ok(b.x > xR, `mark "${b.text}"`);
        }
      }
    } finally {
      await browser.close();
    }
  });
});
