/**
 * Loss recovery and congestion control, one mechanism per test, as packet traces: the scripted
 * peer's ACKs (with SACK blocks) go in, and the segments the engine sends must be the ones the RFCs
 * call for: fast retransmit on three duplicate ACKs (RFC 5681 3.2), limited transmit (RFC 3042),
 * SACK recovery with holes before new data and a rescue retransmission (RFC 6675), D-SACK taken
 * without harm (RFC 2883), the window halved on loss (RFC 5681 eq. 4) or reduced to 0.7 (RFC 9438),
 * no SACKed segment resent after a timeout, appropriate byte counting (RFC 3465), restart after idle
 * (RFC 5681 4.1), and CUBIC's window following W_cubic(t) (RFC 9438 4.1-4.2).
 *
 * Setup: we are ISS 66, so data starts at 67; the peer's MSS is 1460, no timestamps, so every full
 * segment carries 1460 octets and s(i) = 67 + 1460 i is where segment i starts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TcpConnection } from '../../src/tcp/connection.js';
import type { TcpOption } from '../../src/wire/tcp.js';
import type { TcpConfig } from '../../src/tcp/config.js';
import { Cubic, CUBIC_BETA, CUBIC_C } from '../../src/tcp/cubic.js';
import { Reno } from '../../src/tcp/reno.js';
import type { CongestionContext } from '../../src/tcp/congestion.js';
import { ACK, established, expectNothing, expectSent, LOCAL_PORT, mssOption, REMOTE_PORT, SACK_PERMITTED, sackOption, send, SYN } from './util.js';

const MSS = 1460;
const s = (i: number): number => 67 + MSS * i;
const DATA = (segments: number): Uint8Array => new Uint8Array(segments * MSS).map((_, i) => i & 0xff);
/** The peer's sequence number (it sends no data). */
const PEER = 1113;

/** Reno starting from a window of `segments` (instead of the initial window), to have a flight to lose. */
function renoFrom(segments: number): (mss: number) => Reno {
  return (mss) => {
    const r = new Reno(mss);
    r.cwnd = segments * mss;
    return r;
  };
}

/** A connection with DupThresh-based recovery only (RACK-TLP off unless `config` turns it on). */
function connection(o: { sack: boolean; cwnd?: number; config?: Partial<TcpConfig> }): TcpConnection {
  return established({
    config: { nagle: false, sack: o.sack, rack: false, ...(o.cwnd === undefined ? {} : { congestionControl: renoFrom(o.cwnd) }), ...o.config },
    ...(o.sack ? { peerOptions: [SACK_PERMITTED] } : {}),
  });
}

/** Send `n` segments' worth and take the first `out` segments the window lets go. */
function sendSegments(c: TcpConnection, n: number, out: number, now = 0): void {
  c.send(DATA(n));
  for (let i = 0; i < out; i++) expectSent(c, { seq: s(i), payload: DATA(n).subarray(i * MSS, (i + 1) * MSS) }, now);
}

/** An ACK from the peer: cumulative `ack`, optional SACK blocks given in segment numbers [from, to). */
function ackWith(c: TcpConnection, ack: number, blocks: Array<[number, number]> = [], now = 0): void {
  send(c, { flags: ACK, seq: PEER, ack, options: blocks.length > 0 ? [sackOption(...blocks.map(([a, b]) => [s(a), s(b)] as const))] : [] }, now);
}

describe('fast retransmit and limited transmit (RFC 5681 3.2, RFC 3042)', () => {
  test('three duplicate ACKs trigger a fast retransmit of the first unacknowledged segment (no SACK)', () => {
    const c = connection({ sack: false, cwnd: 4 });
    sendSegments(c, 4, 4);
    ackWith(c, s(0));
    ackWith(c, s(0));
    expectNothing(c); // nothing new to send, two duplicates are not enough
    ackWith(c, s(0));
    expectSent(c, { seq: s(0), payload: DATA(4).subarray(0, MSS) });
    assert.equal(c.counters.fastRetransmits, 1);
  });

  test('limited transmit sends one new segment on each of the first two duplicate ACKs, cwnd unchanged', () => {
    const c = connection({ sack: false });
    sendSegments(c, 10, 3); // initial window: 3 segments (RFC 5681 3.1, SMSS 1460)
    expectNothing(c);
    const cwnd = c.info().cwnd;
    ackWith(c, s(0));
    expectSent(c, { seq: s(3) });
    expectNothing(c);
    ackWith(c, s(0));
    expectSent(c, { seq: s(4) });
    expectNothing(c);
    assert.equal(c.info().cwnd, cwnd, 'RFC 3042: cwnd MUST NOT change');
    ackWith(c, s(0));
    expectSent(c, { seq: s(0) }); // the third is a fast retransmit, not more new data
    assert.equal(c.counters.fastRetransmits, 1);
  });

  test('cwnd halves on loss: ssthresh = max(FlightSize / 2, 2 SMSS), cwnd = ssthresh + 3 SMSS (RFC 5681 eq. 4)', () => {
    const c = connection({ sack: false, cwnd: 10 });
    sendSegments(c, 10, 10);
    for (let i = 0; i < 3; i++) ackWith(c, s(0));
    expectSent(c, { seq: s(0) });
    assert.equal(c.info().ssthresh, 5 * MSS);
    assert.equal(c.info().cwnd, 5 * MSS + 3 * MSS);
  });

  test('with CUBIC the window is reduced to beta = 0.7 of the flight (RFC 9438 4.6)', () => {
    const c = established({ config: { nagle: false, sack: true, rack: false, congestionControl: (mss) => Object.assign(new Cubic(mss), { cwnd: 10 * mss }) }, peerOptions: [SACK_PERMITTED] });
    sendSegments(c, 10, 10);
    ackWith(c, s(0), [[1, 2]]);
    ackWith(c, s(0), [[1, 3]]);
    ackWith(c, s(0), [[1, 4]]);
    expectSent(c, { seq: s(0) });
    assert.equal(c.info().ssthresh, Math.floor(10 * MSS * CUBIC_BETA));
    assert.equal(c.info().cwnd, Math.floor(10 * MSS * CUBIC_BETA));
  });
});

describe('SACK loss recovery (RFC 6675)', () => {
  test('holes are retransmitted before new data, as pipe makes room (NextSeg rules 1 and 2)', () => {
    const c = connection({ sack: true, cwnd: 10 });
    sendSegments(c, 30, 10);
    expectNothing(c);
    // Segments 0 and 3 are lost. Duplicate ACKs SACK what arrived; the first two let limited
    // transmit (RFC 6675 5 step 3: cwnd - pipe >= 1 SMSS) send segments 10 and 11.
    ackWith(c, s(0), [[1, 2]]);
    expectSent(c, { seq: s(10) });
    expectNothing(c);
    ackWith(c, s(0), [[1, 3]]);
    expectSent(c, { seq: s(11) });
    expectNothing(c);
    // The third: recovery. RecoveryPoint = 12 segments out; ssthresh = cwnd = 12/2 segments; the
    // first segment is retransmitted at once (4.3).
    ackWith(c, s(0), [[4, 5], [1, 3]]);
    expectSent(c, { seq: s(0), payload: DATA(30).subarray(0, MSS) });
    assert.deepEqual([c.info().ssthresh, c.info().cwnd], [6 * MSS, 6 * MSS]);
    // pipe = 12 out - 3 SACKed - 1 lost + 1 retransmitted = 9 > cwnd 6: nothing.
    expectNothing(c);
    ackWith(c, s(0), [[4, 6], [1, 3]]); // pipe 8
    expectNothing(c);
    // Three SACKed segments above segment 3 make it lost too (IsLost: more than 2 SMSS above):
    // pipe = 12 - 5 SACKed - 2 lost + 1 retransmitted = 6.
    ackWith(c, s(0), [[4, 7], [1, 3]]);
    expectNothing(c);
    // pipe 5: room for one segment, and new data is waiting, but the hole at 3 goes first.
    ackWith(c, s(0), [[4, 8], [1, 3]]);
    expectSent(c, { seq: s(3), payload: DATA(30).subarray(3 * MSS, 4 * MSS) });
    expectNothing(c);
    // pipe 5 again (one more SACKed, nothing else lost): new data now (rule 2), where it stopped.
    ackWith(c, s(0), [[4, 9], [1, 3]]);
    expectSent(c, { seq: s(12) });
    expectNothing(c);
    ackWith(c, s(0), [[4, 10], [1, 3]]);
    expectSent(c, { seq: s(13) });
    expectNothing(c);
    // Segment 0 arrives: a partial ACK up to the hole at 3 (RecoveryPoint is 12).
    ackWith(c, s(3), [[4, 12]]);
    assert.equal(c.info().cwnd, 6 * MSS, 'no inflation or deflation with SACK');
    // Segment 3 arrives: a full ACK ends recovery with cwnd = ssthresh.
    ackWith(c, s(12));
    assert.equal(c.info().cwnd, 6 * MSS);
    assert.equal(c.counters.retransmissions, 2, 'segments 0 and 3 only');
  });

  test('a tail loss gets one rescue retransmission of the highest un-SACKed segment (NextSeg rule 4)', () => {
    const c = connection({ sack: true, cwnd: 10 });
    sendSegments(c, 10, 10); // everything the application had
    // Segments 0 and 9 are lost.
    ackWith(c, s(0), [[1, 2]]);
    ackWith(c, s(0), [[1, 3]]);
    ackWith(c, s(0), [[1, 4]]);
    expectSent(c, { seq: s(0) });
    for (let k = 5; k <= 9; k++) ackWith(c, s(0), [[1, k]]);
    // Nothing is deemed lost above segment 0 (nothing SACKed above segment 9), no new data, and
    // RescueRxt (the end of the first retransmission) is not yet acknowledged: no rescue yet.
    expectNothing(c);
    // The retransmission arrives: a partial ACK up to segment 9, past RescueRxt: rescue it.
    ackWith(c, s(9));
    expectSent(c, { seq: s(9), payload: DATA(10).subarray(9 * MSS) });
    expectNothing(c);
    assert.equal(c.counters.timeouts, 0);
  });

  test('D-SACK blocks (RFC 2883) are not duplicate ACKs: no fast retransmit', () => {
    const c = connection({ sack: true, cwnd: 6 });
    sendSegments(c, 6, 6);
    ackWith(c, s(3)); // segments 0-2 acknowledged
    // The peer reports segment 1 received twice, three times: a D-SACK below the cumulative ACK.
    for (let i = 0; i < 3; i++) ackWith(c, s(3), [[1, 2]]);
    // ...and a D-SACK inside a SACK block it already reported (RFC 2883 4.1.2).
    ackWith(c, s(3), [[4, 5]]);
    for (let i = 0; i < 3; i++) ackWith(c, s(3), [[4, 5], [4, 6]]);
    expectNothing(c);
    assert.equal(c.counters.fastRetransmits, 0);
    assert.equal(c.counters.retransmissions, 0);
    assert.equal(c.counters.dsacksIn, 6);
    assert.equal(c.counters.dupAcksIn, 2, 'only the ACKs that SACKed new data');
  });

  test('after a timeout, the segments SACK reported are not sent again (RFC 6675 5.1)', () => {
    const c = connection({ sack: true, cwnd: 6 });
    sendSegments(c, 6, 6);
    ackWith(c, s(0), [[2, 4]]); // one duplicate ACK: not enough for recovery
    expectNothing(c);
    // The RTO (1 s): cwnd = 1 SMSS; the first hole goes.
    expectSent(c, { seq: s(0) }, 1000);
    expectNothing(c, 1000);
    assert.equal(c.info().cwnd, MSS);
    ackWith(c, s(1), [[2, 4]], 1010);
    // cwnd = 2 SMSS (slow start with L = 1 after a timeout, RFC 3465 2.3): segment 1, then segment
    // 4 - segments 2 and 3 were SACKed and are skipped.
    expectSent(c, { seq: s(1) }, 1010);
    expectSent(c, { seq: s(4) }, 1010);
    expectNothing(c, 1010);
    ackWith(c, s(5), [], 1020);
    expectSent(c, { seq: s(5) }, 1020);
    ackWith(c, s(6), [], 1030);
    assert.equal(c.counters.retransmissions, 4, 'segments 0, 1, 4 and 5; never 2 or 3');
    assert.deepEqual(c.info().sndUna, s(6));
  });
});

describe('timeouts (RFC 6298, RFC 5681 3.1)', () => {
  test('the RTO doubles on each expiry and ssthresh is set only by the first (RFC 6298 5.5, RFC 5681 3.1)', () => {
    const c = connection({ sack: false, cwnd: 8 });
    sendSegments(c, 8, 8);
    expectSent(c, { seq: s(0) }, 1000);
    assert.deepEqual([c.info().rto, c.info().ssthresh, c.info().cwnd], [2000, 4 * MSS, MSS]);
    expectNothing(c, 2999);
    expectSent(c, { seq: s(0) }, 3000);
    assert.deepEqual([c.info().rto, c.info().ssthresh, c.info().cwnd], [4000, 4 * MSS, MSS]);
    expectNothing(c, 6999);
    expectSent(c, { seq: s(0) }, 7000);
    assert.equal(c.info().rto, 8000);
  });
});

describe('RTT samples from timestamps (RFC 7323 4, RFC 6298 3)', () => {
  const ts = (tsval: number, tsecr: number): TcpOption => ({ kind: 8, name: 'timestamps', tsval, tsecr });
  function withTimestamps(): TcpConnection {
    const c = TcpConnection.connect({ now: 0, localPort: LOCAL_PORT, remotePort: REMOTE_PORT, iss: 66, config: { windowScaling: false, sack: false } });
    expectSent(c, { flags: SYN }, 0);
    send(c, { flags: SYN | ACK, seq: 1112, ack: 67, options: [mssOption(MSS), ts(500, 0)] }, 100);
    expectSent(c, { flags: ACK }, 100);
    assert.equal(c.info().srtt, 100);
    c.send(DATA(1).subarray(0, 1000));
    expectSent(c, { seq: 67 }, 1000); // TSval 1000
    expectSent(c, { seq: 67 }, 2000); // RTO: TSval 2000
    return c;
  }

  test('an ACK echoing the retransmission gives a sample', () => {
    const c = withTimestamps();
    send(c, { flags: ACK, seq: 1113, ack: 1067, options: [ts(600, 2000)] }, 2050);
    assert.equal(c.info().srtt, 100 * 7 / 8 + 50 / 8);
  });

  test('an ACK echoing the original transmission (its first ACK was lost) gives none: it would time the RTO wait', () => {
    const c = withTimestamps();
    send(c, { flags: ACK, seq: 1113, ack: 1067, options: [ts(600, 1000)] }, 2050);
    assert.equal(c.info().srtt, 100);
  });
});

describe('window growth (RFC 3465, RFC 5681 4.1)', () => {
  const ctx = (o: Partial<CongestionContext>): CongestionContext => ({
    mss: MSS, flightSize: 0, now: 0, srtt: 100, minRtt: 100, sack: true, cwndLimited: true, timeouts: 0, ...o,
  });

  test('slow start grows by the bytes acknowledged, at most 2 SMSS per ACK (ABC, L = 2); 1 SMSS after a timeout', () => {
    const r = new Reno(MSS, { slowStartLimit: 2 }); // RFC 3465 2.3's cap (the default counts every byte)
    const iw = 3 * MSS;
    r.onAck(2 * MSS, ctx({}));
    assert.equal(r.cwnd, iw + 2 * MSS, 'a delayed ACK of two segments: +2 SMSS');
    r.onAck(4 * MSS, ctx({}));
    assert.equal(r.cwnd, iw + 4 * MSS, 'a stretch ACK of four: still +2 SMSS');
    r.onAck(MSS, ctx({ cwndLimited: false }));
    assert.equal(r.cwnd, iw + 4 * MSS, 'not cwnd-limited: no growth (RFC 7661)');
    r.onTimeout(ctx({ flightSize: 10 * MSS, timeouts: 1 }));
    r.onAck(2 * MSS, ctx({}));
    assert.equal(r.cwnd, 2 * MSS, 'after the loss window, L = 1');
  });

  test('congestion avoidance adds one SMSS per cwnd of acknowledged bytes (RFC 5681 3.1)', () => {
    const r = new Reno(MSS);
    r.onEnterRecovery(ctx({ flightSize: 20 * MSS }));
    r.onExitRecovery(ctx({}));
    assert.equal(r.cwnd, 10 * MSS);
    for (let i = 0; i < 9; i++) r.onAck(MSS, ctx({}));
    assert.equal(r.cwnd, 10 * MSS);
    r.onAck(MSS, ctx({}));
    assert.equal(r.cwnd, 11 * MSS);
  });

  test('after an idle period longer than the RTO, sending restarts from the initial window (RFC 5681 4.1)', () => {
    const c = connection({ sack: false, cwnd: 10 });
    sendSegments(c, 10, 10);
    ackWith(c, s(10), [], 100);
    assert.ok(c.info().cwnd >= 10 * MSS);
    c.send(DATA(10));
    // Idle for 5 s (> RTO of 1 s): only 3 segments (IW for SMSS 1460) go.
    for (let i = 0; i < 3; i++) expectSent(c, { seq: s(10 + i) }, 5100);
    expectNothing(c, 5100);
    assert.equal(c.info().cwnd, 3 * MSS);
  });
});

describe('CUBIC window growth (RFC 9438)', () => {
  test('after a reduction, cwnd follows W_cubic(t) = C (t - K)^3 + W_max', () => {
    // A high-BDP flow (1000 segments, 100 ms), where CUBIC is above the Reno-friendly estimate.
    const rttMs = 100;
    const wMax = 1000; // segments before the loss
    const cc = new Cubic(MSS);
    cc.cwnd = wMax * MSS;
    const base = { mss: MSS, srtt: rttMs, minRtt: rttMs, sack: true, cwndLimited: true, timeouts: 0 };
    cc.onEnterRecovery({ ...base, flightSize: wMax * MSS, now: 0 });
    cc.onExitRecovery({ ...base, flightSize: cc.cwnd, now: 0 });
    assert.equal(cc.cwnd, Math.floor(wMax * MSS * CUBIC_BETA));
    // The RFC's curve, computed here independently (eq. 1 and 2, cwnd_epoch = beta * W_max).
    const k = Math.cbrt((wMax * (1 - CUBIC_BETA)) / CUBIC_C);
    const wCubic = (t: number): number => CUBIC_C * (t - k) ** 3 + wMax;
    // A flow that acknowledges its whole window every RTT, in per-segment ACKs.
    let now = 0;
    const checks = new Map<number, number>();
    while (now < 15_000) {
      const segs = Math.floor(cc.cwnd / MSS);
      for (let i = 0; i < segs; i++) cc.onAck(MSS, { ...base, flightSize: cc.cwnd, now: now + (i * rttMs) / segs });
      now += rttMs;
      checks.set(now, cc.cwnd / MSS);
    }
    for (const tMs of [1000, 2000, 4000, 6000, 8000, 9000, 10_000, 12_000, 14_000]) {
      const w = checks.get(tMs)!;
      // cwnd chases the target one RTT ahead, so it sits between W_cubic(t) and W_cubic(t + RTT).
      const lo = wCubic((tMs - 2 * rttMs) / 1000);
      const hi = wCubic((tMs + rttMs) / 1000);
      assert.ok(w >= Math.min(lo, hi) - 1 && w <= Math.max(lo, hi) + 1, `t=${tMs} ms: cwnd ${w.toFixed(2)} segments, W_cubic ${wCubic(tMs / 1000).toFixed(2)}`);
    }
    // Concave below W_max, a plateau near K, convex above it.
    assert.ok(checks.get(1000)! < wMax && checks.get(14_000)! > wMax);
    assert.ok(checks.get(9000)! - checks.get(8000)! < checks.get(2000)! - checks.get(1000)!, 'flattens toward K');
  });

  test('in the Reno-friendly region (small window, long RTT) cwnd grows at least like AIMD with alpha = 3(1-beta)/(1+beta)', () => {
    const rttMs = 1000;
    const cc = new Cubic(MSS);
    cc.cwnd = 10 * MSS;
    const base = { mss: MSS, srtt: rttMs, minRtt: rttMs, sack: true, cwndLimited: true, timeouts: 0 };
    cc.onEnterRecovery({ ...base, flightSize: 10 * MSS, now: 0 });
    cc.onExitRecovery({ ...base, flightSize: cc.cwnd, now: 0 });
    const start = cc.cwnd / MSS; // 7 segments
    const alpha = (3 * (1 - CUBIC_BETA)) / (1 + CUBIC_BETA);
    let now = 0;
    for (let r = 0; r < 3; r++) {
      const segs = Math.floor(cc.cwnd / MSS);
      for (let i = 0; i < segs; i++) cc.onAck(MSS, { ...base, flightSize: cc.cwnd, now });
      now += rttMs;
    }
    // Three RTTs of AIMD add about 3 alpha segments; CUBIC must not be slower than that.
    assert.ok(cc.cwnd / MSS >= start + 3 * alpha - 0.2, `cwnd ${(cc.cwnd / MSS).toFixed(2)} segments`);
  });
});
