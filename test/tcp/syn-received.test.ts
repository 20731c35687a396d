/**
 * RFC 9293 3.10.7.4 in SYN-RECEIVED, for passive opens (from LISTEN) and active ones (simultaneous
 * open, MUST-10, Figure 8).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TcpConnection } from '../../src/tcp/connection.js';
import { TcpState } from '../../src/tcp/state.js';
import {
  ACK, BASE_CONFIG, bytes, eventTypes, events, expectNothing, expectSent, FIN, LOCAL_PORT, mssOption, PSH, REMOTE_PORT, RST, send, SYN, synReceived,
} from './util.js';

/** A listening connection that has taken a SYN (seq 66) and answered SYN,ACK (ISS 1112). */
function fromListen(): TcpConnection {
  const c = TcpConnection.listen({ localPort: LOCAL_PORT, iss: 1112, config: BASE_CONFIG });
  send(c, { flags: SYN, seq: 66, options: [mssOption(1460)] });
  expectSent(c, { flags: SYN | ACK, seq: 1112, ack: 67 });
  return c;
}

/** An active open that met a crossing SYN: SYN-RECEIVED after sending SYN (66) and SYN,ACK. */
function simultaneous(): TcpConnection {
  const c = TcpConnection.connect({ now: 0, localPort: LOCAL_PORT, remotePort: REMOTE_PORT, iss: 66, config: BASE_CONFIG });
  expectSent(c, { flags: SYN, seq: 66 });
  send(c, { flags: SYN, seq: 1112, options: [mssOption(1460)] });
  expectSent(c, { flags: SYN | ACK, seq: 66, ack: 1113 });
  return c;
}

describe('SYN-RECEIVED', () => {
  test('the ACK of our SYN moves it to ESTABLISHED', () => {
    const c = synReceived();
    send(c, { flags: ACK, seq: 67, ack: 1113 });
    assert.equal(c.state, TcpState.Established);
    assert.deepEqual(eventTypes(c), ['connected']);
    expectNothing(c, 10_000);
  });

  test('the handshake ACK may carry data, which is delivered', () => {
    const c = synReceived();
    send(c, { flags: ACK | PSH, seq: 67, ack: 1113, payload: 'GET /' });
    assert.equal(c.state, TcpState.Established);
    assert.equal(new TextDecoder().decode(c.read()), 'GET /');
  });

  test('a RST in a passive open returns the connection to LISTEN without telling the user about a failure (MUST-11)', () => {
    const c = fromListen();
    send(c, { flags: RST, seq: 67 });
    assert.equal(c.state, TcpState.Listen);
    assert.deepEqual(eventTypes(c), ['returned-to-listen']);
    expectNothing(c, 5000); // retransmission queue flushed
    // And it listens again: a new SYN is accepted.
    send(c, { flags: SYN, seq: 5000 });
    expectSent(c, { flags: SYN | ACK, seq: 1112, ack: 5001 });
  });

  test('a RST in an accepted (stack-created) connection also reports returned-to-listen so the stack can drop it', () => {
    const c = synReceived();
    send(c, { flags: RST, seq: 67 });
    assert.equal(c.state, TcpState.Listen);
    assert.deepEqual(eventTypes(c), ['returned-to-listen']);
  });

  test('a RST in an active open (simultaneous open) means the connection was refused (MUST-11)', () => {
    const c = simultaneous();
    send(c, { flags: RST, seq: 1113 });
    assert.equal(c.state, TcpState.Closed);
    assert.deepEqual(events(c), [{ type: 'reset', reason: 'refused' }]);
  });

  test('a RST in the window but not at RCV.NXT gets a challenge ACK (RFC 5961 3)', () => {
    const c = fromListen();
    send(c, { flags: RST, seq: 100 });
    assert.equal(c.state, TcpState.SynReceived);
    expectSent(c, { flags: ACK, seq: 1113, ack: 67 });
  });

  test('a RST outside the window is silently dropped', () => {
    const c = fromListen();
    send(c, { flags: RST, seq: 66 });
    send(c, { flags: RST, seq: 66 + 70000 });
    assert.equal(c.state, TcpState.SynReceived);
    expectNothing(c);
  });

  test('an unacceptable ACK is answered with <SEQ=SEG.ACK><CTL=RST>', () => {
    const c = synReceived();
    send(c, { flags: ACK, seq: 67, ack: 5000 });
    expectSent(c, { flags: RST, seq: 5000 });
    send(c, { flags: ACK, seq: 67, ack: 1112 }); // acks nothing new: SND.UNA < SEG.ACK fails
    expectSent(c, { flags: RST, seq: 1112 });
    assert.equal(c.state, TcpState.SynReceived);
  });

  test('a retransmitted SYN (our SYN,ACK was lost) makes it send the SYN,ACK again', () => {
    const c = fromListen();
    send(c, { flags: SYN, seq: 66 }, 500);
    expectSent(c, { flags: SYN | ACK, seq: 1112, ack: 67 }, 500);
  });

  test('a SYN in the window of a passive open returns it to LISTEN (3.10.7.4 fourth step)', () => {
    const c = fromListen();
    send(c, { flags: SYN, seq: 70 });
    assert.equal(c.state, TcpState.Listen);
    assert.deepEqual(eventTypes(c), ['returned-to-listen']);
  });

  test('an out-of-window segment is answered with an ACK and dropped', () => {
    const c = synReceived();
    send(c, { flags: ACK, seq: 66 + 100000, ack: 1113, payload: 'x' });
    expectSent(c, { flags: ACK, seq: 1113, ack: 67 });
    assert.equal(c.state, TcpState.SynReceived);
  });

  test('a segment without ACK is dropped', () => {
    const c = synReceived();
    send(c, { flags: 0, seq: 67, payload: 'x' });
    expectNothing(c);
    assert.equal(c.state, TcpState.SynReceived);
  });

  test('retransmits the SYN,ACK after the initial RTO and gives up after maxSynRetries', () => {
    const c = synReceived({ config: { maxSynRetries: 2 } });
    expectNothing(c, 999);
    expectSent(c, { flags: SYN | ACK, seq: 1112, ack: 67 }, 1000);
    expectSent(c, { flags: SYN | ACK, seq: 1112, ack: 67 }, 3000);
    expectNothing(c, 7000);
    assert.equal(c.state, TcpState.Closed);
    assert.deepEqual(events(c), [{ type: 'timed-out', reason: 'syn' }]);
  });

  test('CLOSE in SYN-RECEIVED sends the FIN once ESTABLISHED is reached (3.10.4)', () => {
    const c = synReceived();
    c.close();
    expectNothing(c);
    send(c, { flags: ACK, seq: 67, ack: 1113 });
    assert.equal(c.state, TcpState.FinWait1);
    expectSent(c, { flags: FIN | ACK, seq: 1113, ack: 67 });
  });

  test('data queued in SYN-RECEIVED goes out after ESTABLISHED', () => {
    const c = synReceived();
    c.send(bytes('hello'));
    expectNothing(c);
    send(c, { flags: ACK, seq: 67, ack: 1113 });
    expectSent(c, { flags: ACK | PSH, seq: 1113, payload: 'hello' });
  });

  test("simultaneous open completes when the peer's SYN,ACK arrives (Figure 8, MUST-10)", () => {
    const c = simultaneous();
    send(c, { flags: SYN | ACK, seq: 1112, ack: 67 });
    assert.equal(c.state, TcpState.Established);
    assert.deepEqual(eventTypes(c), ['connected']);
    expectNothing(c, 5000);
  });

  test('simultaneous open between two engines reaches ESTABLISHED on both sides (MUST-10)', () => {
    const a = TcpConnection.connect({ now: 0, localPort: 1000, remotePort: 2000, iss: 100, config: BASE_CONFIG });
    const b = TcpConnection.connect({ now: 0, localPort: 2000, remotePort: 1000, iss: 300, config: BASE_CONFIG });
    const synA = a.pollTransmit(0)!;
    const synB = b.pollTransmit(0)!;
    a.handleSegment(1, synB);
    b.handleSegment(1, synA);
    assert.equal(a.state, TcpState.SynReceived);
    assert.equal(b.state, TcpState.SynReceived);
    const sa = a.pollTransmit(1)!;
    const sb = b.pollTransmit(1)!;
    assert.deepEqual([sa.flags, sa.seq, sa.ack], [SYN | ACK, 100, 301]);
    assert.deepEqual([sb.flags, sb.seq, sb.ack], [SYN | ACK, 300, 101]);
    a.handleSegment(2, sb);
    b.handleSegment(2, sa);
    assert.equal(a.state, TcpState.Established);
    assert.equal(b.state, TcpState.Established);
    // Data flows both ways afterwards.
    a.send(bytes('ping'));
    b.handleSegment(3, a.pollTransmit(3)!);
    assert.equal(new TextDecoder().decode(b.read()), 'ping');
  });
});
