/**
 * Explicit Congestion Notification (RFC 3168) as packet traces: the ECN-setup SYN (ECE + CWR) and
 * SYN-ACK (ECE alone), which segments may go ECN-capable (ECT(0): new data only, 6.1.4-6.1.6), the
 * receiver's ECN-Echo from a Congestion Experienced mark until the sender's CWR (6.1.3), and the
 * sender's answer: the window reduced as for a loss, at most once per window of data, CWR on the
 * next new data (6.1.2).
 *
 * The engine under test is A (ISS 66); the scripted peer B's ISN is 1112. No timestamps, SACK or
 * window scaling unless said; MSS 1000 so the window arithmetic reads easily.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TcpConnection } from '../../src/tcp/connection.js';
import type { TcpConfig } from '../../src/tcp/config.js';
import { Reno } from '../../src/tcp/reno.js';
import { TcpFlag } from '../../src/wire/tcp.js';
import { ACK, BASE_CONFIG, expectNothing, expectSent, flagNames, LOCAL_PORT, mssOption, poll, REMOTE_PORT, send, SYN } from './util.js';

const { ECE, CWR } = TcpFlag;
const MSS = 1000;
const CE = { ce: true } as const;

function connect(config: Partial<TcpConfig>): TcpConnection {
  return TcpConnection.connect({ now: 0, localPort: LOCAL_PORT, remotePort: REMOTE_PORT, iss: 66, config: { ...BASE_CONFIG, nagle: false, ...config } });
}

/** A active, ECN asked for ('on'), B answers with `synAckFlags`; the handshake completes at t = 100. */
function handshake(synAckFlags: number, config: Partial<TcpConfig> = {}): TcpConnection {
  const c = connect({ ecn: 'on', ...config });
  expectSent(c, { flags: SYN | ECE | CWR, seq: 66 }, 0);
  send(c, { flags: synAckFlags, seq: 1112, ack: 67, options: [mssOption(MSS)] }, 100);
  expectSent(c, { flags: ACK, seq: 67, ack: 1113 }, 100);
  return c;
}

/** The next segment, with whether it may go ECN-capable. */
function next(c: TcpConnection, now: number): { flags: string; seq: number; len: number; ect: boolean } | undefined {
  const s = poll(c, now);
  return s === undefined ? undefined : { flags: flagNames(s.flags), seq: s.seq, len: s.payload.length, ect: c.transmitEct };
}

describe('ECN negotiation (RFC 3168 6.1.1)', () => {
  test("by default ('passive') our SYN asks for nothing", () => {
    const c = connect({});
    expectSent(c, { flags: SYN }, 0);
    assert.equal(c.transmitEct, false, 'a SYN is never ECN-capable');
  });

  test("'on': the SYN carries ECE and CWR; an ECN-setup SYN-ACK (ECE, no CWR) turns ECN on", () => {
    const c = handshake(SYN | ACK | ECE);
    assert.equal(c.ecn, true);
  });

  test('a SYN-ACK without ECE, or with ECE and CWR both, leaves ECN off', () => {
    assert.equal(handshake(SYN | ACK).ecn, false);
    assert.equal(handshake(SYN | ACK | ECE | CWR).ecn, false);
  });

  test('a retransmitted SYN drops ECE and CWR (6.1.1.1); after an ECN-setup SYN-ACK no ECT is sent, but CE is still echoed', () => {
    const c = connect({ ecn: 'on' });
    expectSent(c, { flags: SYN | ECE | CWR }, 0);
    expectSent(c, { flags: SYN }, 1000); // the initial RTO
    send(c, { flags: SYN | ACK | ECE, seq: 1112, ack: 67, options: [mssOption(MSS)] }, 1100);
    expectSent(c, { flags: ACK }, 1100);
    // 6.1.1: having sent a non-ECN-setup SYN, no ECT on our data ...
    assert.equal(c.ecn, false);
    c.send(new Uint8Array(100).fill(1));
    assert.equal(next(c, 1100)?.ect, false);
    // ... but having sent an ECN-setup SYN and received no non-ECN-setup SYN-ACK, CE MUST be
    // processed as on an ECN-capable connection: echoed with ECE (the peer's data is ECT).
    send(c, { flags: ACK, seq: 1113, ack: 167, payload: 'x'.repeat(100) }, 1200, CE);
    assert.equal(next(c, 1200)?.flags, 'ACK|ECE');
  });

  for (const [mode, expected] of [
    ['passive', SYN | ACK | ECE],
    ['on', SYN | ACK | ECE],
    ['off', SYN | ACK],
  ] as const) {
    test(`passive open with ecn '${mode}': an ECN-setup SYN is answered with ${flagNames(expected)}`, () => {
      const syn = { srcPort: REMOTE_PORT, dstPort: LOCAL_PORT, seq: 1112, ack: 0, flags: SYN | ECE | CWR, window: 65535, urgentPointer: 0, options: [mssOption(MSS)], payload: new Uint8Array(0) };
      const c = TcpConnection.accept({ now: 0, syn, iss: 66, config: { ...BASE_CONFIG, ecn: mode } });
      expectSent(c, { flags: expected, seq: 66, ack: 1113 }, 0);
      assert.equal(c.ecn, mode !== 'off');
    });
  }

  test('passive open: a SYN with ECE alone is not ECN-setup; the SYN-ACK has no ECE', () => {
    const syn = { srcPort: REMOTE_PORT, dstPort: LOCAL_PORT, seq: 1112, ack: 0, flags: SYN | ECE, window: 65535, urgentPointer: 0, options: [], payload: new Uint8Array(0) };
    const c = TcpConnection.accept({ now: 0, syn, iss: 66, config: { ...BASE_CONFIG, ecn: 'passive' } });
    expectSent(c, { flags: SYN | ACK }, 0);
    assert.equal(c.ecn, false);
  });
});

describe('ECN-capable segments (RFC 3168 6.1.4-6.1.6)', () => {
  test('new data is ECT; pure ACKs, retransmissions and zero-window probes are not', () => {
    const c = handshake(SYN | ACK | ECE);
    c.send(new Uint8Array(3 * MSS).fill(1));
    assert.deepEqual(next(c, 100), { flags: 'ACK', seq: 67, len: MSS, ect: true });
    assert.deepEqual(next(c, 100), { flags: 'ACK', seq: 1067, len: MSS, ect: true });
    assert.deepEqual(next(c, 100), { flags: 'PSH|ACK', seq: 2067, len: MSS, ect: true });
    // Data from B: A's answer is a pure ACK, not ECN-capable.
    send(c, { flags: ACK, seq: 1113, ack: 67, payload: 'x'.repeat(10) }, 150);
    const ack = next(c, 150 + 40); // after the delayed-ACK timer
    assert.deepEqual(ack, { flags: 'ACK', seq: 3067, len: 0, ect: false });
    // No ACK for the data: the RTO retransmits the first segment, not ECN-capable (6.1.5).
    const rxt = next(c, 1100);
    assert.equal(rxt?.seq, 67);
    assert.equal(rxt?.ect, false);
  });

  test('a zero-window probe is not ECT (6.1.6)', () => {
    const c = handshake(SYN | ACK | ECE);
    send(c, { flags: ACK, seq: 1113, ack: 67, window: 0 }, 110);
    c.send(new Uint8Array(100).fill(2));
    let probe: ReturnType<typeof next>;
    for (let t = 110; t < 5000 && probe === undefined; t += 10) probe = next(c, t);
    assert.ok(probe !== undefined && probe.len === 1, `a 1-byte probe, got ${JSON.stringify(probe)}`);
    assert.equal(probe.ect, false);
  });

  test('without ECN nothing is ECT', () => {
    const c = handshake(SYN | ACK);
    c.send(new Uint8Array(MSS).fill(1));
    assert.equal(next(c, 100)?.ect, false);
  });
});

describe('ECN-Echo at the receiver (RFC 3168 6.1.3)', () => {
  test('a CE mark is echoed with ECE at once and on every ACK until the sender says CWR', () => {
    const c = handshake(SYN | ACK | ECE);
    // B's data segment arrives marked Congestion Experienced: A acknowledges at once, with ECE.
    send(c, { flags: ACK, seq: 1113, ack: 67, payload: 'a'.repeat(100) }, 200, CE);
    assert.deepEqual(next(c, 200), { flags: 'ACK|ECE', seq: 67, len: 0, ect: false });
    assert.equal(c.counters.ceIn, 1);
    // Unmarked data still gets ECE: B has not said CWR yet.
    send(c, { flags: ACK, seq: 1213, ack: 67, payload: 'b'.repeat(100) }, 300);
    assert.equal(next(c, 340)?.flags, 'ACK|ECE');
    // CWR: the echo stops.
    send(c, { flags: ACK | CWR, seq: 1313, ack: 67, payload: 'c'.repeat(100) }, 400);
    assert.equal(next(c, 440)?.flags, 'ACK');
    // A new mark starts it again; a CWR on the very segment that is CE does not cancel it.
    send(c, { flags: ACK | CWR, seq: 1413, ack: 67, payload: 'd'.repeat(100) }, 500, CE);
    assert.equal(next(c, 500)?.flags, 'ACK|ECE');
  });

  test('without ECN a CE mark is not echoed', () => {
    const c = handshake(SYN | ACK);
    send(c, { flags: ACK, seq: 1113, ack: 67, payload: 'a'.repeat(100) }, 200, CE);
    assert.equal(next(c, 240)?.flags, 'ACK');
    assert.equal(c.counters.ceIn, 0);
  });
});

describe("the sender's answer to ECN-Echo (RFC 3168 6.1.2)", () => {
  /** ECN on, Reno starting with cwnd = 8 segments, 16 queued, the first 8 sent. */
  function flowing(): TcpConnection {
    const c = handshake(SYN | ACK | ECE, { congestionControl: (m) => Object.assign(new Reno(m), { cwnd: 8 * m }) });
    c.send(new Uint8Array(16 * MSS).fill(3));
    for (let i = 0; i < 8; i++) assert.equal(next(c, 100)?.ect, true, `segment ${i} of the initial flight is ECT`);
    return c;
  }

  test('ECE halves the window once (ssthresh = FlightSize / 2), without a retransmission; the next new data carries CWR', () => {
    const c = flowing();
    const before = c.info();
    const cwndBefore = before.cwnd;
    // ACK of two segments with ECE: 8 were in flight.
    send(c, { flags: ACK | ECE, seq: 1113, ack: 67 + 2 * MSS }, 200);
    const after = c.info();
    assert.equal(after.ssthresh, (8 * MSS) / 2, 'ssthresh = FlightSize / 2 (RFC 5681 equation 4)');
    assert.equal(after.cwnd, after.ssthresh);
    assert.ok(after.cwnd < cwndBefore);
    assert.equal(c.counters.ecnReductions, 1);
    assert.equal(c.counters.retransmissions, 0, 'no data was lost: nothing is sent again');
    // 6 in flight, cwnd 4 segments: nothing may go until more is acknowledged.
    expectNothing(c, 200);
    // Acknowledged up to segment 6: 2 in flight, room for 2.
    send(c, { flags: ACK, seq: 1113, ack: 67 + 6 * MSS }, 210);
    const seg = next(c, 210);
    assert.equal(seg?.seq, 67 + 8 * MSS, 'new data');
    assert.equal(seg?.flags, 'ACK|CWR', 'the first new data after the reduction says CWR');
    assert.equal(next(c, 210)?.flags, 'ACK', 'only the first');
  });

  test('more ECE within the same window does not reduce again; after the window it does', () => {
    const c = flowing();
    send(c, { flags: ACK | ECE, seq: 1113, ack: 67 + 1 * MSS }, 200);
    const first = c.info().cwnd;
    send(c, { flags: ACK | ECE, seq: 1113, ack: 67 + 2 * MSS }, 201);
    send(c, { flags: ACK | ECE, seq: 1113, ack: 67 + 3 * MSS }, 202);
    assert.equal(c.counters.ecnReductions, 1, 'once per window of data');
    assert.ok(c.info().cwnd <= first, 'an ECN-Echo ACK never grows the window');
    // Everything sent before the reduction acknowledged; new data went out meanwhile.
    send(c, { flags: ACK, seq: 1113, ack: 67 + 8 * MSS }, 300);
    while (next(c, 300) !== undefined);
    send(c, { flags: ACK | ECE, seq: 1113, ack: 67 + 9 * MSS }, 400);
    assert.equal(c.counters.ecnReductions, 2, 'a new window, a new reduction');
  });

  test('the ACK of exactly the reduction point may still carry ECE (the CWR segment starts there): no second reduction', () => {
    const c = flowing(); // 8 segments out: SND.MAX = s(8)
    send(c, { flags: ACK | ECE, seq: 1113, ack: 67 + 2 * MSS }, 200);
    assert.equal(c.counters.ecnReductions, 1);
    // Everything up to SND.MAX at the reduction acknowledged, still with ECE: the receiver has not
    // seen our CWR yet (it goes on the segment at s(8)). Linux holds until an ACK above that point.
    send(c, { flags: ACK | ECE, seq: 1113, ack: 67 + 8 * MSS }, 210);
    assert.equal(c.counters.ecnReductions, 1, 'one congestion event, one reduction');
    const cwr = next(c, 210);
    assert.equal(cwr?.flags, 'ACK|CWR');
    while (next(c, 210) !== undefined);
    // An ACK above the point with ECE again is a new mark: a new reduction.
    send(c, { flags: ACK | ECE, seq: 1113, ack: 67 + 9 * MSS }, 300);
    assert.equal(c.counters.ecnReductions, 2);
  });

  test('a fast retransmit also reduces the window, and the next new data says CWR', () => {
    const c = flowing();
    for (let i = 0; i < 3; i++) send(c, { flags: ACK, seq: 1113, ack: 67 }, 200 + i);
    const rxt = next(c, 203);
    assert.equal(rxt?.seq, 67, 'fast retransmit of the first segment');
    assert.equal(rxt?.ect, false);
    assert.equal(rxt?.flags, 'ACK', 'a retransmission does not say CWR');
    // The full ACK ends recovery; new data follows with CWR.
    send(c, { flags: ACK, seq: 1113, ack: 67 + 8 * MSS }, 300);
    const nu = next(c, 300);
    assert.equal(nu?.seq, 67 + 8 * MSS);
    assert.equal(nu?.flags, 'ACK|CWR');
  });
});
