/**
 * Slow start behind stretch ACKs: the controller's window arithmetic (Reno and CUBIC share it) and
 * what the engine sends for one stretch ACK, against RFC 3465 (appropriate byte counting with a
 * limit L per ACK), RFC 5681 3.1 (slow start ends at ssthresh) and Linux's tcp_slow_start (no L: a
 * stretch ACK for N segments counts as N ACKs for one, and what it acknowledges beyond ssthresh is
 * counted in congestion avoidance).
 *
 * A GRO receiver (ours with StackDriver, Linux's) answers a batch of 16 full-sized segments with one
 * ACK. Truth used below:
 *  - default (L = Infinity): cwnd += min(acked, ssthresh - cwnd), the rest into congestion
 *    avoidance, exactly as Linux's `cwnd = min(cwnd + acked, ssthresh); acked -= ...`;
 *  - L = k: cwnd += min(acked, k * SMSS) (RFC 3465 2.2); L = 1 after an RTO whatever L is (2.3);
 *  - growth never exceeds the bytes acknowledged (2.4: at most doubling per round trip);
 *  - no growth when the sender was not using its window (RFC 7661 2).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SynackError } from '../../src/errors.js';
import { congestionFactory, DEFAULT_TCP_CONFIG, resolveConfig } from '../../src/tcp/config.js';
import type { CongestionContext } from '../../src/tcp/congestion.js';
import { DEFAULT_SLOW_START_LIMIT } from '../../src/tcp/congestion.js';
import { Cubic } from '../../src/tcp/cubic.js';
import { Reno } from '../../src/tcp/reno.js';
import type { TcpConnection } from '../../src/tcp/connection.js';
import { ACK, established, expectNothing, expectSent, poll, send } from './util.js';

const MSS = 1460;
/** Where our segment i starts (ISS 66, data from 67). */
const s = (i: number): number => 67 + MSS * i;
/** The peer's sequence number (it sends no data). */
const PEER = 1113;

const ctx = (o: Partial<CongestionContext> = {}): CongestionContext => ({
  mss: MSS, flightSize: 0, now: 0, srtt: 20, minRtt: 20, sack: true, cwndLimited: true, timeouts: 0, ...o,
});

type Make = (options?: { slowStartLimit?: number }) => Reno;
const CONTROLLERS: ReadonlyArray<[string, Make]> = [
  ['Reno', (o) => new Reno(MSS, o)],
  ['CUBIC', (o) => new Cubic(MSS, o)],
];

/** A controller in slow start with a window of `segments` (as after a few round trips). */
function from(make: Make, segments: number, o?: { slowStartLimit?: number }): Reno {
  const cc = make(o);
  cc.cwnd = segments * MSS;
  return cc;
}

for (const [name, make] of CONTROLLERS) {
  describe(`${name}: slow start with stretch ACKs (RFC 3465, RFC 5681 3.1, Linux tcp_slow_start)`, () => {
    test('by default slowStartLimit is Infinity, in the config and in a controller built without options', () => {
      assert.equal(DEFAULT_SLOW_START_LIMIT, Infinity);
      assert.equal(DEFAULT_TCP_CONFIG.slowStartLimit, Infinity);
      assert.equal(make().slowStartLimit, Infinity);
    });

    test('one ACK covering 16 SMSS grows cwnd by 16 SMSS (every acknowledged byte counts, as Linux)', () => {
      const cc = from(make, 16);
      cc.onAck(16 * MSS, ctx());
      assert.equal(cc.cwnd, 32 * MSS);
    });

    test('with L = 2 the same ACK grows cwnd by 2 SMSS (RFC 3465 2.2); with L = 1 by 1 SMSS (RFC 5681 3.1)', () => {
      const two = from(make, 16, { slowStartLimit: 2 });
      two.onAck(16 * MSS, ctx());
      assert.equal(two.cwnd, 18 * MSS);
      const one = from(make, 16, { slowStartLimit: 1 });
      one.onAck(16 * MSS, ctx());
      assert.equal(one.cwnd, 17 * MSS);
    });

    test('an ACK below L SMSS grows cwnd by exactly the bytes it acknowledges (min(N, L * SMSS))', () => {
      for (const limit of [1, 2, 8, Infinity]) {
        const cc = from(make, 10, { slowStartLimit: limit });
        cc.onAck(700, ctx());
        assert.equal(cc.cwnd, 10 * MSS + 700, `L = ${limit}`);
      }
    });

    test('a stretch ACK never carries cwnd past ssthresh by slow start: it stops at ssthresh and the rest counts as congestion avoidance', () => {
      // cwnd 16, ssthresh 20 SMSS; an ACK for 16 SMSS: 4 of them finish slow start (RFC 5681 3.1:
      // slow start ends at ssthresh), the other 12 count as if acknowledged in congestion avoidance
      // at once (Linux passes tcp_slow_start's leftover to the CA step of the same ACK).
      const oneAck = from(make, 16);
      oneAck.ssthresh = 20 * MSS;
      oneAck.onAck(16 * MSS, ctx({ now: 100 }));
      const split = from(make, 16);
      split.ssthresh = 20 * MSS;
      split.onAck(4 * MSS, ctx({ now: 100 }));
      assert.equal(split.cwnd, 20 * MSS, 'four SMSS fill the window up to ssthresh exactly');
      split.onAck(12 * MSS, ctx({ now: 100 }));
      assert.equal(oneAck.cwnd, split.cwnd, 'the one ACK = reaching ssthresh, then 12 SMSS in congestion avoidance');
      // Congestion avoidance grows by about one SMSS per window of data, not by the 12 SMSS slow
      // start would have added.
      assert.ok(oneAck.cwnd >= 20 * MSS && oneAck.cwnd <= 21 * MSS, `cwnd ${oneAck.cwnd / MSS} SMSS`);
      // The 12 SMSS were counted, not dropped: 8 more make one window (20 SMSS) acknowledged since
      // cwnd reached ssthresh, and Reno adds its one SMSS for it (RFC 5681 3.1, RFC 3465 2.1).
      oneAck.onAck(8 * MSS, ctx({ now: 120 }));
      split.onAck(8 * MSS, ctx({ now: 120 }));
      assert.equal(oneAck.cwnd, split.cwnd);
      if (name === 'Reno') assert.equal(oneAck.cwnd, 21 * MSS);
    });

    test('after a retransmission timeout slow start counts at most 1 SMSS per ACK, whatever L is (RFC 3465 2.3)', () => {
      const cc = from(make, 40);
      cc.onTimeout(ctx({ flightSize: 40 * MSS, timeouts: 1 }));
      assert.equal(cc.cwnd, MSS, 'loss window: one SMSS (RFC 5681 3.1)');
      const ssthresh = cc.ssthresh;
      assert.ok(ssthresh >= 2 * MSS);
      cc.onAck(2 * MSS, ctx({ now: 1000 }));
      assert.equal(cc.cwnd, 2 * MSS, 'an ACK covering two segments after the RTO: +1 SMSS');
      cc.onAck(16 * MSS, ctx({ now: 1010 }));
      assert.equal(cc.cwnd, 3 * MSS, 'a stretch ACK after the RTO: still +1 SMSS');
    });

    test('the full limit comes back in the next slow start that does not follow a timeout (restart after idle)', () => {
      const cc = from(make, 40);
      cc.onTimeout(ctx({ flightSize: 40 * MSS, timeouts: 1 }));
      // Grow back to ssthresh and beyond (congestion avoidance ends the post-timeout slow start).
      let now = 1000;
      while (cc.cwnd <= cc.ssthresh) cc.onAck(MSS, ctx({ now: (now += 1) }));
      cc.onIdleRestart?.(ctx({ now: 10_000 }));
      assert.ok(cc.cwnd < cc.ssthresh, 'restart window below ssthresh: slow start again (RFC 5681 4.1)');
      const before = cc.cwnd;
      const room = cc.ssthresh - before;
      const acked = Math.min(room, 8 * MSS);
      cc.onAck(acked, ctx({ now: 10_010 }));
      assert.equal(cc.cwnd, before + acked);
    });

    test('no growth when the sender was not cwnd-limited (application- or receiver-limited, RFC 7661 2)', () => {
      const cc = from(make, 16);
      cc.onAck(16 * MSS, ctx({ cwndLimited: false }));
      assert.equal(cc.cwnd, 16 * MSS, 'slow start');
      cc.ssthresh = 16 * MSS;
      for (let i = 0; i < 40; i++) cc.onAck(16 * MSS, ctx({ cwndLimited: false, now: i * 20 }));
      assert.equal(cc.cwnd, 16 * MSS, 'congestion avoidance');
    });

    test('property: per ACK, growth in slow start is at most min(acked, L * SMSS), and a window of acknowledged bytes at most doubles cwnd (RFC 3465 2.2, 2.4)', () => {
      fc.assert(
        fc.property(
          fc.constantFrom(1, 2, 4, 8, 16, Infinity),
          fc.integer({ min: 1, max: 64 }),
          fc.array(fc.integer({ min: 1, max: 32 * MSS }), { minLength: 1, maxLength: 40 }),
          (limit, segments, acks) => {
            const cc = from(make, segments, { slowStartLimit: limit });
            const start = cc.cwnd;
            let total = 0;
            for (const a of acks) {
              const before = cc.cwnd;
              cc.onAck(a, ctx());
              total += a;
              if (cc.cwnd - before > Math.min(a, limit * MSS)) return false;
            }
            return cc.cwnd - start <= total;
          },
        ),
      );
    });

    test('property: from below ssthresh, one ACK ends at ssthresh or below unless congestion avoidance adds its share', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 2, max: 64 }),
          fc.integer({ min: 1, max: 64 }),
          fc.integer({ min: 1, max: 64 * MSS }),
          (segments, gap, x) => {
            // An ACK covers at most the flight, and the flight is at most cwnd.
            const acked = 1 + (x % (segments * MSS));
            const cc = from(make, segments);
            cc.ssthresh = (segments + gap) * MSS;
            cc.onAck(acked, ctx({ now: 50 }));
            // Past ssthresh the remainder (less than one window) adds less than one SMSS of
            // congestion avoidance (RFC 5681 3.1; CUBIC's Reno-friendly estimate grows by the same
            // per window, RFC 9438 4.3, and its cubic target barely moves at t = 0).
            return cc.cwnd <= cc.ssthresh + MSS && cc.cwnd >= Math.min(cc.ssthresh, segments * MSS + acked) - 1e-6;
          },
        ),
      );
    });
  });
}

describe('Reno: a stretch ACK of N segments counts as N ACKs of one (Linux: "as if N acks of degree 1 are received back to back")', () => {
  test('property: same cwnd after one ACK for N SMSS as after N ACKs for one SMSS, through ssthresh and into congestion avoidance', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 100 }),
        fc.option(fc.integer({ min: 2, max: 200 }), { nil: undefined }),
        fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 1, maxLength: 30 }),
        (segments, ssthreshSegments, acks) => {
          const stretch = new Reno(MSS);
          const single = new Reno(MSS);
          for (const r of [stretch, single]) {
            r.cwnd = segments * MSS;
            if (ssthreshSegments !== undefined) r.ssthresh = ssthreshSegments * MSS;
          }
          for (const n of acks) {
            // A stretch ACK never covers more than the flight, and the flight is at most cwnd.
            const k = Math.min(n, Math.floor(stretch.cwnd / MSS));
            stretch.onAck(k * MSS, ctx());
            for (let i = 0; i < k; i++) single.onAck(MSS, ctx());
            if (stretch.cwnd !== single.cwnd) return false;
          }
          return true;
        },
      ),
    );
  });
});

describe('configuration: slowStartLimit', () => {
  test('accepts any number >= 1 and Infinity, and passes it to Reno and CUBIC', () => {
    for (const limit of [1, 1.5, 2, 8, 16, Infinity]) {
      for (const cc of ['reno', 'cubic'] as const) {
        const c = resolveConfig({ congestionControl: cc, slowStartLimit: limit });
        const ctl = congestionFactory(c)(MSS);
        assert.ok(ctl instanceof Reno);
        assert.equal(ctl.slowStartLimit, limit, `${cc}, L = ${limit}`);
      }
    }
  });

  test('rejects 0, negative numbers, NaN and non-numbers with ERR_SYNACK_BAD_CONFIG', () => {
    for (const bad of [0, 0.5, -1, NaN, -Infinity, '2', null]) {
      assert.throws(
        () => resolveConfig({ slowStartLimit: bad as number }),
        (e: unknown) => e instanceof SynackError && e.code === 'ERR_SYNACK_BAD_CONFIG' && /slowStartLimit/.test(e.message),
        `slowStartLimit ${String(bad)}`,
      );
    }
  });

  test('a controller built directly with a bad limit throws ERR_SYNACK_BAD_ARGUMENT', () => {
    for (const bad of [0, NaN, -2]) {
      assert.throws(() => new Reno(MSS, { slowStartLimit: bad }), (e: unknown) => e instanceof SynackError && e.code === 'ERR_SYNACK_BAD_ARGUMENT');
      assert.throws(() => new Cubic(MSS, { slowStartLimit: bad }), (e: unknown) => e instanceof SynackError && e.code === 'ERR_SYNACK_BAD_ARGUMENT');
    }
  });
});

/** Take every segment the engine sends now; their starting sequence numbers. */
function drain(c: TcpConnection, now: number): number[] {
  const out: number[] = [];
  for (let seg = poll(c, now); seg; seg = poll(c, now)) out.push(seg.seq);
  return out;
}

describe('the engine in slow start: what one stretch ACK releases (RFC 3465 4: the burst cost)', () => {
  // Our window is 24 segments, all sent; the peer acknowledges 16 of them with one ACK (one GRO
  // batch). 8 stay in flight; the sender may fill the new window at once.
  function afterStretchAck(config: { slowStartLimit?: number; congestionControl?: 'reno' | 'cubic' }): { c: TcpConnection; sent: number[] } {
    const cc = config.congestionControl ?? 'reno';
    const options = config.slowStartLimit === undefined ? {} : { slowStartLimit: config.slowStartLimit };
    const c = established({
      config: {
        nagle: false,
        congestionControl: (mss) => Object.assign(cc === 'reno' ? new Reno(mss, options) : new Cubic(mss, options), { cwnd: 24 * mss }),
      },
    });
    c.send(new Uint8Array(60 * MSS));
    for (let i = 0; i < 24; i++) expectSent(c, { seq: s(i) });
    expectNothing(c);
    send(c, { flags: ACK, seq: PEER, ack: s(16) }, 20);
    return { c, sent: drain(c, 20) };
  }

  for (const cc of ['reno', 'cubic'] as const) {
    test(`${cc}, default: 32 new segments back to back (16 that left the network + 16 of growth: cwnd 24 -> 40)`, () => {
      const { c, sent } = afterStretchAck({ congestionControl: cc });
      assert.equal(c.info().cwnd, 40 * MSS);
      assert.deepEqual(sent, Array.from({ length: 32 }, (_, i) => s(24 + i)));
    });

    test(`${cc}, L = 2: 18 new segments (16 + 2: cwnd 24 -> 26)`, () => {
      const { c, sent } = afterStretchAck({ congestionControl: cc, slowStartLimit: 2 });
      assert.equal(c.info().cwnd, 26 * MSS);
      assert.deepEqual(sent, Array.from({ length: 18 }, (_, i) => s(24 + i)));
    });
  }

  test('the config option reaches the engine: slowStartLimit 2 with the built-in Reno gives +2 SMSS for a stretch ACK of the initial window', () => {
    for (const [limit, grow] of [[2, 2], [Infinity, 3]] as const) {
      const c = established({ config: { nagle: false, slowStartLimit: limit } });
      c.send(new Uint8Array(20 * MSS));
      for (let i = 0; i < 3; i++) expectSent(c, { seq: s(i) }); // IW = 3 SMSS (RFC 5681 3.1)
      send(c, { flags: ACK, seq: PEER, ack: s(3) }, 20);
      assert.equal(c.info().cwnd, (3 + grow) * MSS, `L = ${limit}`);
    }
  });
});
