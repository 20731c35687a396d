/**
 * The traces of the lecture seed (/work/shared/seeds/003_*.txt, "4.4.3 Verbindungsauf- und -abbau"),
 * reproduced segment for segment by two engines wired back to back: A (ISN 66) and B (ISN 1112).
 * Every expected number below is the lecture's. Where the lecture leaves out the ACK flag after the
 * handshake, real TCP sets it (RFC 9293 3.8: "once in the ESTABLISHED state, all segments must
 * carry current acknowledgment information"), so the expectations include ACK with the current
 * acknowledgment number.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TcpConnection } from '../../src/tcp/connection.js';
import { TcpState } from '../../src/tcp/state.js';
import { ACK, BASE_CONFIG, bytes, eventTypes, expectNothing, expectSent, FIN, SYN, text, type SegSpec } from './util.js';

const A_PORT = 49152;
const B_PORT = 80;

/** The next segment of `from` must match `spec`; deliver it to `to`. */
function hop(from: TcpConnection, to: TcpConnection, spec: SegSpec, now: number): void {
  const seg = expectSent(from, spec, now);
  to.handleSegment(now, seg);
}

/** Three-way handshake with the lecture's ISNs; B is a passive open (LISTEN). */
function handshake(issB = 1112): { a: TcpConnection; b: TcpConnection } {
  const a = TcpConnection.connect({ now: 0, localPort: A_PORT, remotePort: B_PORT, iss: 66, config: BASE_CONFIG });
  const b = TcpConnection.listen({ localPort: B_PORT, iss: issB, config: BASE_CONFIG });
  assert.equal(b.state, TcpState.Listen);
  // A -> B [ SYN, seq=66, no data ]
  hop(a, b, { flags: SYN, seq: 66, payload: '' }, 0);
  assert.equal(b.state, TcpState.SynReceived);
  // B -> A [ ACK, ack=67, SYN, seq=1112, no data ]
  hop(b, a, { flags: SYN | ACK, seq: issB, ack: 67, payload: '' }, 1);
  assert.equal(a.state, TcpState.Established);
  // A -> B [ ACK, ack=1113, seq=67, no data ]
  hop(a, b, { flags: ACK, seq: 67, ack: issB + 1, payload: '' }, 2);
  assert.equal(b.state, TcpState.Established);
  expectNothing(a, 2);
  expectNothing(b, 2);
  return { a, b };
}

describe('lecture 4.4.3: connection establishment', () => {
  test('the three-way handshake with ISNs 66 and 1112 is SYN seq=66; SYN,ACK seq=1112 ack=67; ACK seq=67 ack=1113', () => {
    const { a, b } = handshake();
    assert.deepEqual(eventTypes(a), ['connected']);
    assert.deepEqual(eventTypes(b), ['connected']);
  });
});

describe('lecture 4.4.3: close without half-close', () => {
  test('A sends its last 5 bytes at seq=86, B acks 91, FIN seq=91, B acks 92 and sends its FIN seq=1113 as a second segment, A acks 1114', () => {
    const { a, b } = handshake();
    let t = 10;
    // A's first 19 bytes (67..85), acknowledged by B's delayed ACK, bring A to seq=86.
    a.send(bytes('nineteen bytes.....'));
    hop(a, b, { flags: ACK | 0x08, seq: 67, ack: 1113 }, t);
    expectNothing(b, t);
    t += 40;
    hop(b, a, { flags: ACK, seq: 1113, ack: 86 }, t);
    assert.equal(text(b.read()), 'nineteen bytes.....');

    // A -> B [ seq=86, 5 bytes data ]
    t += 100;
    a.send(bytes('last5'));
    hop(a, b, { seq: 86, ack: 1113, payload: 'last5' }, t);
    // B -> A [ ACK, ack=91, seq=1113, no data ] (after B's delayed-ACK timer)
    expectNothing(b, t);
    t += 40;
    hop(b, a, { flags: ACK, seq: 1113, ack: 91, payload: '' }, t);
    assert.equal(text(b.read()), 'last5');

    // A -> B [ FIN, seq=91, no data ]
    t += 100;
    a.shutdown();
    assert.equal(a.state, TcpState.FinWait1);
    hop(a, b, { flags: FIN | ACK, seq: 91, ack: 1113, payload: '' }, t);
    assert.equal(b.state, TcpState.CloseWait);

    // B -> A [ ACK, ack=92, seq=1113, no data ]  B -> A [ FIN, seq=1113, no data ]: two segments.
    hop(b, a, { flags: ACK, seq: 1113, ack: 92, payload: '' }, t);
    expectNothing(b, t);
    assert.equal(a.state, TcpState.FinWait2);
    b.close();
    assert.equal(b.state, TcpState.LastAck);
    hop(b, a, { flags: FIN | ACK, seq: 1113, ack: 92, payload: '' }, t + 1);
    assert.equal(a.state, TcpState.TimeWait);

    // A -> B [ ACK, ack=1114, no data ]
    hop(a, b, { flags: ACK, seq: 92, ack: 1114, payload: '' }, t + 2);
    assert.equal(b.state, TcpState.Closed);
    assert.deepEqual(eventTypes(b), ['connected', 'readable', 'readable', 'peer-closed', 'fin-acked', 'closed']);
    assert.ok(eventTypes(a).includes('peer-closed'));
  });
});

describe('lecture 4.4.3: half-close', () => {
  test('after A sends FIN seq=91, B keeps sending 4 then 5 bytes; B FIN seq=1080; A acks 1081', () => {
    // The half-close trace needs B to have sent data up to 1065, which ISN 1112 cannot give;
    // B's ISN is 1045 here, so B's earlier 20 bytes are 1046..1065 and A's 19 bytes are 67..85.
    const { a, b } = handshake(1045);
    let t = 10;
    a.send(bytes('nineteen bytes.....'));
    hop(a, b, { seq: 67, ack: 1046, payload: 'nineteen bytes.....' }, t);
    b.send(bytes('twenty bytes from B.'));
    hop(b, a, { flags: ACK | 0x08, seq: 1046, ack: 86, payload: 'twenty bytes from B.' }, t);
    assert.equal(b.read().length, 19);
    assert.equal(a.read().length, 20);

    // A -> B [ ACK, ack=1066, seq=86, 5 bytes data ] (A acks B's bytes with its last five)
    t += 10;
    a.send(bytes('AAAAA'));
    hop(a, b, { flags: ACK | 0x08, seq: 86, ack: 1066, payload: 'AAAAA' }, t);

    // B -> A [ ACK, ack=91, seq=1066, 5 bytes data ]
    b.send(bytes('BBBBB'));
    hop(b, a, { flags: ACK | 0x08, seq: 1066, ack: 91, payload: 'BBBBB' }, t);

    // A -> B [ ACK, ack=1071, FIN, seq=91, no data ]
    a.shutdown();
    hop(a, b, { flags: ACK | FIN, seq: 91, ack: 1071, payload: '' }, t);
    assert.equal(b.state, TcpState.CloseWait);
    assert.equal(a.state, TcpState.FinWait1);

    // B -> A [ ACK, ack=92, seq=1071, 4 bytes data ]: the FIN's ACK rides on B's data.
    b.send(bytes('bbbb'));
    hop(b, a, { flags: ACK | 0x08, seq: 1071, ack: 92, payload: 'bbbb' }, t);
    expectNothing(b, t);
    assert.equal(a.state, TcpState.FinWait2);

    // A -> B [ ACK, ack=1075, no data ] (A's delayed ACK; its sequence number no longer matters)
    expectNothing(a, t);
    t += 40;
    hop(a, b, { flags: ACK, ack: 1075, payload: '' }, t);

    // B -> A [ seq=1075, 5 bytes data ]
    b.send(bytes('bbbbb'));
    hop(b, a, { seq: 1075, ack: 92, payload: 'bbbbb' }, t);

    // A -> B [ ACK, ack=1080, no data ]
    t += 40;
    hop(a, b, { flags: ACK, ack: 1080, payload: '' }, t);

    // B -> A [ FIN, seq=1080, no data ]
    assert.equal(text(b.read()), 'AAAAA');
    b.close();
    assert.equal(b.state, TcpState.LastAck);
    hop(b, a, { flags: FIN | ACK, seq: 1080, ack: 92, payload: '' }, t);
    assert.equal(a.state, TcpState.TimeWait);

    // A -> B [ ACK, ack=1081, no data ]
    hop(a, b, { flags: ACK, seq: 92, ack: 1081, payload: '' }, t);
    assert.equal(b.state, TcpState.Closed);
    assert.equal(text(a.read()), 'BBBBBbbbbbbbbb');
    assert.ok(a.eof);
  });
});
