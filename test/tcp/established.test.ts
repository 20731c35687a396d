/**
 * RFC 9293 3.10.7.4 in ESTABLISHED: the sequence number test (Table 6), RST (RFC 5961 3), SYN
 * (RFC 5961 4), ACK (RFC 5961 5) checks, in the RFC's order. Our side is A (ISS 66, RCV.NXT 1113,
 * window 65535 unless a test shrinks the buffer); the peer is B.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TcpState } from '../../src/tcp/state.js';
import {
  ACK, bytes, events, expectNothing, expectSent, established, FIN, PSH, REMOTE_PORT, RST, send, SYN, text, URG,
} from './util.js';

describe('ESTABLISHED: sequence number test (Table 6)', () => {
  test('zero-length segment, window > 0: acceptable inside [RCV.NXT, RCV.NXT+RCV.WND), else ACK and drop', () => {
    const c = established();
    send(c, { flags: ACK, seq: 1113 + 100, ack: 67 });
    expectNothing(c);
    send(c, { flags: ACK, seq: 1112, ack: 67 });
    expectSent(c, { flags: ACK, seq: 67, ack: 1113, payload: '' });
    send(c, { flags: ACK, seq: 1113 + 65535, ack: 67 });
    expectSent(c, { flags: ACK, seq: 67, ack: 1113 });
    assert.equal(c.counters.drops['out-of-window'], 2);
  });

  test('zero-length segment, window 0: acceptable only at SEG.SEQ = RCV.NXT', () => {
    const c = established({ config: { recvBufferSize: 100 } });
    send(c, { flags: ACK | PSH, seq: 1113, ack: 67, payload: new Uint8Array(100) });
    expectSent(c, { flags: ACK, ack: 1213, window: 0 });
    send(c, { flags: ACK, seq: 1213, ack: 67 });
    expectNothing(c);
    send(c, { flags: ACK, seq: 1214, ack: 67 });
    expectSent(c, { flags: ACK, ack: 1213, window: 0 });
  });

  test('segment with data, window 0: not acceptable, answered with ACK showing window 0, but its ACK is processed', () => {
    const c = established({ config: { recvBufferSize: 100 } });
    c.send(bytes('12345'));
    expectSent(c, { seq: 67, payload: '12345' });
    send(c, { flags: ACK | PSH, seq: 1113, ack: 67, payload: new Uint8Array(100) });
    expectSent(c, { flags: ACK, ack: 1213, window: 0 });
    send(c, { flags: ACK | PSH, seq: 1213, ack: 72, payload: 'more' });
    expectSent(c, { flags: ACK, seq: 72, ack: 1213, window: 0 });
    assert.equal(c.info().sndUna, 72);
    assert.equal(c.readableBytes, 100);
  });

  test('segment with data, window > 0: a segment that starts before RCV.NXT but ends inside delivers only the new part', () => {
    const c = established();
    send(c, { flags: ACK, seq: 1113, ack: 67, payload: 'hello' });
    send(c, { flags: ACK, seq: 1115, ack: 67, payload: 'llo, world' });
    assert.equal(text(c.read()), 'hello, world');
  });

  test('segment with data entirely below RCV.NXT (a duplicate) is answered with an ACK and dropped', () => {
    const c = established();
    send(c, { flags: ACK, seq: 1113, ack: 67, payload: 'hello' });
    expectSent(c, { flags: ACK, ack: 1118 }, 40);
    send(c, { flags: ACK, seq: 1113, ack: 67, payload: 'hello' }, 50);
    expectSent(c, { flags: ACK, seq: 67, ack: 1118 }, 50);
    assert.equal(text(c.read()), 'hello');
  });

  test('text beyond the right window edge is trimmed off', () => {
    const c = established({ config: { recvBufferSize: 100, delayedAck: 0 } });
    send(c, { flags: ACK, seq: 1113, ack: 67, payload: new Uint8Array(150).fill(7) });
    expectSent(c, { flags: ACK, ack: 1213, window: 0 });
    assert.equal(c.read().length, 100);
  });

  test('a segment covering the whole window is acceptable and trimmed at both ends', () => {
    const c = established({ config: { recvBufferSize: 10, delayedAck: 0 } });
    send(c, { flags: ACK, seq: 1113, ack: 67, payload: '0123' });
    expectSent(c, { ack: 1117 });
    send(c, { flags: ACK, seq: 1113, ack: 67, payload: '0123456789abcdef' });
    expectSent(c, { ack: 1123, window: 0 });
    assert.equal(text(c.read()), '0123456789');
  });
});

describe('ESTABLISHED: RST check (RFC 5961 3 as adopted by RFC 9293)', () => {
  test('a RST at exactly RCV.NXT resets the connection and the application is told (MUST-12)', () => {
    const c = established();
    c.send(bytes('pending'));
    send(c, { flags: RST, seq: 1113 });
    assert.equal(c.state, TcpState.Closed);
    assert.deepEqual(events(c), [{ type: 'reset', reason: 'reset' }]);
    expectNothing(c, 10_000); // queues flushed, no retransmission
    assert.throws(() => c.send(bytes('x')), { code: 'ERR_SYNACK_CONN_RESET' });
  });

  test('a RST with ACK at exactly RCV.NXT resets too, and a RST may carry data (SHLD-2)', () => {
    const c = established();
    send(c, { flags: RST | ACK, seq: 1113, ack: 67, payload: 'diagnostic' });
    assert.equal(c.state, TcpState.Closed);
  });

  test('a RST inside the window but not at RCV.NXT is answered with a challenge ACK and dropped', () => {
    const c = established();
    send(c, { flags: RST, seq: 1113 + 1000 });
    assert.equal(c.state, TcpState.Established);
    expectSent(c, { flags: ACK, seq: 67, ack: 1113 });
    assert.equal(c.counters.challengeAcks, 1);
  });

  test('a RST outside the window is silently dropped', () => {
    const c = established();
    send(c, { flags: RST, seq: 1112 });
    send(c, { flags: RST, seq: 1113 + 65535 });
    assert.equal(c.state, TcpState.Established);
    expectNothing(c);
  });

  test('challenge ACKs are rate limited to challengeAckLimit per challengeAckInterval (RFC 5961 7)', () => {
    const c = established({ config: { challengeAckLimit: 3, challengeAckInterval: 1000 } });
    let acks = 0;
    for (let i = 0; i < 6; i++) {
      send(c, { flags: RST, seq: 1113 + 10 + i }, 10);
      if (c.pollTransmit(10)) acks++;
    }
    assert.equal(acks, 3);
    assert.equal(c.counters.challengeAcksSuppressed, 3);
    send(c, { flags: RST, seq: 1200 }, 1010);
    expectSent(c, { flags: ACK }, 1010);
  });
});

describe('ESTABLISHED: SYN check (RFC 5961 4)', () => {
  test('a SYN inside the window gets a challenge ACK and the connection stays', () => {
    const c = established();
    send(c, { flags: SYN, seq: 1113 + 500 });
    expectSent(c, { flags: ACK, seq: 67, ack: 1113 });
    assert.equal(c.state, TcpState.Established);
  });

  test('an old SYN (outside the window) is answered with an ACK by the sequence test', () => {
    const c = established();
    send(c, { flags: SYN, seq: 1112 });
    expectSent(c, { flags: ACK, seq: 67, ack: 1113 });
    assert.equal(c.state, TcpState.Established);
  });

  test('a SYN+FIN gets a challenge ACK and its FIN is not processed', () => {
    const c = established();
    send(c, { flags: SYN | FIN | ACK, seq: 1113, ack: 67 });
    expectSent(c, { flags: ACK, seq: 67, ack: 1113 });
    assert.equal(c.state, TcpState.Established);
    assert.deepEqual(events(c), []);
  });
});

describe('ESTABLISHED: ACK check (RFC 9293 3.10.7.4 fifth step, RFC 5961 5)', () => {
  test('a segment without ACK is dropped', () => {
    const c = established();
    send(c, { flags: PSH, seq: 1113, payload: 'x' });
    expectNothing(c, 1000);
    assert.equal(c.readableBytes, 0);
  });

  test('an ACK of unsent data (SEG.ACK > SND.NXT) is answered with an ACK and the segment dropped', () => {
    const c = established();
    send(c, { flags: ACK, seq: 1113, ack: 500, payload: 'zzz' });
    expectSent(c, { flags: ACK, seq: 67, ack: 1113 });
    assert.equal(c.readableBytes, 0);
    assert.equal(c.counters.drops['ack-unsent'], 1);
  });

  test('an ACK below SND.UNA - MAX.SND.WND is answered with an ACK and dropped; within it, the data is taken', () => {
    const c = established(); // MAX.SND.WND = 65535, SND.UNA = 67
    send(c, { flags: ACK, seq: 1113, ack: (67 - 65536) >>> 0, payload: 'old' });
    expectSent(c, { flags: ACK, seq: 67, ack: 1113 });
    assert.equal(c.readableBytes, 0);
    send(c, { flags: ACK, seq: 1113, ack: (67 - 65535) >>> 0, payload: 'ok!' });
    assert.equal(text(c.read()), 'ok!');
  });

  test('an ACK of new data advances SND.UNA and frees the send buffer', () => {
    const c = established();
    c.send(bytes('0123456789'));
    expectSent(c, { seq: 67, payload: '0123456789' });
    assert.equal(c.sendQueued, 10);
    send(c, { flags: ACK, seq: 1113, ack: 72 });
    assert.equal(c.info().sndUna, 72);
    assert.equal(c.sendQueued, 5);
  });

  test('the window field is an unsigned number, scaled into a 32-bit one (MUST-1, REC-1)', () => {
    const c = established({ config: { congestionControl: 'none' } });
    send(c, { flags: ACK, seq: 1113, ack: 67, window: 0xffff });
    assert.equal(c.info().sndWnd, 65535);
  });

  test('the send window is taken only from segments newer than the last update (SND.WL1, SND.WL2)', () => {
    const c = established({ config: { congestionControl: 'none' } });
    c.send(new Uint8Array(100));
    expectSent(c, { seq: 67 });
    send(c, { flags: ACK, seq: 1113, ack: 167, window: 8000 });
    assert.equal(c.info().sndWnd, 8000);
    send(c, { flags: ACK, seq: 1113, ack: 117, window: 30000 }); // reordered, older ACK
    assert.equal(c.info().sndWnd, 8000);
  });

  test('a segment from another remote port is dropped', () => {
    const c = established();
    send(c, { flags: RST, seq: 1113, srcPort: REMOTE_PORT + 1 });
    assert.equal(c.state, TcpState.Established);
  });
});

describe('ESTABLISHED: URG and RST with a zero receive window (MUST-66)', () => {
  test('a RST at RCV.NXT resets even when the window is zero', () => {
    const c = established({ config: { recvBufferSize: 10 } });
    send(c, { flags: ACK, seq: 1113, ack: 67, payload: '0123456789' });
    send(c, { flags: RST, seq: 1123 });
    assert.equal(c.state, TcpState.Closed);
  });

  test('an urgent pointer at the left edge of a zero window is still processed', () => {
    const c = established({ config: { recvBufferSize: 10 } });
    send(c, { flags: ACK, seq: 1113, ack: 67, payload: '0123456789' });
    events(c);
    send(c, { flags: ACK | URG, seq: 1123, ack: 67, urgentPointer: 3, payload: 'abc' });
    assert.deepEqual(events(c), [{ type: 'urgent', pending: 13 }]);
    assert.equal(c.urgentPending, 13);
  });
});
