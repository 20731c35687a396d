/**
 * The simulator's model (src/web/sim-model.ts) under Node: presets step segment by segment to
 * exactly what `synack demo` runs in one go; the lecture's half-close (seeds/003) appears in it,
 * seq and ack as the lecture gives them; by hand, a dropped SYN is retransmitted after the initial
 * RTO of RFC 6298 (1 s), a SYN to a port nobody listens on is refused with RST (RFC 9293 3.10.7.1),
 * and the export is a pcapng that the capture layer and tshark read back.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCapture } from '../../src/capture/decoder.js';
import { runScenario } from '../../src/stack/scenarios.js';
import { lectureFields, type TraceSegment } from '../../src/stack/trace.js';
import { BULK_BYTES, MANUAL, SimModel } from '../../src/web/sim-model.js';
import { REPO } from './browser.js';
import { lectureHalfClose, matchInOrder, parseLecture } from './lecture.js';

const SEEDS = join(REPO, '..', 'shared', 'seeds');
const SYN = 0x002;
const RST = 0x004;
const ACK = 0x010;

function label(s: TraceSegment): string {
  return `${s.from} -> ${s.to} [${s.tcp === undefined ? 'not TCP' : lectureFields(s.tcp)}]`;
}

function runAll(m: SimModel): void {
  let guard = 0;
  while (m.stepSegment()) assert.ok(++guard < 10_000, 'runaway');
}

describe('simulator model', () => {
  for (const preset of ['lecture-handshake', 'lecture-close', 'lecture-half-close', 'kb172983', 'simultaneous-open', 'simultaneous-close', 'refused', 'abort', 'lost-syn', 'default', 'bulk']) {
    it(`${preset}: stepping gives the segments synack demo runs in one go`, () => {
      const m = new SimModel({ preset, seed: 1 });
      runAll(m);
      const want = runScenario(preset, { seed: 1, bytes: BULK_BYTES, record: true }).segments;
      assert.deepEqual(m.segments.map(label), want.map(label));
      assert.deepEqual(
        m.segments.map((s) => [s.time, s.senderState, s.receiverState, s.fate]),
        want.map((s) => [s.time, s.senderState, s.receiverState, s.fate]),
      );
      assert.ok(m.finished, 'the scenario reached its end');
      assert.ok(m.explanation().length > 0);
      m.dispose();
    });
  }

  it("lecture-half-close holds the lecture's nine half-close segments, seq and ack as printed", { skip: existsSync(SEEDS) ? false : 'no seeds' }, () => {
    const lecture = lectureHalfClose(SEEDS);
    assert.equal(lecture.length, 9);
    const m = new SimModel({ preset: 'lecture-half-close', seed: 1 });
    runAll(m);
    const ours = m.segments.map((s) => parseLecture(label(s)));
    const at = matchInOrder(lecture, ours);
    assert.ok(Array.isArray(at), String(at));
    // Consecutive: the nine are the end of the exchange, nothing in between.
    assert.deepEqual(at, at.map((_, i) => (at[0] as number) + i));
    assert.equal(at[8], m.segments.length - 1);
  });

  it('by hand: a dropped SYN comes again after the initial RTO (1 s) and the handshake completes', () => {
    const m = new SimModel({ preset: MANUAL, seed: 3 });
    assert.equal(m.host('B').state, 'LISTEN');
    m.dropNext('A');
    m.connect('A');
    assert.equal(m.host('A').state, 'SYN-SENT');
    runAll(m);
    const syns = m.segments.filter((s) => s.tcp !== undefined && (s.tcp.flags & (SYN | ACK)) === SYN);
    assert.equal(syns.length, 2);
    const [first, second] = syns as [TraceSegment, TraceSegment];
    assert.equal(first.fate, 'lost');
    assert.equal(second.fate, 'delivered');
    assert.equal(second.tcp?.seq, first.tcp?.seq, 'the same ISN');
    // RFC 6298 2.1: RTO = 1 s before any RTT sample.
    assert.equal(second.time - first.time, 1000);
    assert.equal(m.host('A').state, 'ESTABLISHED');
    assert.equal(m.host('B').state, 'ESTABLISHED');
  });

  it('by hand: a SYN to a port nobody listens on is refused with RST', () => {
    const m = new SimModel({ preset: MANUAL, seed: 1 });
    m.listen('B', false);
    m.connect('A');
    runAll(m);
    const [syn, rst] = m.segments as [TraceSegment, TraceSegment];
    assert.equal(m.segments.length, 2);
    assert.equal(rst.tcp?.flags, RST | ACK);
    assert.equal(rst.tcp?.seq, 0);
    assert.equal(rst.tcp?.ack, ((syn.tcp?.seq ?? 0) + 1) >>> 0);
    assert.ok(m.notes().some((n) => /ECONNREFUSED/.test(n.text)));
  });

  it('by hand: data, a half-close and data the other way, then both closed', () => {
    const m = new SimModel({ preset: MANUAL, seed: 2 });
    m.connect('A');
    runAll(m);
    m.send('A', 300);
    m.shutdown('A');
    runAll(m);
    assert.equal(m.host('B').bytesReceived, 300);
    assert.equal(m.host('B').state, 'CLOSE-WAIT');
    assert.equal(m.host('A').state, 'FIN-WAIT-2');
    m.send('B', 1000);
    runAll(m);
    assert.equal(m.host('A').bytesReceived, 1000, 'a half-closed A still reads');
    m.shutdown('B');
    m.advanceTo(m.now() + 100);
    assert.equal(m.host('A').state, 'TIME-WAIT');
    runAll(m);
    assert.equal(m.host('A').state, 'CLOSED');
  });

  it('exports a pcapng the capture layer and tshark read back, one record per segment', () => {
    const m = new SimModel({ preset: 'lost-syn', seed: 1 });
    runAll(m);
    const bytes = m.exportPcapng(1_700_000_000);
    const c = decodeCapture(bytes);
    assert.equal(c.error, undefined);
    assert.equal(c.format, 'pcapng');
    assert.equal(c.records.length, m.segments.length);
    assert.deepEqual(c.records[0]?.comments, [`A -> B (lost)`]);
    assert.deepEqual([...(c.records[1]?.data ?? [])], [...(m.segments[1]?.packet ?? [])]);
    if (spawnSync('tshark', ['--version']).status !== 0) return;
    const dir = mkdtempSync(join(tmpdir(), 'sk-ui-export-'));
    try {
      const file = join(dir, 'sim.pcapng');
      writeFileSync(file, bytes);
      const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.number', '-e', 'tcp.flags.syn'], { encoding: 'utf8' });
      assert.equal(r.status, 0);
      const warnings = r.stderr.split('\n').filter((l) => l !== '' && !l.includes('Running as user "root"'));
      assert.deepEqual(warnings, []);
      assert.equal(r.stdout.trim().split('\n').length, m.segments.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
