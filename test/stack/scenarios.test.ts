/**
 * `synack demo` scenarios against the seed documents. The expected traces are the seeds' text,
 * transcribed verbatim below (the lecture /work/shared/seeds/003_*.txt, 4.4.3, and the support
 * article 000_*.txt / 001_*.txt, KB 172983), parsed, and compared with the segments the engines
 * actually sent on the simulated link.
 *
 * Comparison rules: sender and receiver, SYN/FIN/RST, every sequence and acknowledgment number the
 * seed gives, and the data length must match exactly. Where the lecture leaves out the ACK flag
 * after the handshake, real TCP sets it (RFC 9293 3.8: in ESTABLISHED "all segments must carry
 * current acknowledgment information"), so an extra ACK is accepted there, and only there.
 *
 * The --pcap output is decoded by tshark (skipped, saying so, when tshark is not installed).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScenario, SCENARIO_NAMES, ScenarioRun, type DemoResult } from '../../src/stack/scenarios.js';
import { lectureLine, type TraceSegment } from '../../src/stack/trace.js';
import { TcpFlag } from '../../src/wire/tcp.js';

// ---- The seeds' text, verbatim -------------------------------------------------------------

/** seeds/003: "Verbindungsaufbau". */
const LECTURE_HANDSHAKE = `
A -> B [ SYN, seq=66, no data ]
B -> A [ ACK, ack=67, SYN, seq=1112, no data ]
A -> B [ ACK, ack=1113, seq=67, no data ]
`;

/** seeds/003: "Verbindungsabbau", the example without half-close (two segments share a line there). */
const LECTURE_CLOSE = `
A -> B [ seq=86, 5 bytes data ]
B -> A [ ACK, ack=91, seq=1113, no data ]
A -> B [ FIN, seq=91, no data ]
B -> A [ ACK, ack=92, seq=1113, no data ] B -> A [ FIN, seq=1113, no data ]
A -> B [ ACK, ack=1114, no data ]
`;

/** seeds/003: the half-close example. */
const LECTURE_HALF_CLOSE = `
A -> B [ ACK, ack=1066, seq=86, 5 bytes data ]
B -> A [ ACK, ack=91, seq=1066, 5 bytes data ]
A -> B [ ACK, ack=1071, FIN, seq=91, no data ]
B -> A [ ACK, ack=92, seq=1071, 4 bytes data ]
A -> B [ ACK, ack=1075, no data ]
B -> A [ seq=1075, 5 bytes data ]
A -> B [ ACK, ack=1080, no data ]
B -> A [ FIN, seq=1080, no data ]
A -> B [ ACK, ack=1081, no data ]
`;

/**
 * seeds/000 (KB 172983, German), the frame summaries of frames 1-3 and, for 4-7, the numbers of
 * the article's decoded text (its frame 4-7 hex dumps are of another connection).
 */
const KB172983 = `
1    2.0785 NTW3 --> BDC3 TCP ....S., len: 4, seq: 8221822-8221825, ack: 0,win: 8192, src: 1037  dst:  139 (NBT Session)
2   2.0786 BDC3 --> NTW3  TCP .A..S., len: 4, seq: 1109645-1109648, ack:8221823, win: 8760, src: 139 (NBT Session)  dst: 1037
3   2.787 NTW3 --> BDC3  TCP .A...., len: 0, seq: 8221823-8221823, ack:1109646, win: 8760, src: 1037  dst:  139 (NBT Session)
4   16.0279 NTW3 --> BDC3 IPTCP: .A...F, len:   0, seq: 8221823-8221823, ack:  1109646, win: 8760, src:1037  dst:  139 (NBT Session)
5    16.0281 BDC3 --> NTW3 IPTCP: .A...., len:    0, seq: 1109646-1109646, ack: 8221824, win:28672, src:139  dst:  2337 (NBT Session)
6   17.0085 BDC3 --> NTW3 IPTCP: .A...F, len:  0, seq: 1109646-1109646, ack: 8221824, win:28672, src:139  dst:  2337 (NBT Session)
7   17.0085 NTW3 --> BDC3 IPTCP: .A...., len:    0, seq: 8221824-8221824, ack: 1109647, win: 8760, src:2337  dst:  139 (NBT Session)
`;

// ---- Parsing the seeds -----------------------------------------------------------------------

interface Expected {
  readonly from: string;
  readonly to: string;
  readonly syn: boolean;
  readonly fin: boolean;
  readonly rst: boolean;
  /** undefined: the seed does not say (the lecture omits ACK after the handshake). */
  readonly ackFlag: boolean | undefined;
  readonly seq?: number;
  readonly ack?: number;
  readonly length: number;
  readonly text: string;
}

function parseLecture(text: string): Expected[] {
  const out: Expected[] = [];
  for (const m of text.matchAll(/(\w+) -> (\w+) \[([^\]]*)\]/g)) {
    const fields = (m[3] ?? '').split(',').map((f) => f.trim());
    let seq: number | undefined;
    let ack: number | undefined;
    let length = 0;
    for (const f of fields) {
      const kv = /^(seq|ack)=(\d+)$/.exec(f);
      if (kv?.[1] === 'seq') seq = Number(kv[2]);
      else if (kv?.[1] === 'ack') ack = Number(kv[2]);
      const data = /^(\d+) bytes data$/.exec(f);
      if (data) length = Number(data[1]);
    }
    const hasAck = fields.includes('ACK');
    out.push({
      from: m[1] ?? '',
      to: m[2] ?? '',
      syn: fields.includes('SYN'),
      fin: fields.includes('FIN'),
      rst: fields.includes('RST'),
      ackFlag: hasAck ? true : undefined,
      ...(seq !== undefined ? { seq } : {}),
      ...(ack !== undefined ? { ack } : {}),
      length,
      text: m[0],
    });
  }
  return out;
}

/** Network Monitor summaries: flags ".A..S." (URG ACK PSH RST SYN FIN), seq: N-M, ack: N, len. */
function parseNetmon(text: string): Expected[] {
  const out: Expected[] = [];
  for (const line of text.split('\n')) {
    const m = /(\w+) --> (\w+)\s+(?:IP)?TCP:? ([.A-Z]{6}), len:\s*(\d+), seq:\s*(\d+)-\d+, ack:\s*(\d+)/.exec(line);
    if (!m) continue;
    const f = m[3] ?? '......';
    const syn = f[4] === 'S';
    out.push({
      from: m[1] ?? '',
      to: m[2] ?? '',
      syn,
      fin: f[5] === 'F',
      rst: f[3] === 'R',
      ackFlag: f[1] === 'A',
      seq: Number(m[5]),
      ...(f[1] === 'A' ? { ack: Number(m[6]) } : {}),
      // Network Monitor's "len" on a SYN counts the MSS option (4 bytes of TCP header), not data.
      length: syn ? 0 : Number(m[4]),
      text: line.trim(),
    });
  }
  return out;
}

function describe1(s: TraceSegment): string {
  return `#${s.index} ${lectureLine(s)}`;
}

function assertMatches(actual: readonly TraceSegment[], expected: readonly Expected[]): void {
  assert.equal(
    actual.length,
    expected.length,
    `segment count: got\n${actual.map(describe1).join('\n')}\nexpected\n${expected.map((e) => e.text).join('\n')}`,
  );
  expected.forEach((e, i) => {
    const s = actual[i] as TraceSegment;
    const t = s.tcp;
    assert.ok(t, `segment ${i + 1} is TCP`);
    const where = `segment ${i + 1}: got ${lectureLine(s)}, seed says ${e.text}`;
    assert.equal(s.from, e.from, where);
    assert.equal(s.to, e.to, where);
    assert.equal(s.fate, 'delivered', where);
    assert.equal((t.flags & TcpFlag.SYN) !== 0, e.syn, `SYN, ${where}`);
    assert.equal((t.flags & TcpFlag.FIN) !== 0, e.fin, `FIN, ${where}`);
    assert.equal((t.flags & TcpFlag.RST) !== 0, e.rst, `RST, ${where}`);
    const ackSet = (t.flags & TcpFlag.ACK) !== 0;
    if (e.ackFlag !== undefined) assert.equal(ackSet, e.ackFlag, `ACK, ${where}`);
    else if (e.syn) assert.equal(ackSet, false, `a first SYN has no ACK, ${where}`);
    if (e.seq !== undefined) assert.equal(t.seq, e.seq, `seq, ${where}`);
    if (e.ack !== undefined) assert.equal(t.ack, e.ack, `ack, ${where}`);
    assert.equal(t.payloadLength, e.length, `data length, ${where}`);
  });
}

function phase(r: DemoResult, name: string): TraceSegment[] {
  return r.segments.filter((s) => s.phase === name);
}

// ---- The scenarios -----------------------------------------------------------------------------

describe('demo lecture-handshake', () => {
  test('reproduces the lecture: SYN seq=66; ACK ack=67 SYN seq=1112; ACK ack=1113 seq=67', () => {
    const r = runScenario('lecture-handshake');
    assert.ok(r.completed);
    assert.equal(r.segments.length, 3);
    assertMatches(phase(r, 'lecture'), parseLecture(LECTURE_HANDSHAKE));
  });
});

describe('demo lecture-close', () => {
  const r = runScenario('lecture-close');
  test('reproduces the close without half-close segment for segment, B ACK and FIN as two segments', () => {
    assert.ok(r.completed);
    const expected = parseLecture(LECTURE_CLOSE);
    assert.equal(expected.length, 6);
    assertMatches(phase(r, 'lecture'), expected);
  });
  test('the setup before the excerpt is a handshake with ISNs 66 and 1112 and 19 bytes from A', () => {
    const setup = phase(r, 'setup');
    assertMatches(setup.slice(0, 3), parseLecture(LECTURE_HANDSHAKE));
    assert.equal(setup.filter((s) => s.from === 'A').reduce((n, s) => n + (s.tcp?.payloadLength ?? 0), 0), 19);
    assert.equal(setup.filter((s) => s.from === 'B').reduce((n, s) => n + (s.tcp?.payloadLength ?? 0), 0), 0);
  });
  test("A acknowledges B's FIN from TIME-WAIT while B waits in LAST-ACK (RFC 9293 3.6)", () => {
    const last = r.segments[r.segments.length - 1] as TraceSegment;
    assert.equal(last.senderState, 'TIME-WAIT');
    assert.equal(last.receiverState, 'LAST-ACK');
  });
});

describe('demo lecture-half-close', () => {
  const r = runScenario('lecture-half-close');
  test('reproduces the half-close trace segment for segment', () => {
    assert.ok(r.completed);
    const expected = parseLecture(LECTURE_HALF_CLOSE);
    assert.equal(expected.length, 9);
    assertMatches(phase(r, 'lecture'), expected);
  });
  test('A is half-closed (FIN-WAIT-2) while B sends 4 and then 5 more bytes', () => {
    const lec = phase(r, 'lecture');
    const bData = lec.filter((s) => s.from === 'B' && (s.tcp?.payloadLength ?? 0) > 0 && s.senderState === 'CLOSE-WAIT');
    assert.deepEqual(
      bData.map((s) => s.tcp?.payloadLength),
      [4, 5],
    );
    assert.ok(lec.some((s) => s.from === 'A' && s.senderState === 'FIN-WAIT-2'));
  });
});

describe('demo kb172983', () => {
  const r = runScenario('kb172983');
  test("reproduces the article's seven frames: numbers, flags, ports, MSS", () => {
    assert.ok(r.completed);
    const expected = parseNetmon(KB172983);
    assert.equal(expected.length, 7);
    assertMatches(r.segments, expected);
    const [syn, synAck] = r.segments;
    assert.equal(syn?.src, '131.107.2.214');
    assert.equal(syn?.dst, '131.107.2.211');
    assert.equal(syn?.tcp?.srcPort, 1037);
    assert.equal(syn?.tcp?.dstPort, 139);
    assert.deepEqual(syn?.tcp?.options.filter((o) => o.name === 'mss'), [{ kind: 2, name: 'mss', mss: 1460 }]);
    assert.deepEqual(synAck?.tcp?.options.filter((o) => o.name === 'mss'), [{ kind: 2, name: 'mss', mss: 1460 }]);
  });
  test('the windows of the SYN and SYN-ACK are the capture\'s 8192 and 8760', () => {
    assert.equal(r.segments[0]?.tcp?.window, 8192);
    assert.equal(r.segments[1]?.tcp?.window, 8760);
  });
  test('the close comes at the capture\'s times (16.0279 s, about a second later 17.0085 s)', () => {
    assert.ok(Math.abs((r.segments[3]?.time ?? 0) - 16027.9) < 1);
    assert.ok(Math.abs((r.segments[5]?.time ?? 0) - 17008.5) < 1);
  });
});

describe('demo refused', () => {
  test('a SYN to a closed port gets <SEQ=0><ACK=ISN+1><CTL=RST,ACK> (RFC 9293 3.10.7.1) and A reports ECONNREFUSED', () => {
    const r = runScenario('refused');
    assert.ok(r.completed);
    assert.equal(r.segments.length, 2);
    const [syn, rst] = r.segments as [TraceSegment, TraceSegment];
    assert.equal(syn.tcp?.flags, TcpFlag.SYN);
    assert.equal(rst.tcp?.flags, TcpFlag.RST | TcpFlag.ACK);
    assert.equal(rst.tcp?.seq, 0);
    assert.equal(rst.tcp?.ack, ((syn.tcp?.seq ?? 0) + 1) >>> 0);
    assert.ok(r.notes.some((n) => n.text.includes('ECONNREFUSED')));
  });
});

describe('demo abort', () => {
  test('destroy() sends <SEQ=SND.NXT><CTL=RST> (RFC 9293 3.10.5) and B reports ECONNRESET', () => {
    const r = runScenario('abort');
    assert.ok(r.completed);
    const last = r.segments[r.segments.length - 1] as TraceSegment;
    assert.equal(last.from, 'A');
    assert.equal(last.tcp?.flags, TcpFlag.RST);
    const aData = r.segments.filter((s) => s.from === 'A' && (s.tcp?.flags ?? 0) & TcpFlag.ACK);
    const sndNxt = Math.max(...aData.map((s) => (s.tcp?.seq ?? 0) + (s.tcp?.payloadLength ?? 0)));
    assert.equal(last.tcp?.seq, sndNxt);
    assert.ok(r.notes.some((n) => n.text.startsWith('B: error ECONNRESET')));
  });
});

describe('demo lost-syn', () => {
  test('the lost SYN is sent again after the 1 s initial RTO (RFC 6298 2.1) with the same sequence number', () => {
    const r = runScenario('lost-syn');
    assert.ok(r.completed);
    const syns = r.segments.filter((s) => s.from === 'A' && s.tcp !== undefined && (s.tcp.flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN);
    assert.equal(syns.length, 2);
    assert.equal(syns[0]?.fate, 'lost');
    assert.equal(syns[1]?.fate, 'delivered');
    assert.equal(syns[1]?.tcp?.seq, syns[0]?.tcp?.seq);
    assert.equal((syns[1]?.time ?? 0) - (syns[0]?.time ?? 0), 1000);
  });
});

describe('demo simultaneous-open', () => {
  test('the SYNs cross; each side answers SYN,ACK with its own ISN; both reach ESTABLISHED (RFC 9293 Figure 8)', () => {
    const r = runScenario('simultaneous-open');
    assert.ok(r.completed);
    const [s1, s2, s3, s4] = r.segments;
    assert.equal(s1?.tcp?.flags, TcpFlag.SYN);
    assert.equal(s2?.tcp?.flags, TcpFlag.SYN);
    assert.notEqual(s1?.from, s2?.from);
    for (const [synAck, peerSyn, ownSyn] of [
      [s3, s1?.from === s3?.to ? s1 : s2, s1?.from === s3?.from ? s1 : s2],
      [s4, s1?.from === s4?.to ? s1 : s2, s1?.from === s4?.from ? s1 : s2],
    ] as const) {
      assert.equal(synAck?.tcp?.flags, TcpFlag.SYN | TcpFlag.ACK);
      assert.equal(synAck?.tcp?.seq, ownSyn?.tcp?.seq);
      assert.equal(synAck?.tcp?.ack, ((peerSyn?.tcp?.seq ?? 0) + 1) >>> 0);
    }
    assert.equal(r.notes.filter((n) => n.text.includes(': connected')).length, 2);
  });
});

describe('demo simultaneous-close', () => {
  test('the FINs cross, both sides pass CLOSING and end in TIME-WAIT (RFC 9293 Figure 13)', () => {
    const r = runScenario('simultaneous-close');
    assert.ok(r.completed);
    const fins = r.segments.filter((s) => (s.tcp?.flags ?? 0) & TcpFlag.FIN);
    assert.equal(fins.length, 2);
    assert.equal(fins[0]?.time, fins[1]?.time);
    assert.deepEqual(fins.map((s) => s.senderState), ['FIN-WAIT-1', 'FIN-WAIT-1']);
    const acks = r.segments.filter((s) => (s.tcp?.flags ?? 0) === TcpFlag.ACK && (s.time > (fins[0]?.time ?? 0)));
    assert.deepEqual(acks.map((s) => s.senderState), ['CLOSING', 'CLOSING']);
    assert.equal(r.notes.filter((n) => n.text.includes('closed (state TIME-WAIT)')).length, 2);
  });
});

describe('demo default', () => {
  test('handshake, data each way, a half-close, the close', () => {
    const r = runScenario('default');
    assert.ok(r.completed);
    const aFin = r.segments.findIndex((s) => s.from === 'A' && (s.tcp?.flags ?? 0) & TcpFlag.FIN);
    assert.ok(aFin > 0);
    // B still sends data after A's FIN: the half-close.
    assert.ok(r.segments.slice(aFin + 1).some((s) => s.from === 'B' && (s.tcp?.payloadLength ?? 0) > 0));
    assert.ok(r.notes.some((n) => n.text === 'A: read "HTTP/1.0 200 OK\\r\\n\\r\\nhello, world\\n"'));
  });
});

describe('demo over IPv6', () => {
  test('--ipv6 runs the scenario between fd00::1 and fd00::2 with the same segment pattern', () => {
    const v4 = runScenario('lecture-half-close');
    const v6 = runScenario('lecture-half-close', { ipv6: true });
    assert.ok(v6.completed);
    assert.equal(v6.segments[0]?.src, 'fd00::1');
    assert.deepEqual(v6.segments.map(lectureLine), v4.segments.map(lectureLine));
    assertMatches(phase(v6, 'lecture'), parseLecture(LECTURE_HALF_CLOSE));
  });
});

describe('demo determinism and bulk', () => {
  test('the same seed gives the same segments; another seed other ISNs', () => {
    const a = runScenario('default', { seed: 7 }).segments.map(lectureLine);
    const b = runScenario('default', { seed: 7 }).segments.map(lectureLine);
    const c = runScenario('default', { seed: 8 }).segments.map(lectureLine);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });
  test('bulk with loss, reordering, duplication and corruption arrives intact (SHA-256 both ends)', () => {
    const r = runScenario('bulk', { bytes: 300_000, loss: 0.05, reorder: 0.05, duplicate: 0.02, corrupt: 0.02, seed: 3 });
    assert.ok(r.completed);
    assert.ok(r.bulk?.intact, JSON.stringify(r.bulk));
    assert.ok((r.bulk?.retransmissions ?? 0) > 0);
    assert.ok((r.drops.A['tcp-bad-checksum'] ?? 0) + (r.drops.B['tcp-bad-checksum'] ?? 0) + (r.drops.A['ip-bad-checksum'] ?? 0) + (r.drops.B['ip-bad-checksum'] ?? 0) > 0);
  });
  test('every scenario completes', () => {
    for (const n of SCENARIO_NAMES) assert.ok(runScenario(n, { bytes: 10_000 }).completed, n);
  });
});

// ---- The steppable runner ----------------------------------------------------------------------

describe('ScenarioRun (the runner behind synack demo and the simulator)', () => {
  test('stepSegment puts at least one more segment on the wire per call, the same ones run() gives', () => {
    const stepped = new ScenarioRun('lecture-close');
    let have = 0;
    while (stepped.stepSegment()) {
      assert.ok(stepped.segments.length > have);
      have = stepped.segments.length;
      assert.equal(stepped.packets, have);
    }
    const once = new ScenarioRun('lecture-close');
    assert.equal(once.run(), true);
    assert.deepEqual(stepped.segments.map(lectureLine), once.segments.map(lectureLine));
    assert.ok(stepped.finished && once.finished);
    stepped.dispose();
    once.dispose();
  });

  test("after the lecture's handshake both hosts are ESTABLISHED with SND.NXT/RCV.NXT one past the ISNs 66 and 1112", () => {
    const r = new ScenarioRun('lecture-handshake');
    assert.equal(r.host('B').state, 'LISTEN', 'B listens before anything is sent');
    assert.equal(r.host('A').state, 'SYN-SENT');
    r.run();
    const a = r.host('A');
    const b = r.host('B');
    assert.equal(a.state, 'ESTABLISHED');
    assert.equal(b.state, 'ESTABLISHED');
    assert.deepEqual([a.tcp?.sndUna, a.tcp?.sndNxt, a.tcp?.rcvNxt], [67, 67, 1113]);
    assert.deepEqual([b.tcp?.sndUna, b.tcp?.sndNxt, b.tcp?.rcvNxt], [1113, 1113, 67]);
    r.dispose();
  });

  test('runToEnd goes on past the scenario\'s end: A leaves TIME-WAIT after 2 MSL (RFC 9293 3.6)', () => {
    const r = new ScenarioRun('lecture-close');
    r.run();
    assert.equal(r.host('A').state, 'TIME-WAIT');
    r.runToEnd();
    assert.equal(r.host('A').state, 'CLOSED');
    assert.equal(r.nextAt(), undefined);
    r.dispose();
  });

  test('without a scenario the hosts are left to the caller; advanceTo moves the clock', () => {
    const r = new ScenarioRun(undefined, { seed: 5 });
    assert.equal(r.title, '');
    r.sim.b.createServer(() => undefined).listen(80);
    r.sim.a.connect({ host: r.hosts.B.address, port: 80 });
    r.advanceTo(1000);
    assert.equal(r.now(), 1000);
    assert.equal(r.host('A').state, 'ESTABLISHED');
    assert.deepEqual(r.segments.map((s) => s.phase), ['', '', '']);
    assert.deepEqual(r.explanation(), []);
    r.dispose();
  });

  test('an unknown scenario is a usage error', () => {
    assert.throws(() => new ScenarioRun('nope'), { code: 'ERR_SYNACK_USAGE', name: 'ScenarioError' });
  });
});

// ---- The CLI and tshark ------------------------------------------------------------------------

const DEMO = fileURLToPath(new URL('../../src/cli/demo.ts', import.meta.url));
const hasTshark = spawnSync('tshark', ['--version'], { encoding: 'utf8' }).status === 0;

function demo(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const code = `import(${JSON.stringify(DEMO)}).then((m) => m.main(${JSON.stringify(args)})).then((c) => { process.exitCode = c; })`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('synack demo (CLI)', () => {
  test('prints the lecture notation, a ladder and an explanation', () => {
    const r = demo(['--scenario', 'lecture-close']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /A -> B \[ACK, ack=1113, seq=86, 5 bytes data\]/);
    assert.match(r.stdout, /B -> A \[ACK, ack=92, seq=1113\]\n\s+\d+\s+B -> A \[ACK, ack=92, FIN, seq=1113\]/);
    assert.match(r.stdout, /\|<-+ ACK, ack=92, FIN, seq=1113 --\|/);
    assert.match(r.stdout, /What happened:/);
  });
  test('--json has the segments with their fields', () => {
    const r = demo(['--scenario', 'lecture-handshake', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { segments: { line: string; seq: number; flags: string[] }[] };
    assert.deepEqual(
      j.segments.map((s) => s.line),
      ['A -> B [SYN, seq=66]', 'B -> A [ACK, ack=67, SYN, seq=1112]', 'A -> B [ACK, ack=1113, seq=67]'],
    );
    assert.deepEqual(j.segments[1]?.flags, ['SYN', 'ACK']);
  });
  test('bulk --json reports bytes, times, retransmissions and equal hashes', () => {
    const r = demo(['--scenario', 'bulk', '--bytes', '64k', '--loss', '0.02', '--seed', '5', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { bulk: { bytes: number; virtualMs: number; realMs: number; retransmissions: number; sha256Sent: string; sha256Received: string } };
    assert.equal(j.bulk.bytes, 65536);
    assert.equal(j.bulk.sha256Sent, j.bulk.sha256Received);
    assert.match(j.bulk.sha256Sent, /^[0-9a-f]{64}$/);
    assert.ok(j.bulk.virtualMs > 0 && j.bulk.realMs > 0);
    assert.equal(typeof j.bulk.retransmissions, 'number');
  });
  test('a bad flag is a usage error', () => {
    const r = demo(['--loss', '2']);
    assert.notEqual(r.status, 0);
  });

  test('--pcap output decodes in tshark with good IP and TCP checksums and no warnings', { skip: hasTshark ? false : 'tshark is not installed' }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'sk-stack-demo-'));
    try {
      for (const [scenario, file, extra] of [
        ['kb172983', 'kb.pcap', []],
        ['lecture-half-close', 'half.pcapng', []],
        ['default', 'default.pcap', []],
        ['default', 'default6.pcap', ['--ipv6']],
        ['bulk', 'bulk.pcap', ['--bytes', '200k', '--loss', '0.05', '--reorder', '0.05']],
      ] as const) {
        const path = join(dir, file);
        const r = demo(['--scenario', scenario, '--pcap', path, ...extra]);
        assert.equal(r.status, 0, r.stderr);
        const t = spawnSync(
          'tshark',
          ['-r', path, '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-T', 'fields', '-e', 'ip.checksum.status', '-e', 'tcp.checksum.status', '-e', 'tcp.seq_raw', '-e', 'tcp.ack_raw', '-e', 'ipv6.src'],
          { encoding: 'utf8' },
        );
        assert.equal(t.status, 0, t.stderr);
        const rows = t.stdout.trimEnd().split('\n').map((l) => l.split('\t'));
        const v6 = extra.includes('--ipv6' as never);
        if (scenario !== 'bulk') {
          const json = JSON.parse(demo(['--scenario', scenario, '--json', ...extra]).stdout) as { segments: { seq: number; ack: number }[] };
          assert.equal(rows.length, json.segments.length, `${scenario}: frames`);
          rows.forEach((row, i) => {
            assert.equal(Number(row[2]), json.segments[i]?.seq);
            assert.equal(Number(row[3]), json.segments[i]?.ack);
          });
        }
        rows.forEach((row, i) => {
          if (v6) assert.match(row[4] ?? '', /^fd00::[12]$/, `${scenario} frame ${i + 1}: IPv6`);
          else assert.equal(row[0], '1', `${scenario} frame ${i + 1}: IPv4 header checksum good`);
          assert.equal(row[1], '1', `${scenario} frame ${i + 1}: TCP checksum good`);
        });
        // Lost and reordered segments are what the bulk run is about; tshark rightly notes them.
        if (scenario !== 'bulk') {
          const x = spawnSync('tshark', ['-r', path, '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-q', '-z', 'expert,warn'], { encoding: 'utf8' });
          assert.equal(x.status, 0, x.stderr);
          assert.doesNotMatch(x.stdout, /Warnings \(|Errors \(/, `${scenario}: tshark expert warnings\n${x.stdout}`);
        }
        assert.ok(readFileSync(path).length > 24);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
