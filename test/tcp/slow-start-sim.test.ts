/**
 * Slow start end to end: two stacks in a Simulation (virtual time), A sends 4 MiB to B over a link
 * of 10 ms one-way delay, no loss. B answers either like a textbook receiver (receiveBatch 1: an ACK
 * for every second segment, RFC 5681 4.2) or like a GRO receiver (receiveBatch 16: one cumulative
 * ACK per batch of up to 16 segments, as StackDriver and Linux do). Buffers are 8 MiB so the
 * receive window never limits the flight: slow start alone decides how many round trips it takes.
 *
 * The bounds come from slow start's arithmetic, not from earlier runs:
 *  - no sender can beat doubling per round trip (RFC 3465 2.4): from IW = 3 segments (RFC 5681 3.1,
 *    SMSS 1448 with timestamps) round k carries at most 3 * 2^(k-1) segments, so N segments need
 *    at least ceil(log2(N / 3 + 1)) rounds, the last one arriving half a round trip after it left;
 *  - with L = 2 behind one ACK per 16 segments the window grows by at most 2 SMSS per ACK, so by
 *    at most 2 * (ceil(W / 16) + 1) per round (one spare ACK per round for a split batch): about
 *    1.125x per round instead of 2x; the rounds that needs are computed below;
 *  - the default (every acknowledged byte counts) must bring the GRO case back near the textbook
 *    receiver's (within 1.25x its round trips) and far below L = 2's.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation } from '../../src/stack/sim.js';
import type { TcpConfig } from '../../src/tcp/config.js';

const DELAY = 10;
const RTT = 2 * DELAY;
const BYTES = 4 << 20;
/** SMSS with the timestamp option: 1500 - 20 (IP) - 20 (TCP) - 12 (timestamps). */
const SMSS = 1448;
const SEGMENTS = Math.ceil(BYTES / SMSS);
const IW = 3;
const BUFFERS: Partial<TcpConfig> = { sendBufferSize: 8 << 20, recvBufferSize: 8 << 20 };

interface Outcome {
  /** Virtual time from A's 'connect' to B holding every byte, in round trips. */
  readonly rtts: number;
  readonly retransmissions: number;
}

function transfer(receiveBatch: number, tcp: Partial<TcpConfig>): Outcome {
  const config = { ...BUFFERS, ...tcp };
  const sim = new Simulation({ seed: 7, link: { delay: DELAY }, receiveBatch, a: { tcp: config }, b: { tcp: config } });
  let received = 0;
  sim.b.createServer((sock) => sock.on('data', (d) => (received += d.length))).listen(80);
  const c = sim.a.connect({ host: '10.0.0.2', port: 80 });
  let start: number | undefined;
  let written = 0;
  const chunk = new Uint8Array(256 * 1024);
  const pump = (): void => {
    while (written < BYTES) {
      const n = Math.min(chunk.length, BYTES - written);
      written += n;
      if (!c.write(chunk.subarray(0, n))) return;
    }
  };
  c.on('connect', () => {
    start = sim.now();
    pump();
  });
  c.on('drain', pump);
  const done = sim.runUntil(() => received >= BYTES, { until: 600_000 });
  assert.ok(done && start !== undefined, `transfer finished (${received} of ${BYTES} bytes)`);
  const out = { rtts: (sim.now() - start) / RTT, retransmissions: c.tcpCounters?.retransmissions ?? 0 };
  sim.close();
  return out;
}

/** Rounds to send `n` segments when the window at most doubles each round from `iw`. */
function doublingRounds(n: number, iw: number): number {
  return Math.ceil(Math.log2(n / iw + 1));
}

/** Rounds to send `n` segments when each round adds at most 2 SMSS per ACK, one ACK per `batch` (+1). */
function limitedRounds(n: number, iw: number, batch: number): number {
  let w = iw;
  let sent = 0;
  let rounds = 0;
  while (sent < n) {
    sent += w;
    rounds++;
    w += 2 * (Math.ceil(w / batch) + 1);
  }
  return rounds;
}

for (const cc of ['reno', 'cubic'] as const) {
  describe(`${cc}: 4 MiB over 10 ms one-way, lossless (virtual time)`, () => {
    const kMin = doublingRounds(SEGMENTS, IW);
    const kL2 = limitedRounds(SEGMENTS, IW, 16);
    const textbook = transfer(1, { congestionControl: cc, slowStartLimit: 2 });
    const groDefault = transfer(16, { congestionControl: cc });
    const groL2 = transfer(16, { congestionControl: cc, slowStartLimit: 2 });

    test('the arithmetic: doubling needs 10 rounds for 2897 segments from IW 3; L = 2 behind 16-segment ACKs over twice as many', () => {
      assert.equal(SEGMENTS, 2897);
      assert.equal(kMin, 10);
      assert.ok(kL2 >= 2 * kMin, `${kL2} rounds`);
    });

    test('no configuration beats doubling per round trip (RFC 3465 2.4), and none retransmits', () => {
      for (const [name, o] of [['textbook receiver, L = 2', textbook], ['GRO receiver, default', groDefault], ['GRO receiver, L = 2', groL2]] as const) {
        assert.ok(o.rtts >= kMin - 0.5, `${name}: ${o.rtts} RTTs < ${kMin - 0.5}`);
        assert.equal(o.retransmissions, 0, name);
      }
    });

    test('behind stretch ACKs, L = 2 is as slow as its arithmetic says (the problem)', () => {
      assert.ok(groL2.rtts >= kL2 - 0.5, `${groL2.rtts} RTTs, the bound is ${kL2 - 0.5}`);
    });

    test('behind stretch ACKs, the default counts every acknowledged byte: at most 1.25x the textbook receiver\'s round trips, under half of L = 2\'s', () => {
      assert.ok(groDefault.rtts <= 1.25 * textbook.rtts, `GRO default ${groDefault.rtts} RTTs, textbook ${textbook.rtts}`);
      assert.ok(groDefault.rtts <= 0.5 * groL2.rtts, `GRO default ${groDefault.rtts} RTTs, GRO L = 2 ${groL2.rtts}`);
    });
  });
}
