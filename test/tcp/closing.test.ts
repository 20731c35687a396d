/**
 * Closing a connection (RFC 9293 3.6, 3.10.4, 3.10.7.4): FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT,
 * CLOSING, LAST-ACK and TIME-WAIT, half-close (3.6.1) and simultaneous close (Figure 13).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TcpConnection } from '../../src/tcp/connection.js';
import { TcpState } from '../../src/tcp/state.js';
import { issAbove } from '../../src/tcp/isn.js';
import { seqGt } from '../../src/wire/seq.js';
import {
  ACK, BASE_CONFIG, bytes, eventTypes, events, expectNothing, expectSent, established, FIN, PSH, RST, send, SYN, text, type SetupOptions,
} from './util.js';

/** ESTABLISHED, then shutdown(): FIN seq=67 sent, FIN-WAIT-1. */
function finWait1(o: SetupOptions = {}): TcpConnection {
  const c = established(o);
  c.shutdown();
  assert.equal(c.state, TcpState.FinWait1);
  expectSent(c, { flags: FIN | ACK, seq: 67, ack: 1113 });
  return c;
}

function finWait2(o: SetupOptions = {}): TcpConnection {
  const c = finWait1(o);
  send(c, { flags: ACK, seq: 1113, ack: 68 });
  assert.equal(c.state, TcpState.FinWait2);
  return c;
}

function closeWait(): TcpConnection {
  const c = established();
  send(c, { flags: FIN | ACK, seq: 1113, ack: 67 });
  assert.equal(c.state, TcpState.CloseWait);
  expectSent(c, { flags: ACK, seq: 67, ack: 1114 });
  return c;
}

function lastAck(): TcpConnection {
  const c = closeWait();
  c.close();
  assert.equal(c.state, TcpState.LastAck);
  expectSent(c, { flags: FIN | ACK, seq: 67, ack: 1114 });
  return c;
}

function timeWait(now = 0): TcpConnection {
  const c = finWait2();
  send(c, { flags: FIN | ACK, seq: 1113, ack: 68 }, now);
  assert.equal(c.state, TcpState.TimeWait);
  expectSent(c, { flags: ACK, seq: 68, ack: 1114 }, now);
  return c;
}

describe('FIN-WAIT-1', () => {
  test('shutdown sends the FIN after all queued data', () => {
    const c = established();
    c.send(bytes('tail'));
    c.shutdown();
    expectSent(c, { flags: ACK | PSH | FIN, seq: 67, payload: 'tail' });
    expectNothing(c);
  });

  test('the ACK of our FIN moves it to FIN-WAIT-2 and reports fin-acked', () => {
    const c = finWait1();
    send(c, { flags: ACK, seq: 1113, ack: 68 });
    assert.equal(c.state, TcpState.FinWait2);
    assert.deepEqual(eventTypes(c), ['fin-acked']);
  });

  test('an ACK that does not cover the FIN keeps it in FIN-WAIT-1', () => {
    const c = established();
    c.send(bytes('data'));
    c.shutdown();
    expectSent(c, { flags: ACK | PSH | FIN, seq: 67 });
    send(c, { flags: ACK, seq: 1113, ack: 71 });
    assert.equal(c.state, TcpState.FinWait1);
  });

  test('a FIN before our FIN is acknowledged moves it to CLOSING (simultaneous close)', () => {
    const c = finWait1();
    send(c, { flags: FIN | ACK, seq: 1113, ack: 67 });
    assert.equal(c.state, TcpState.Closing);
    expectSent(c, { flags: ACK, seq: 68, ack: 1114 });
  });

  test('a FIN that also acknowledges our FIN moves it straight to TIME-WAIT', () => {
    const c = finWait1();
    send(c, { flags: FIN | ACK, seq: 1113, ack: 68 });
    assert.equal(c.state, TcpState.TimeWait);
    expectSent(c, { flags: ACK, seq: 68, ack: 1114 });
  });

  test('data keeps arriving after our FIN (half-close, 3.6.1)', () => {
    const c = finWait1();
    send(c, { flags: ACK | PSH, seq: 1113, ack: 67, payload: 'still' });
    assert.equal(text(c.read()), 'still');
  });

  test('the FIN is retransmitted after the RTO', () => {
    const c = finWait1();
    expectNothing(c, 999);
    expectSent(c, { flags: FIN | ACK, seq: 67 }, 1000);
  });

  test('a second shutdown or close does not send a second FIN (3.10.4)', () => {
    const c = finWait1();
    c.shutdown();
    c.close();
    expectNothing(c);
  });
});

describe('FIN-WAIT-2', () => {
  test('a FIN moves it to TIME-WAIT and is acknowledged', () => {
    const c = finWait2();
    send(c, { flags: FIN | ACK, seq: 1113, ack: 68 });
    assert.equal(c.state, TcpState.TimeWait);
    expectSent(c, { flags: ACK, seq: 68, ack: 1114 });
    assert.deepEqual(eventTypes(c), ['fin-acked', 'peer-closed']);
  });

  test('data keeps arriving and is acknowledged (half-close)', () => {
    const c = finWait2();
    send(c, { flags: ACK | PSH, seq: 1113, ack: 68, payload: 'more' });
    expectSent(c, { flags: ACK, seq: 68, ack: 1117 }, 40);
    assert.equal(text(c.read()), 'more');
  });

  test('a half-closed connection waits in FIN-WAIT-2 indefinitely', () => {
    const c = finWait2();
    expectNothing(c, 3_600_000);
    assert.equal(c.state, TcpState.FinWait2);
  });

  test('an orphaned (closed) connection leaves FIN-WAIT-2 after finWait2Timeout', () => {
    const c = established({ config: { finWait2Timeout: 5000 } });
    c.close();
    expectSent(c, { flags: FIN | ACK });
    send(c, { flags: ACK, seq: 1113, ack: 68 }, 100);
    assert.equal(c.state, TcpState.FinWait2);
    expectNothing(c, 5099);
    assert.equal(c.state, TcpState.FinWait2);
    expectNothing(c, 5100);
    assert.equal(c.state, TcpState.Closed);
  });
});

describe('CLOSE-WAIT', () => {
  test('the peer FIN is acknowledged at once and reported as peer-closed; EOF after the data', () => {
    const c = established();
    send(c, { flags: FIN | ACK | PSH, seq: 1113, ack: 67, payload: 'bye' });
    expectSent(c, { flags: ACK, ack: 1117 });
    assert.deepEqual(eventTypes(c), ['readable', 'peer-closed']);
    assert.equal(c.eof, false);
    assert.equal(text(c.read()), 'bye');
    assert.equal(c.eof, true);
  });

  test('the application can keep sending after the peer closed (half-close, 3.6.1)', () => {
    const c = closeWait();
    c.send(bytes('reply'));
    expectSent(c, { flags: ACK | PSH, seq: 67, ack: 1114, payload: 'reply' });
  });

  test('CLOSE queues the FIN after the data and enters LAST-ACK', () => {
    const c = closeWait();
    c.send(bytes('end'));
    c.close();
    assert.equal(c.state, TcpState.LastAck);
    expectSent(c, { flags: ACK | PSH | FIN, seq: 67, payload: 'end' });
  });

  test('text after the FIN is ignored', () => {
    const c = closeWait();
    send(c, { flags: ACK, seq: 1114, ack: 67, payload: 'ghost' });
    assert.equal(c.readableBytes, 0);
    assert.equal(c.counters.drops['data-after-fin'], 1);
  });

  test('a retransmitted FIN is acknowledged again', () => {
    const c = closeWait();
    send(c, { flags: FIN | ACK, seq: 1113, ack: 67 });
    expectSent(c, { flags: ACK, ack: 1114 });
  });

  test('a RST at RCV.NXT resets the connection', () => {
    const c = closeWait();
    send(c, { flags: RST, seq: 1114 });
    assert.deepEqual(events(c).at(-1), { type: 'reset', reason: 'reset' });
  });
});

describe('CLOSING', () => {
  function closing(): TcpConnection {
    const c = finWait1();
    send(c, { flags: FIN | ACK, seq: 1113, ack: 67 });
    expectSent(c, { flags: ACK, seq: 68, ack: 1114 });
    assert.equal(c.state, TcpState.Closing);
    return c;
  }

  test('the ACK of our FIN moves it to TIME-WAIT', () => {
    const c = closing();
    send(c, { flags: ACK, seq: 1114, ack: 68 });
    assert.equal(c.state, TcpState.TimeWait);
  });

  test('a segment that does not acknowledge our FIN is ignored', () => {
    const c = closing();
    send(c, { flags: ACK, seq: 1114, ack: 67 });
    assert.equal(c.state, TcpState.Closing);
  });

  test('our FIN is retransmitted until acknowledged', () => {
    const c = closing();
    expectSent(c, { flags: FIN | ACK, seq: 67, ack: 1114 }, 1000);
  });

  test('simultaneous close between two engines passes through CLOSING to TIME-WAIT on both sides (Figure 13)', () => {
    const a = TcpConnection.connect({ now: 0, localPort: 1000, remotePort: 2000, iss: 100, config: BASE_CONFIG });
    const b = TcpConnection.listen({ localPort: 2000, iss: 300, config: BASE_CONFIG });
    const relay = (from: TcpConnection, to: TcpConnection, t: number): void => {
      for (let s = from.pollTransmit(t); s; s = from.pollTransmit(t)) to.handleSegment(t, s);
    };
    relay(a, b, 0);
    relay(b, a, 0);
    relay(a, b, 0);
    assert.equal(b.state, TcpState.Established);
    a.close();
    b.close();
    const finA = a.pollTransmit(1)!;
    const finB = b.pollTransmit(1)!;
    assert.deepEqual([finA.flags, finA.seq, finA.ack], [FIN | ACK, 101, 301]);
    assert.deepEqual([finB.flags, finB.seq, finB.ack], [FIN | ACK, 301, 101]);
    a.handleSegment(2, finB);
    b.handleSegment(2, finA);
    assert.equal(a.state, TcpState.Closing);
    assert.equal(b.state, TcpState.Closing);
    const ackA = a.pollTransmit(2)!;
    const ackB = b.pollTransmit(2)!;
    assert.deepEqual([ackA.flags, ackA.seq, ackA.ack], [ACK, 102, 302]);
    assert.deepEqual([ackB.flags, ackB.seq, ackB.ack], [ACK, 302, 102]);
    a.handleSegment(3, ackB);
    b.handleSegment(3, ackA);
    assert.equal(a.state, TcpState.TimeWait);
    assert.equal(b.state, TcpState.TimeWait);
  });
});

describe('LAST-ACK', () => {
  test('the ACK of our FIN closes the connection', () => {
    const c = lastAck();
    send(c, { flags: ACK, seq: 1114, ack: 68 });
    assert.equal(c.state, TcpState.Closed);
    assert.deepEqual(eventTypes(c).slice(-2), ['fin-acked', 'closed']);
    expectNothing(c, 100_000);
  });

  test('the FIN is retransmitted after the RTO', () => {
    const c = lastAck();
    expectSent(c, { flags: FIN | ACK, seq: 67, ack: 1114 }, 1000);
  });

  test('a RST closes it and is reported as an abort (MUST-12)', () => {
    const c = lastAck();
    send(c, { flags: RST, seq: 1114 });
    assert.equal(c.state, TcpState.Closed);
    assert.deepEqual(events(c).at(-1), { type: 'reset', reason: 'reset' });
  });
});

describe('TIME-WAIT', () => {
  test('lingers for 2 MSL, then closes (MUST-13)', () => {
    const c = timeWait(100);
    assert.equal(c.pollAt(), 100 + 2 * 30_000);
    expectNothing(c, 60_099);
    assert.equal(c.state, TcpState.TimeWait);
    expectNothing(c, 60_100);
    assert.equal(c.state, TcpState.Closed);
    assert.deepEqual(eventTypes(c).at(-1), 'closed');
  });

  test('a retransmitted FIN is acknowledged and restarts the 2 MSL timer', () => {
    const c = timeWait(0);
    send(c, { flags: FIN | ACK, seq: 1113, ack: 68 }, 50_000);
    expectSent(c, { flags: ACK, seq: 68, ack: 1114 }, 50_000);
    assert.equal(c.pollAt(), 50_000 + 60_000);
    expectNothing(c, 100_000);
    assert.equal(c.state, TcpState.TimeWait);
    expectNothing(c, 110_000);
    assert.equal(c.state, TcpState.Closed);
  });

  test('a RST closes it (3.10.7.4 second step)', () => {
    const c = timeWait();
    send(c, { flags: RST, seq: 1114 });
    assert.equal(c.state, TcpState.Closed);
    assert.deepEqual(eventTypes(c).at(-1), 'closed');
  });

  test('a SYN is answered with a challenge ACK (RFC 5961 4)', () => {
    const c = timeWait();
    send(c, { flags: SYN, seq: 1114 });
    expectSent(c, { flags: ACK, seq: 68, ack: 1114 });
    assert.equal(c.state, TcpState.TimeWait);
  });

  test('a SYN with a sequence number above RCV.NXT may reopen the connection with a larger ISS (MAY-2)', () => {
    const c = timeWait();
    assert.equal(c.canReopen({ ...syn(5000) }), true);
    assert.equal(c.canReopen({ ...syn(1000) }), false); // an old duplicate
    const iss = issAbove(66, c.lastSequenceUsed);
    assert.ok(seqGt(iss, c.lastSequenceUsed));
  });

  test('data in TIME-WAIT is not delivered', () => {
    const c = timeWait();
    send(c, { flags: ACK, seq: 1114, ack: 68, payload: 'late' });
    assert.equal(c.readableBytes, 0);
  });

  test('keeps no other timers running', () => {
    const c = timeWait(0);
    assert.equal(c.pollAt(), 60_000);
  });
});

function syn(seq: number) {
  return { srcPort: 80, dstPort: 49152, seq, ack: 0, flags: SYN, window: 65535, urgentPointer: 0, options: [], payload: new Uint8Array(0) };
}
