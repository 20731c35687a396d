/**
 * RACK-TLP (RFC 8985) and D-SACK generation (RFC 2883) as packet traces with real time: the
 * handshake takes 100 ms, so SRTT = min_RTT = 100 ms and the RTO is the 1 s floor; every test shows
 * a loss repaired well before that RTO, where DupThresh alone (RFC 6675) would have waited for it.
 *
 * Segment i carries octets [s(i), s(i+1)) with s(i) = 67 + 1460 i (MSS 1460, no timestamps).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TcpConnection } from '../../src/tcp/connection.js';
import { Rack } from '../../src/tcp/rack.js';
import { Reno } from '../../src/tcp/reno.js';
import type { TcpRepr } from '../../src/wire/tcp.js';
import { ACK, established, expectNothing, expectSent, LOCAL_PORT, mssOption, REMOTE_PORT, SACK_PERMITTED, sackOption, send, SYN } from './util.js';

const MSS = 1460;
const s = (i: number): number => 67 + MSS * i;

/** Handshake at t = 0..100 ms with SACK; `segments` of data queued; cwnd starts at `cwnd` segments. */
function rackConnection(segments: number, cwnd = 3, rtt = 100): TcpConnection {
  const c = TcpConnection.connect({
    now: 0,
    localPort: LOCAL_PORT,
    remotePort: REMOTE_PORT,
    iss: 66,
    config: { timestamps: false, windowScaling: false, sack: true, nagle: false, congestionControl: (m) => Object.assign(new Reno(m), { cwnd: cwnd * m }) },
  });
  expectSent(c, { flags: SYN }, 0);
  send(c, { flags: SYN | ACK, seq: 1112, ack: 67, options: [mssOption(MSS), SACK_PERMITTED] }, rtt);
  expectSent(c, { flags: ACK }, rtt);
  assert.equal(c.info().srtt, rtt);
  if (segments > 0) c.send(new Uint8Array(segments * MSS).fill(7));
  return c;
}

function ackAt(c: TcpConnection, t: number, ack: number, blocks: Array<[number, number]> = []): void {
  send(c, { flags: ACK, seq: 1113, ack: s(ack), options: blocks.length > 0 ? [sackOption(...blocks.map(([a, b]) => [s(a), s(b)] as const))] : [] }, t);
}

describe('tail loss probe (RFC 8985 7)', () => {
  test('when the only ACK is lost, a probe goes after 2 SRTT, not an RTO after 1 s; its D-SACK shows nothing was lost', () => {
    const c = rackConnection(3);
    for (let i = 0; i < 3; i++) expectSent(c, { seq: s(i) }, 100);
    // No ACK. PTO = 2 * SRTT = 200 ms after the last transmission; no new data: the last segment again.
    expectNothing(c, 299);
    expectSent(c, { seq: s(2), payload: new Uint8Array(MSS).fill(7) }, 300);
    assert.equal(c.counters.tailLossProbes, 1);
    const cwnd = c.info().cwnd;
    // The peer had everything: it acknowledges all and reports the probe as a duplicate (D-SACK).
    ackAt(c, 400, 3, [[2, 3]]);
    expectNothing(c, 2000);
    assert.equal(c.counters.timeouts, 0);
    assert.equal(c.info().cwnd >= cwnd, true, 'no loss, no congestion response');
  });

  test('with an RTT of zero (a zero-delay path) the probe waits the 2 ms floor, not 2 SRTT = 0: the ACK of the flight comes first', () => {
    const c = rackConnection(3, 3, 0);
    for (let i = 0; i < 3; i++) expectSent(c, { seq: s(i) }, 0);
    // PTO = max(2 SRTT, 2 ms): nothing at the instant the flight left (a zero PTO would probe then,
    // before the peer's ACK, sent at the same instant, could be processed). The first poll after the
    // burst arms the timer; the second is the stack polling again at the same instant.
    expectNothing(c, 0);
    expectNothing(c, 0);
    ackAt(c, 0, 3);
    expectNothing(c, 500);
    assert.equal(c.counters.tailLossProbes, 0);
  });

  test('with an RTT of zero and no ACK, the probe goes at the 2 ms floor', () => {
    const c = rackConnection(3, 3, 0);
    for (let i = 0; i < 3; i++) expectSent(c, { seq: s(i) }, 0);
    expectNothing(c, 0); // arms the probe timer
    expectNothing(c, 1.999);
    expectSent(c, { seq: s(2) }, 2);
    assert.equal(c.counters.tailLossProbes, 1);
  });

  test('a lost last segment is repaired by the probe, which then counts as a loss (cwnd reduced once)', () => {
    const c = rackConnection(3);
    for (let i = 0; i < 3; i++) expectSent(c, { seq: s(i) }, 100);
    ackAt(c, 200, 2); // segments 0 and 1 arrived; segment 2 was lost (and no later segment exists)
    const before = c.info().cwnd;
    // PTO from the ACK: 2 SRTT plus the worst-case delayed ACK, since one segment is in flight.
    const pto = 2 * c.info().srtt! + 200;
    expectNothing(c, 200 + pto - 1);
    expectSent(c, { seq: s(2) }, 200 + pto);
    ackAt(c, 200 + pto + 100, 3); // no D-SACK: the probe repaired a real loss
    assert.ok(c.info().cwnd < before, `cwnd ${c.info().cwnd} after a repaired tail loss, was ${before}`);
    assert.equal(c.counters.timeouts, 0);
  });

  test('the probe is new data when there is some, sent beyond cwnd', () => {
    const c = rackConnection(6); // cwnd 3 segments, 6 queued
    for (let i = 0; i < 3; i++) expectSent(c, { seq: s(i) }, 100);
    expectNothing(c, 100);
    expectSent(c, { seq: s(3) }, 300);
    expectNothing(c, 300);
    assert.equal(c.counters.tailLossProbes, 1);
    assert.equal(c.counters.retransmissions, 0);
  });
});

describe('RACK loss detection (RFC 8985 6)', () => {
  test('a segment is lost once a later one is delivered and RTT + reo_wnd passed: fewer than three duplicate ACKs suffice', () => {
    const c = rackConnection(3);
    for (let i = 0; i < 3; i++) expectSent(c, { seq: s(i) }, 100);
    // Segment 0 is lost; segment 1 is SACKed at 200: RACK.rtt = 100, reo_wnd = min_RTT / 4 = 25.
    ackAt(c, 200, 0, [[1, 2]]);
    expectNothing(c, 200);
    // Segment 0 was sent at 100: lost at 100 + 100 + 25 (the reordering timer).
    expectNothing(c, 224);
    expectSent(c, { seq: s(0) }, 225);
    assert.equal(c.counters.fastRetransmits, 1);
    assert.equal(c.counters.timeouts, 0);
  });

  test('a lost retransmission is sent again when data sent after it is SACKed, not after the RTO', () => {
    const c = rackConnection(20, 10);
    for (let i = 0; i < 10; i++) expectSent(c, { seq: s(i) }, 100);
    // Segment 0 is lost. Three duplicate ACKs at 200: recovery, segment 0 retransmitted (after the
    // two limited-transmit segments 10 and 11).
    ackAt(c, 200, 0, [[1, 2]]);
    expectSent(c, { seq: s(10) }, 200);
    ackAt(c, 200, 0, [[1, 3]]);
    expectSent(c, { seq: s(11) }, 200);
    ackAt(c, 200, 0, [[1, 4]]);
    expectSent(c, { seq: s(0) }, 200);
    expectNothing(c, 200);
    // More SACKs free pipe: new data at 208 (segment 12), sent after the retransmission.
    for (let k = 5; k <= 8; k++) ackAt(c, 200 + k, 0, [[1, k]]);
    expectSent(c, { seq: s(12) }, 208);
    // The retransmission of segment 0 is lost too. At 302 segment 12 is SACKed: it was sent at 208,
    // after the retransmission at 200, and RACK.rtt (94) + reo_wnd (0 in recovery) has passed since
    // 200. Segment 0 goes again now - the RTO would have waited until 1200.
    ackAt(c, 302, 0, [[1, 11], [12, 13]]);
    expectSent(c, { seq: s(0) }, 302);
    assert.equal(c.counters.lostRetransmissions, 1);
    assert.equal(c.counters.timeouts, 0);
  });

  test('D-SACKs widen the reordering window by min_RTT/4 per round (RFC 8985 6.2 step 4)', () => {
    const r = new Rack();
    r.reset(1000);
    r.sentNew(0, 5000);
    r.delivered(100, 4000); // min_RTT 100
    assert.equal(r.reoWnd(100, 100, false, 0), 25);
    r.updateReoWnd(1000, 5000, true, false);
    assert.equal(r.reoWnd(100, 100, false, 0), 50);
    r.updateReoWnd(1000, 5000, true, false); // same round: no second step
    assert.equal(r.reoWnd(100, 100, false, 0), 50);
    r.updateReoWnd(5000, 9000, true, false); // next round
    assert.equal(r.reoWnd(100, 100, false, 0), 75);
    assert.equal(r.reoWnd(60, 100, false, 0), 60, 'never more than SRTT');
  });
});

describe('D-SACK generation (RFC 2883)', () => {
  function receiver(): TcpConnection {
    return established({ config: { sack: true }, peerOptions: [SACK_PERMITTED] });
  }
  const blocksOf = (seg: TcpRepr): Array<[number, number]> =>
    seg.options.flatMap((o) => (o.name === 'sack' ? o.blocks.map((b): [number, number] => [b.left, b.right]) : []));

  test('a segment received twice is reported in the first SACK block of the next ACK, once', () => {
    const c = receiver();
    send(c, { flags: ACK, seq: 1113, ack: 67, payload: 'hello' });
    send(c, { flags: ACK, seq: 1113, ack: 67, payload: 'hello' });
    const a = expectSent(c, { flags: ACK, ack: 1118 });
    assert.deepEqual(blocksOf(a), [[1113, 1118]]);
    send(c, { flags: ACK, seq: 1118, ack: 67, payload: 'world' });
    expectSent(c, { flags: ACK, ack: 1123 }, 100);
    c.send(new Uint8Array(10));
    assert.deepEqual(blocksOf(expectSent(c, { ack: 1123 }, 100)), [], 'reported once');
  });

  test('a duplicate of held out-of-order data is a D-SACK followed by the block holding it (4.1.2)', () => {
    const c = receiver();
    send(c, { flags: ACK, seq: 1118, ack: 67, payload: 'world' });
    assert.deepEqual(blocksOf(expectSent(c, { ack: 1113 })), [[1118, 1123]]);
    send(c, { flags: ACK, seq: 1118, ack: 67, payload: 'world' });
    assert.deepEqual(blocksOf(expectSent(c, { ack: 1113 })), [[1118, 1123], [1118, 1123]]);
  });
});
