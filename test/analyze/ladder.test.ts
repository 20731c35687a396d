/**
 * Ladder diagrams (src/analyze/ladder.ts, ladder-svg.ts, `synack ladder`). The truth:
 * - tshark's reading of every frame (direction, flags, absolute and relative seq/ack, length);
 * - tshark's tcp.analysis flags for where anomaly marks must be, and the tracker's verdicts;
 * - the seed article's timings and TTLs (seeds/000: frames 1-3 at 2.0785, 2.0786, 2.787 s, so
 *   captured next to the server; frames 4-7 with TTL 128 (0x80) one way and 63 (0x3F) the other,
 *   so captured at the client) for the caption;
 * - an independent XML parser (Python's xml.etree) for the SVG.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ConnectionRecord, trackConnections } from '../../src/analyze/conns.js';
import { flagText, ladderFromConnection, type LadderModel, renderLadderText } from '../../src/analyze/ladder.js';
import { renderLadderSvg } from '../../src/analyze/ladder-svg.js';
import { decodeCapture } from '../../src/capture/decoder.js';
import { tsharkAvailable, tsharkTcp } from './conns-tshark.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const KB = join(FIXTURES, 'kb172983.pcap');
const LOSS = join(FIXTURES, 'conns/loss-client.pcap');
const HALF = join(FIXTURES, 'kernel/ipv6-half-close.pcap');
const CLI = fileURLToPath(new URL('../../src/cli/ladder.ts', import.meta.url));
const needTshark = tsharkAvailable() ? false : 'tshark is not installed';
const hasPython = spawnSync('python3', ['-c', 'import xml.etree.ElementTree'], { encoding: 'utf8' }).status === 0;

function conns(file: string): ConnectionRecord[] {
  const { records, error } = decodeCapture(new Uint8Array(readFileSync(file)));
  assert.equal(error, undefined);
  return trackConnections(records, { keepFrames: true });
}

interface Row {
  readonly frame: number;
  readonly src: string;
  readonly srcPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly len: number;
}

function tsharkRows(file: string, relative: boolean): Map<number, Row> {
  const fields = ['frame.number', 'ip.src', 'ipv6.src', 'tcp.srcport', 'tcp.seq', 'tcp.ack', 'tcp.flags', 'tcp.len'];
  const args = ['-n', '-r', file, '-o', `tcp.relative_sequence_numbers:${relative ? 'TRUE' : 'FALSE'}`, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=f'];
  for (const f of fields) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, r.stderr);
  const out = new Map<number, Row>();
  for (const line of r.stdout.split('\n')) {
    const c = line.split('\t');
    if (line === '' || (c[4] ?? '') === '') continue;
    out.set(Number(c[0]), {
      frame: Number(c[0]),
      src: (c[1] ?? '') !== '' ? (c[1] ?? '') : (c[2] ?? ''),
      srcPort: Number(c[3]),
      seq: Number(c[4]),
      ack: Number(c[5]),
      flags: Number(c[6]),
      len: Number(c[7]),
    });
  }
  return out;
}

/** The label tshark's fields give: flags, seq, ack when ACK is set, len when there is data. */
function expectedLabel(r: Row): string {
  return `${flagText(r.flags)} seq=${r.seq}${(r.flags & 0x010) !== 0 ? ` ack=${r.ack}` : ''}${r.len > 0 ? ` len=${r.len}` : ''}`;
}

interface SvgElement {
  readonly tag: string;
  readonly cls: string;
  readonly frame: number | null;
  readonly attrs: Readonly<Record<string, string>>;
  readonly text: string;
}

/** Parse SVG text with Python's XML parser: every element with its class, data-frame and attributes. */
function parseSvg(svg: string): SvgElement[] {
  const script = [
    'import sys, json, xml.etree.ElementTree as ET',
    'root = ET.fromstring(sys.stdin.read().encode("utf-8"))',
    'out = []',
    'for e in root.iter():',
    '    tag = e.tag.split("}")[-1]',
    '    out.append({"tag": tag, "cls": e.get("class", ""), "frame": int(e.get("data-frame")) if e.get("data-frame") else None, "attrs": dict(e.attrib), "text": "".join(e.itertext()) if tag in ("title", "text") else ""})',
    'print(json.dumps({"root": root.tag, "elements": out}))',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script], { input: svg, encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, `not well-formed XML: ${r.stderr}`);
  const j = JSON.parse(r.stdout) as { root: string; elements: SvgElement[] };
  assert.equal(j.root, '{http://www.w3.org/2000/svg}svg');
  return j.elements;
}

/** The frames an anomaly mark must sit on: those the tracker flags, checked equal to tshark's. */
function flaggedFrames(c: ConnectionRecord): number[] {
  return (c.frames ?? []).filter((f) => f.anomalies.length > 0).map((f) => f.frame);
}

describe('ladder model', () => {
  test('kb172983: one row per segment, client on the left, captions from the seed article', () => {
    const [c0, c1] = conns(KB).map((c) => ladderFromConnection(c));
    assert.ok(c0 !== undefined && c1 !== undefined);
    assert.deepEqual(c0.rows.map((r) => [r.frame, r.from]), [[1, 'left'], [2, 'right'], [3, 'left']]);
    assert.deepEqual(c1.rows.map((r) => [r.frame, r.from]), [[4, 'left'], [5, 'right'], [6, 'right'], [7, 'left']]);
    assert.deepEqual([c0.left.label, c0.right.label], ['131.107.2.214:1037', '131.107.2.211:139']);
    // 2.0785 -> 2.0786 -> 2.787: the round trip lies between SYN-ACK and ACK: next to the server.
    assert.equal(c0.timeAt, 'right');
    assert.match(c0.caption, /server/u);
    assert.deepEqual(c0.rows.map((r) => r.timeText), ['0.000', '0.100', '708.500']);
    // TTL 0x80 from 192.94.222.123, 0x3F from 192.94.222.87: captured at the client.
    assert.equal(c1.timeAt, 'left');
    assert.match(c1.caption, /client/u);
    assert.deepEqual(c0.rows.map((r) => r.label), ['SYN seq=8221822', 'SYN,ACK seq=1109645 ack=8221823', 'ACK seq=8221823 ack=1109646']);
  });

  for (const file of [KB, LOSS, HALF]) {
    for (const relative of [false, true]) {
      test(`${file.split('/').pop()}: labels are tshark's ${relative ? 'relative' : 'absolute'} numbers, direction its source`, { skip: needTshark }, () => {
        const truth = tsharkRows(file, relative);
        for (const c of conns(file)) {
          const m = ladderFromConnection(c, { relative });
          assert.equal(m.rows.length, c.sent.client.packets + c.sent.server.packets);
          for (const r of m.rows) {
            const t = truth.get(r.frame);
            assert.ok(t !== undefined);
            assert.equal(r.label, expectedLabel(t), `frame ${r.frame}`);
            const fromClient = t.src === c.client.ip && t.srcPort === c.client.port;
            assert.equal(r.from, fromClient ? 'left' : 'right', `frame ${r.frame}`);
          }
        }
      });
    }
  }

  test('loss-client: anomaly marks exactly on the frames tshark flags', { skip: needTshark }, () => {
    const [c] = conns(LOSS);
    assert.ok(c !== undefined);
    const m = ladderFromConnection(c);
    const flagged = tsharkTcp(LOSS).filter((f) => f.kinds.size > 0);
    assert.deepEqual(m.rows.filter((r) => r.marks.length > 0).map((r) => r.frame), flagged.map((f) => f.frame));
    for (const f of flagged) {
      const row = m.rows.find((r) => r.frame === f.frame);
      assert.deepEqual(new Set(row?.marks.map((k) => k.kind)), f.kinds, `frame ${f.frame}`);
    }
    // Frame 206 is out-of-order only as suspected (docs/analyzer.md): its mark says so.
    assert.deepEqual(m.rows.find((r) => r.frame === 206)?.marks.map((k) => k.label), ['out-of-order?']);
  });
});

describe('ladder text', () => {
  for (const file of [KB, LOSS, HALF]) {
    for (const width of [40, 64, 80, 100, 160]) {
      test(`${file.split('/').pop()} at width ${width}: every line fits, one arrow per segment, marks on flagged frames`, () => {
        for (const c of conns(file)) {
          const m = ladderFromConnection(c);
          const lines = renderLadderText(m, { width });
          for (const l of lines) assert.ok(l.length <= width, `${l.length} > ${width}: ${l}`);
          const arrows = lines.filter((l) => /\|(--|<-).*(->|--)\|/u.test(l));
          assert.equal(arrows.length, m.rows.length);
          assert.deepEqual(
            arrows.map((l) => Number(l.trim().split(/\s+/u)[0])),
            m.rows.map((r) => r.frame),
          );
          // A mark follows its arrow on the same line or on the next one.
          const marked: number[] = [];
          lines.forEach((l, i) => {
            if (!/^\s*!|\s! /u.test(l)) return;
            const arrowLine = /\|(--|<-).*(->|--)\|/u.test(l) ? l : (lines[i - 1] ?? '');
            marked.push(Number(arrowLine.trim().split(/\s+/u)[0]));
          });
          assert.deepEqual(marked, flaggedFrames(c));
          assert.ok(lines.some((l) => /Capture|Captured/u.test(l)), 'the caption says where the capture was taken');
        }
      });
    }
  }
});

describe('ladder SVG', { skip: hasPython ? false : 'python3 (the XML parser of these tests) is not installed' }, () => {
  for (const file of [KB, LOSS, HALF]) {
    test(`${file.split('/').pop()}: well-formed, one arrow per segment, marks exactly on the tracker's flagged frames`, () => {
      const cs = conns(file);
      const models = cs.map((c) => ladderFromConnection(c));
      const svg = renderLadderSvg(models);
      const els = parseSvg(svg);
      const arrows = els.filter((e) => e.tag === 'line' && e.cls === 'arrow');
      const groups = els.filter((e) => e.tag === 'g' && e.cls === 'segment');
      const frames = models.flatMap((m) => m.rows.map((r) => r.frame));
      assert.equal(arrows.length, frames.length);
      assert.deepEqual(groups.map((g) => g.frame), frames);
      const marks = els.filter((e) => e.tag === 'circle' && e.cls === 'mark').map((e) => e.frame);
      assert.deepEqual(marks, cs.flatMap(flaggedFrames));
      // Hover titles name the frame.
      const titles = els.filter((e) => e.tag === 'title').map((e) => e.text);
      for (const f of frames) assert.ok(titles.some((t) => t.startsWith(`Frame ${f},`)), `title for frame ${f}`);
      const background = els.find((e) => e.cls === 'background');
      assert.equal(background?.attrs.fill, '#ffffff');
      assert.match(els[0]?.attrs['font-family'] ?? '', /monospace/u);
    });
  }

  test('arrows slant where the capture point is known, and touch the capturing side at their time', () => {
    const models = conns(KB).map((c) => ladderFromConnection(c));
    const els = parseSvg(renderLadderSvg(models));
    const arrows = els.filter((e) => e.tag === 'line' && e.cls === 'arrow').map((e) => ({ x1: Number(e.attrs.x1), y1: Number(e.attrs.y1), x2: Number(e.attrs.x2), y2: Number(e.attrs.y2) }));
    assert.equal(arrows.length, 7);
    for (const a of arrows) assert.notEqual(a.y1, a.y2, 'slanted');
    // Connection 0 was captured at the server (right): each arrow's right end is its lower... the
    // end on the server line is where the time is true, so it is the later end for frames towards
    // the server and the earlier end for frames from it.
    const [f1, f2] = arrows;
    assert.ok(f1 !== undefined && f2 !== undefined);
    assert.ok(f1.x2 > f1.x1 && f1.y2 > f1.y1, 'frame 1 arrives at the server at its time');
    assert.ok(f2.x1 > f2.x2 && f2.y2 > f2.y1, 'frame 2 leaves the server at its time');
    const level = parseSvg(renderLadderSvg(conns(LOSS).map((c) => ladderFromConnection(c))))
      .filter((e) => e.tag === 'line' && e.cls === 'arrow')
      .every((e) => e.attrs.y1 === e.attrs.y2);
    assert.ok(level, 'capture point unknown: arrows are level');
  });

  test('text from the capture is escaped', () => {
    const [c] = conns(KB);
    const m: LadderModel = { ...ladderFromConnection(c!), title: 'a <b> & "c"', caption: "it's <x>" };
    const els = parseSvg(renderLadderSvg([m]));
    assert.ok(els.some((e) => e.tag === 'text' && e.text === 'a <b> & "c"'));
  });
});

describe('synack ladder (CLI)', () => {
  function ladder(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
    const code = `import(${JSON.stringify(CLI)}).then((m) => m.main(${JSON.stringify(args)})).then((c) => { process.exitCode = c; }, (e) => { console.error(e.message); process.exitCode = e.code === 'ERR_SYNACK_USAGE' ? 64 : 1; })`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  test('text fits --width; --conn picks one; --relative numbers from 0', () => {
    const r = ladder([KB, '--width', '70', '--conn', '0', '--relative']);
    assert.equal(r.status, 0, r.stderr);
    for (const l of r.stdout.trimEnd().split('\n')) assert.ok(l.length <= 70, l);
    assert.match(r.stdout, /\|-- SYN seq=0 -+>\|/u);
    assert.doesNotMatch(r.stdout, /Connection 1/u);
  });

  test('--svg - writes one SVG document with both connections', { skip: hasPython ? false : 'python3 is not installed' }, () => {
    const r = ladder([KB, '--svg', '-']);
    assert.equal(r.status, 0, r.stderr);
    const els = parseSvg(r.stdout);
    assert.equal(els.filter((e) => e.tag === 'line' && e.cls === 'arrow').length, 7);
    assert.equal(els.filter((e) => e.tag === 'g' && e.cls === 'ladder').length, 2);
  });

  test('bad flags are usage errors, a missing file exit 2', () => {
    assert.equal(ladder([KB, '--width', '10']).status, 64);
    assert.equal(ladder([KB, '--relative', '--absolute']).status, 64);
    assert.equal(ladder([]).status, 64);
    assert.equal(ladder(['/nonexistent.pcap']).status, 2);
    assert.equal(ladder([KB, '--conn', '5']).status, 1);
  });
});
