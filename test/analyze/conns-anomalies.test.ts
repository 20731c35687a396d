/**
 * Per-frame anomaly verdicts against tshark 4.0: for every kind a crafted capture written with
 * synack's PcapWriter from segments chosen to provoke it, then tshark's tcp.analysis.* flags for
 * that file are the truth, frame by frame (connection ids against tcp.stream too). Each test first
 * checks that tshark does flag the kind it is about, so no test can pass vacuously. Then seeded
 * random connections (losses, reordering, retransmissions, zero windows, reuse...) are compared
 * the same way. Needs tshark; skips saying so otherwise.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AnomalyKind } from '../../src/analyze/anomalies.js';
import { ACK, type CraftSegment, FIN, handshake, PSH, randomConnection, randomVariant, RST, SYN, VARIANTS, writeCraft } from './conns-craft.js';
import { diffWithTshark, tsharkAvailable, tsharkTcp } from './conns-tshark.js';

const skip = tsharkAvailable() ? false : 'tshark is not installed (apt-get install tshark)';

const C = 1000;
const S = 5000;
/** Client data: seq relative to the client's ISN C. */
const data = (t: number, rel: number, len: number, ackRel = 1, win = 502): CraftSegment => ({ t, from: 'c', flags: PSH | ACK, seq: C + rel, ack: S + ackRel, win, len });
/** Server ACK of client byte `rel` (relative). */
const sack = (t: number, rel: number, win = 509, seqRel = 1): CraftSegment => ({ t, from: 's', flags: ACK, seq: S + seqRel, ack: C + rel, win });

/** The crafted cases: name, the kind tshark must flag, the segments. */
const CASES: readonly { readonly kind: AnomalyKind; readonly what: string; readonly segs: readonly CraftSegment[] }[] = [
  {
    kind: 'retransmission',
    what: 'the same 100 bytes sent again after 200 ms (an RTO)',
    segs: [...handshake(C, S), data(0.02, 1, 100), data(0.22, 1, 100), sack(0.23, 101)],
  },
  {
    kind: 'fastRetransmission',
    what: 'a hole, three ACKs for it, the missing segment within 20 ms of the last',
    segs: [
      ...handshake(C, S),
      data(0.02, 1, 1000),
      // bytes 1001..2000 are not in the capture
      data(0.021, 2001, 1000),
      data(0.022, 3001, 1000),
      sack(0.03, 1001),
      sack(0.031, 1001),
      sack(0.032, 1001),
      data(0.035, 1001, 1000),
      sack(0.04, 4001),
    ],
  },
  {
    kind: 'spuriousRetransmission',
    what: 'data sent again after the server acknowledged it',
    segs: [...handshake(C, S), data(0.02, 1, 100), sack(0.03, 101), data(0.25, 1, 100), sack(0.26, 101)],
  },
  {
    kind: 'outOfOrder',
    what: 'the second segment before the first, 1 ms apart (below the initial RTT)',
    segs: [...handshake(C, S), data(0.02, 101, 100), data(0.021, 1, 100), sack(0.03, 201)],
  },
  {
    kind: 'lostSegment',
    what: 'a gap in the client sequence numbers',
    segs: [...handshake(C, S), data(0.02, 1, 100), data(0.03, 201, 100), sack(0.04, 301)],
  },
  {
    kind: 'ackedUnseen',
    what: 'the server acknowledges bytes the capture never saw',
    segs: [...handshake(C, S), data(0.02, 1, 100), sack(0.03, 201)],
  },
  {
    kind: 'duplicateAck',
    what: 'two identical ACKs (same seq, ack and window, no data)',
    segs: [...handshake(C, S), data(0.02, 1, 100), sack(0.03, 101), sack(0.04, 101)],
  },
  {
    kind: 'zeroWindow',
    what: 'the server advertises a zero window',
    segs: [...handshake(C, S), data(0.02, 1, 100), sack(0.03, 101, 0)],
  },
  {
    kind: 'zeroWindowProbe',
    what: 'one byte at the next sequence number while the window is zero',
    segs: [...handshake(C, S), data(0.02, 1, 100), sack(0.03, 101, 0), data(0.23, 101, 1), sack(0.24, 101, 0)],
  },
  {
    kind: 'windowFull',
    what: 'data up to the edge of the advertised window (10 << 7 = 1280 bytes)',
    segs: [...handshake(C, S), sack(0.02, 1, 10), data(0.03, 1, 1280), sack(0.04, 1281, 10)],
  },
  {
    kind: 'windowUpdate',
    what: 'the same ACK again with a larger window',
    segs: [...handshake(C, S), data(0.02, 1, 100), sack(0.03, 101, 100), sack(0.04, 101, 600)],
  },
  {
    kind: 'keepAlive',
    what: 'one byte at the next sequence number minus one after a pause (Linux keep-alive)',
    segs: [...handshake(C, S), data(0.02, 1, 100), sack(0.03, 101), { t: 7.2, from: 'c', flags: ACK, seq: C + 100, ack: S + 1, win: 502, len: 0 }, sack(7.21, 101)],
  },
  {
    kind: 'portReuse',
    what: 'a new SYN with another ISN on the same ports after a close',
    segs: [
      ...handshake(C, S),
      { t: 0.02, from: 'c', flags: FIN | ACK, seq: C + 1, ack: S + 1, win: 502 },
      { t: 0.03, from: 's', flags: FIN | ACK, seq: S + 1, ack: C + 2, win: 509 },
      { t: 0.04, from: 'c', flags: ACK, seq: C + 2, ack: S + 2, win: 502 },
      ...handshake(90000, 70000, 1.0),
    ],
  },
  {
    kind: 'badChecksum',
    what: 'a data segment whose TCP checksum is wrong',
    segs: [...handshake(C, S), { ...data(0.02, 1, 100), badChecksum: true }, sack(0.03, 101)],
  },
];

describe('each anomaly kind agrees with tshark frame by frame', { skip }, () => {
  for (const c of CASES) {
    test(`${c.kind}: ${c.what}`, () => {
      const file = writeCraft(`kind-${c.kind}`, c.segs);
      const truth = tsharkTcp(file);
      assert.ok(
        truth.some((f) => f.kinds.has(c.kind)),
        `the scenario must make tshark flag ${c.kind} (it flagged: ${truth.map((f) => `${f.frame}[${[...f.kinds].join(',')}]`).join(' ')})`,
      );
      assert.deepEqual(diffWithTshark(file), []);
    });
  }

  test('a RST and a FIN+ACK exchange are no anomaly; a SYN retransmission is a retransmission', () => {
    const file = writeCraft('plain-close', [
      ...handshake(C, S),
      { t: 0.5, from: 'c', flags: SYN, seq: C, win: 64240 },
      data(0.6, 1, 10),
      { t: 0.7, from: 's', flags: RST | ACK, seq: S + 1, ack: C + 11, win: 0 },
    ]);
    const truth = tsharkTcp(file);
    assert.ok(truth[3]?.kinds.has('retransmission'), 'tshark calls the repeated SYN a retransmission');
    assert.deepEqual(diffWithTshark(file), []);
  });
});

describe('seeded random connections agree with tshark frame by frame', { skip }, () => {
  // Every seed is a connection with 5-45 segments of the kinds listed in randomConnection().
  for (let seed = 1; seed <= 40; seed++) {
    test(`seed ${seed}`, () => {
      const file = writeCraft(`random-${seed}`, randomConnection(seed * 2654435761));
      assert.deepEqual(diffWithTshark(file), []);
    });
  }
});

describe('random connections bent in odd ways agree with tshark frame by frame', { skip }, () => {
  // IPv6, a missed SYN, two interleaved connections, odd lengths, timestamps going backwards (a
  // negative initial RTT), a SYN-ACK without window scale, RSTs with data, SYNs with data.
  for (const variant of VARIANTS) {
    for (const seed of [11, 12, 13]) {
      test(`${variant}, seed ${seed}`, () => {
        const { segs, options } = randomVariant(seed * 2246822519, variant);
        assert.deepEqual(diffWithTshark(writeCraft(`variant-${variant}-${seed}`, segs, options)), []);
      });
    }
  }
});
