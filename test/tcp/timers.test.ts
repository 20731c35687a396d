/**
 * Timers of an ESTABLISHED connection: retransmission (RFC 6298, RFC 9293 3.8.1, 3.8.3),
 * congestion response (RFC 5681, RFC 6582), zero-window probing (3.8.6.1), keep-alives (3.8.4)
 * and the user timeout (3.10.8).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TcpConnection } from '../../src/tcp/connection.js';
import { TcpState } from '../../src/tcp/state.js';
import type { TcpRepr } from '../../src/wire/tcp.js';
import {
  ACK, BASE_CONFIG, bytes, events, expectNothing, expectSent, established, LOCAL_PORT, mssOption, REMOTE_PORT, send, SYN,
} from './util.js';

const DATA = (n: number): Uint8Array => new Uint8Array(n).fill(0x62);

/** Run timers and collect every segment sent until `until` or CLOSED. */
function runUntil(c: TcpConnection, until: number, onSegment?: (t: number, s: TcpRepr) => void): Array<[number, TcpRepr]> {
  const out: Array<[number, TcpRepr]> = [];
  for (;;) {
    const due = c.pollAt();
    if (due === undefined || due > until) break;
    c.handleTimeout(due);
    for (let s = c.pollTransmit(due); s; s = c.pollTransmit(due)) {
      out.push([due, s]);
      onSegment?.(due, s);
    }
    if (c.state === TcpState.Closed) break;
  }
  return out;
}

describe('retransmission timeout (RFC 6298)', () => {
  test('lost data is retransmitted after the RTO, and the RTO doubles each time (RFC 6298 5.4-5.6, MUST-19)', () => {
    const c = established();
    c.send(bytes('lost'));
    expectSent(c, { seq: 67, payload: 'lost' }, 10);
    expectNothing(c, 1009);
    expectSent(c, { seq: 67, payload: 'lost' }, 1010);
    expectNothing(c, 3009);
    expectSent(c, { seq: 67, payload: 'lost' }, 3010);
    assert.equal(c.counters.retransmissions, 2);
  });

  test('after R2 retransmissions the connection closes; at R1 the application is advised; R2 is settable (MUST-20, MUST-21, SHLD-9, SHLD-10)', () => {
    const c = established();
    c.setMaxRetransmits(4); // MUST-21: the application sets R2
    c.send(bytes('x'));
    expectSent(c, { seq: 67 }, 10);
    const sent = runUntil(c, 1_000_000).map(([t]) => t);
    assert.deepEqual(sent, [1010, 3010, 7010, 15010]);
    assert.equal(c.state, TcpState.Closed);
    assert.deepEqual(events(c), [{ type: 'retransmitting', count: 3 }, { type: 'timed-out', reason: 'retransmit' }]);
  });

  test('RTT samples set SRTT, RTTVAR and RTO as in RFC 6298 2.2 and 2.3', () => {
    const c = TcpConnection.connect({ now: 0, localPort: LOCAL_PORT, remotePort: REMOTE_PORT, iss: 66, config: { ...BASE_CONFIG, minRto: 100 } });
    expectSent(c, { flags: SYN });
    send(c, { flags: SYN | ACK, seq: 1112, ack: 67, options: [mssOption(1460)] }, 200);
    expectSent(c, { flags: ACK }, 200);
    // First sample R = 200: SRTT = 200, RTTVAR = 100, RTO = 200 + 4 * 100.
    assert.deepEqual([c.info().srtt, c.info().rto], [200, 600]);
    c.send(bytes('x'));
    expectSent(c, { seq: 67 }, 1000);
    send(c, { flags: ACK, seq: 1113, ack: 68 }, 1100);
    // R = 100: RTTVAR = 3/4 * 100 + 1/4 * |200 - 100| = 100, SRTT = 7/8 * 200 + 1/8 * 100 = 187.5.
    assert.deepEqual([c.info().srtt, c.info().rto], [187.5, 587.5]);
  });

  test("Karn's algorithm: an ACK of retransmitted data gives no RTT sample, the backed-off RTO stays (MUST-18, RFC 6298 5.7)", () => {
    const c = TcpConnection.connect({ now: 0, localPort: LOCAL_PORT, remotePort: REMOTE_PORT, iss: 66, config: { ...BASE_CONFIG, minRto: 100 } });
    expectSent(c, { flags: SYN });
    send(c, { flags: SYN | ACK, seq: 1112, ack: 67, options: [mssOption(1460)] }, 200);
    expectSent(c, { flags: ACK }, 200);
    c.send(bytes('x'));
    expectSent(c, { seq: 67 }, 1000);
    expectSent(c, { seq: 67 }, 1600); // RTO 600
    send(c, { flags: ACK, seq: 1113, ack: 68 }, 1650);
    assert.deepEqual([c.info().srtt, c.info().rto], [200, 1200]);
  });

  test('the RTO never falls below minRto (RFC 6298 2.4) and never exceeds maxRto (2.5)', () => {
    const c = established({ config: { maxRto: 4000 } });
    assert.equal(c.info().rto, 1000); // a 0 ms handshake RTT still gives 1 s
    c.send(bytes('x'));
    expectSent(c, { seq: 67 }, 0);
    const times = runUntil(c, 20_000).map(([t]) => t);
    assert.deepEqual(times, [1000, 3000, 7000, 11000, 15000, 19000]);
  });
});

describe('congestion control (RFC 5681, RFC 6582)', () => {
  test('the initial window is 3 segments for an MSS of 1460 (RFC 5681 3.1) and slow start adds one MSS per ACK (MUST-19)', () => {
    const c = established({ config: { nagle: false } });
    c.send(DATA(20_000));
    for (let i = 0; i < 3; i++) expectSent(c, { seq: 67 + 1460 * i });
    expectNothing(c);
    assert.equal(c.info().cwnd, 4380);
    send(c, { flags: ACK, seq: 1113, ack: 67 + 1460 });
    assert.equal(c.info().cwnd, 4380 + 1460);
    expectSent(c, { seq: 67 + 3 * 1460 });
    expectSent(c, { seq: 67 + 4 * 1460 });
    expectNothing(c);
  });

  test('three duplicate ACKs trigger a fast retransmit and fast recovery (RFC 5681 3.2)', () => {
    const c = established({ config: { nagle: false } });
    c.send(DATA(4380));
    for (let i = 0; i < 3; i++) expectSent(c, {});
    for (let i = 0; i < 2; i++) send(c, { flags: ACK, seq: 1113, ack: 67 });
    expectNothing(c);
    send(c, { flags: ACK, seq: 1113, ack: 67 });
    expectSent(c, { seq: 67, payload: DATA(1460) });
    assert.equal(c.counters.fastRetransmits, 1);
    // ssthresh = max(FlightSize / 2, 2 * SMSS) = 2920; cwnd = ssthresh + 3 * SMSS.
    assert.deepEqual([c.info().ssthresh, c.info().cwnd], [2920, 2920 + 3 * 1460]);
  });

  test('a partial ACK during recovery retransmits the next hole; a full ACK ends recovery (RFC 6582)', () => {
    const c = established({ config: { nagle: false } });
    c.send(DATA(4380));
    for (let i = 0; i < 3; i++) expectSent(c, {});
    for (let i = 0; i < 3; i++) send(c, { flags: ACK, seq: 1113, ack: 67 });
    expectSent(c, { seq: 67 });
    send(c, { flags: ACK, seq: 1113, ack: 67 + 1460 });
    expectSent(c, { seq: 67 + 1460, payload: DATA(1460) });
    send(c, { flags: ACK, seq: 1113, ack: 67 + 4380 });
    assert.equal(c.info().cwnd, 2920);
  });

  test('after an RTO only one segment is sent (loss window of one SMSS, MUST-19)', () => {
    const c = established({ config: { nagle: false } });
    c.send(DATA(4380));
    for (let i = 0; i < 3; i++) expectSent(c, {});
    expectSent(c, { seq: 67, payload: DATA(1460) }, 1000);
    expectNothing(c, 1000);
    assert.equal(c.info().cwnd, 1460);
    assert.equal(c.info().ssthresh, 2920);
  });
});

describe('zero-window probing (3.8.6.1)', () => {
  function zeroWindow(): TcpConnection {
    const c = established();
    send(c, { flags: ACK, seq: 1113, ack: 67, window: 0 });
    c.send(DATA(100));
    expectNothing(c, 0);
    return c;
  }

  test('the first probe goes after one RTO, then the interval doubles (MUST-35, MUST-36, SHLD-29, SHLD-30)', () => {
    const c = zeroWindow();
    const times: number[] = [];
    runUntil(c, 70_000, (t, s) => {
      assert.equal(s.seq, 67);
      assert.equal(s.payload.length, 1); // one octet of new data
      times.push(t);
      c.handleSegment(t, { srcPort: 80, dstPort: 49152, seq: 1113, ack: 67, flags: ACK, window: 0, urgentPointer: 0, options: [], payload: new Uint8Array(0) });
    });
    assert.deepEqual(times, [1000, 3000, 7000, 15000, 31000, 63000]);
  });

  test('a zero window held for ten minutes keeps the connection open while probes are answered (MUST-37)', () => {
    const c = zeroWindow();
    let probes = 0;
    runUntil(c, 600_000, (t) => {
      probes++;
      c.handleSegment(t, { srcPort: 80, dstPort: 49152, seq: 1113, ack: 67, flags: ACK, window: 0, urgentPointer: 0, options: [], payload: new Uint8Array(0) });
    });
    assert.equal(c.state, TcpState.Established);
    assert.ok(probes >= 10 && probes <= 20, `${probes} probes`);
    // The window opens: the data flows.
    send(c, { flags: ACK, seq: 1113, ack: 67, window: 65535 }, 600_001);
    expectSent(c, { seq: 67, payload: DATA(100) }, 600_001);
  });

  test('a peer that stops answering probes is eventually given up on', () => {
    const c = zeroWindow();
    runUntil(c, 10_000_000);
    assert.equal(c.state, TcpState.Closed);
    const last = events(c).at(-1);
    assert.equal(last?.type, 'timed-out');
  });
});

describe('keep-alives (3.8.4)', () => {
  test('are off by default (MUST-25)', () => {
    const c = established();
    assert.equal(c.pollAt(), undefined);
    expectNothing(c, 3 * 3600_000);
  });

  test('the application can turn them on; the first probe is <SEQ=SND.NXT-1> without data after 2 hours idle (MUST-24, MUST-28, SHLD-12)', () => {
    const c = established();
    c.setKeepAlive(true, undefined, 0);
    expectNothing(c, 7_199_999);
    expectSent(c, { flags: ACK, seq: 66, ack: 1113, payload: '' }, 7_200_000);
  });

  test('the idle interval is configurable (MUST-27) and an answer restarts it', () => {
    const c = established();
    c.setKeepAlive(true, 10_000, 0);
    expectSent(c, { seq: 66 }, 10_000);
    send(c, { flags: ACK, seq: 1113, ack: 67 }, 10_050);
    expectNothing(c, 20_049);
    expectSent(c, { seq: 66 }, 20_050);
  });

  test('one unanswered probe does not kill the connection; keepAliveCount unanswered probes do (MUST-29)', () => {
    const c = established({ config: { keepAliveInterval: 1000, keepAliveCount: 3 } });
    c.setKeepAlive(true, 10_000, 0);
    const times = runUntil(c, 100_000).map(([t]) => t);
    assert.deepEqual(times, [10_000, 11_000, 12_000]);
    assert.equal(c.state, TcpState.Closed);
    assert.deepEqual(events(c).at(-1), { type: 'timed-out', reason: 'keepalive' });
  });

  test('no probe is sent while sent data is outstanding (MUST-26)', () => {
    const c = established();
    c.setKeepAlive(true, 1500, 0);
    c.send(bytes('x'));
    expectSent(c, { seq: 67 }, 0);
    const sent = runUntil(c, 5000);
    assert.ok(sent.length > 0);
    for (const [, s] of sent) assert.equal(s.seq, 67); // retransmissions only, no SND.NXT-1 probe
  });
});

describe('user timeout (3.10.8)', () => {
  test('data without any acknowledgment for the user timeout aborts the connection', () => {
    const c = established();
    c.setUserTimeout(5000);
    c.send(bytes('x'));
    expectSent(c, { seq: 67 }, 0);
    runUntil(c, 100_000);
    assert.equal(c.state, TcpState.Closed);
    assert.deepEqual(events(c).at(-1), { type: 'timed-out', reason: 'user-timeout' });
  });

  test('an idle connection never times out', () => {
    const c = established();
    c.setUserTimeout(5000);
    expectNothing(c, 1_000_000);
    assert.equal(c.state, TcpState.Established);
  });
});
