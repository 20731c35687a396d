/**
 * RFC 9293 3.10.7.1 (CLOSED) and 3.10.7.2 (LISTEN): reset generation for segments without a
 * connection, and the LISTEN state both as the pure `listenSegment` and inside a connection.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resetFor, segmentLength } from '../../src/tcp/reset.js';
import { listenSegment } from '../../src/tcp/listen.js';
import { TcpConnection } from '../../src/tcp/connection.js';
import { TcpState } from '../../src/tcp/state.js';
import { ACK, BASE_CONFIG, bytes, eventTypes, expectNothing, expectSent, FIN, LOCAL_PORT, mssOption, REMOTE_PORT, RST, send, SYN, TEMPLATE } from './util.js';

describe('CLOSED', () => {
  test('a segment with ACK is answered with <SEQ=SEG.ACK><CTL=RST>', () => {
    const r = resetFor({ ...TEMPLATE, flags: ACK, seq: 500, ack: 1234, payload: bytes('hi') });
    assert.ok(r);
    assert.deepEqual(
      { srcPort: r.srcPort, dstPort: r.dstPort, seq: r.seq, ack: r.ack, flags: r.flags, len: r.payload.length },
      { srcPort: LOCAL_PORT, dstPort: REMOTE_PORT, seq: 1234, ack: 0, flags: RST, len: 0 },
    );
  });

  test('a SYN to a closed port (a refused connection) is answered with <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>', () => {
    const r = resetFor({ ...TEMPLATE, flags: SYN, seq: 66 });
    assert.ok(r);
    assert.equal(r.seq, 0);
    assert.equal(r.ack, 67);
    assert.equal(r.flags, RST | ACK);
  });

  test('SEG.LEN counts the payload, the SYN and the FIN', () => {
    const seg = { ...TEMPLATE, flags: SYN | FIN, seq: 0xfffffffe, payload: bytes('abc') };
    assert.equal(segmentLength(seg), 5);
    assert.equal(resetFor(seg)?.ack, 3); // wraps modulo 2^32
  });

  test('a RST is never answered with a RST', () => {
    assert.equal(resetFor({ ...TEMPLATE, flags: RST | ACK, seq: 1, ack: 2 }), undefined);
    assert.equal(resetFor({ ...TEMPLATE, flags: RST, seq: 1 }), undefined);
  });

  test('a connection that reached CLOSED answers later segments with a reset', () => {
    const c = TcpConnection.connect({ now: 0, localPort: LOCAL_PORT, remotePort: REMOTE_PORT, iss: 66, config: BASE_CONFIG });
    c.abort();
    assert.equal(c.state, TcpState.Closed);
    send(c, { flags: ACK, seq: 1113, ack: 67 });
    expectSent(c, { flags: RST, seq: 67 });
    send(c, { flags: RST, seq: 1113 });
    expectNothing(c);
  });
});

describe('LISTEN (listenSegment)', () => {
  test('an incoming RST is ignored', () => {
    assert.deepEqual(listenSegment({ ...TEMPLATE, flags: RST, seq: 5 }), { action: 'ignore', reason: 'listen-rst' });
  });

  test('any acknowledgment is answered with <SEQ=SEG.ACK><CTL=RST>', () => {
    const a = listenSegment({ ...TEMPLATE, flags: ACK, seq: 5, ack: 777 });
    assert.equal(a.action, 'reset');
    if (a.action === 'reset') {
      assert.equal(a.reply.seq, 777);
      assert.equal(a.reply.flags, RST);
    }
    const b = listenSegment({ ...TEMPLATE, flags: SYN | ACK, seq: 5, ack: 778 });
    assert.equal(b.action === 'reset' && b.reply.seq, 778);
  });

  test('a SYN is accepted', () => {
    assert.deepEqual(listenSegment({ ...TEMPLATE, flags: SYN, seq: 66 }), { action: 'accept' });
  });

  test('a segment without SYN, ACK or RST is dropped', () => {
    assert.deepEqual(listenSegment({ ...TEMPLATE, flags: FIN, seq: 66 }), { action: 'drop', reason: 'listen-no-syn' });
    assert.deepEqual(listenSegment({ ...TEMPLATE, flags: 0, seq: 66, payload: bytes('x') }), { action: 'drop', reason: 'listen-no-syn' });
  });

  test('a SYN+FIN is dropped', () => {
    assert.deepEqual(listenSegment({ ...TEMPLATE, flags: SYN | FIN, seq: 66 }), { action: 'drop', reason: 'listen-syn-fin' });
  });

  test('a SYN with an illegal option length is refused with a reset (MUST-7)', () => {
    const a = listenSegment({ ...TEMPLATE, flags: SYN, seq: 66 }, { optionError: true });
    assert.equal(a.action, 'reset');
    if (a.action === 'reset') assert.deepEqual([a.reply.seq, a.reply.ack, a.reply.flags], [0, 67, RST | ACK]);
  });
});

describe('LISTEN (a listening connection)', () => {
  function listener(): TcpConnection {
    return TcpConnection.listen({ localPort: LOCAL_PORT, iss: 1112, config: BASE_CONFIG });
  }

  test('a SYN moves it to SYN-RECEIVED, answering <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> with an MSS option (MUST-14)', () => {
    const c = listener();
    send(c, { flags: SYN, seq: 66, options: [mssOption(1460)] });
    assert.equal(c.state, TcpState.SynReceived);
    assert.equal(c.remotePort, REMOTE_PORT);
    const s = expectSent(c, { flags: SYN | ACK, seq: 1112, ack: 67 });
    assert.deepEqual(s.options, [mssOption(1460)]);
  });

  test('an incoming RST leaves it in LISTEN and sends nothing', () => {
    const c = listener();
    send(c, { flags: RST, seq: 66 });
    assert.equal(c.state, TcpState.Listen);
    expectNothing(c);
  });

  test('an ACK is answered with a reset and it stays in LISTEN', () => {
    const c = listener();
    send(c, { flags: ACK, seq: 66, ack: 4000 });
    expectSent(c, { flags: RST, seq: 4000 });
    assert.equal(c.state, TcpState.Listen);
  });

  test('a segment for another port is dropped', () => {
    const c = listener();
    send(c, { flags: SYN, seq: 66, dstPort: LOCAL_PORT + 1 });
    assert.equal(c.state, TcpState.Listen);
    assert.equal(c.counters.drops['port-mismatch'], 1);
  });

  test('SEND in LISTEN without a remote socket throws ERR_SYNACK_NOT_CONNECTED', () => {
    assert.throws(() => listener().send(bytes('x')), { code: 'ERR_SYNACK_NOT_CONNECTED' });
  });

  test('an active OPEN in LISTEN turns the connection active: SYN sent, SYN-SENT (3.10.1)', () => {
    const c = listener();
    c.open({ now: 0, remotePort: REMOTE_PORT, iss: 500 });
    assert.equal(c.state, TcpState.SynSent);
    expectSent(c, { flags: SYN, seq: 500, dstPort: REMOTE_PORT });
    send(c, { flags: SYN | ACK, seq: 9000, ack: 501 });
    assert.equal(c.state, TcpState.Established);
    assert.throws(() => c.open({ now: 0, remotePort: 1, iss: 1 }), { code: 'ERR_SYNACK_CONN_EXISTS' });
  });

  test('CLOSE in LISTEN deletes the connection', () => {
    const c = listener();
    c.close();
    assert.equal(c.state, TcpState.Closed);
    assert.deepEqual(eventTypes(c), ['closed']);
  });

  test('text on the SYN is not acknowledged (the peer sends it again after the handshake)', () => {
    const c = listener();
    send(c, { flags: SYN, seq: 66, payload: 'early' });
    expectSent(c, { flags: SYN | ACK, ack: 67 });
    assert.equal(c.counters.drops['syn-data'], 1);
  });
});
