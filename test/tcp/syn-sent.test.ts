/**
 * RFC 9293 3.10.7.3 SYN-SENT, the active OPEN (3.10.1), MSS handling (3.7.1) and the SYN
 * retransmission rules (3.8.3, RFC 6298).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TcpConnection } from '../../src/tcp/connection.js';
import { TcpState } from '../../src/tcp/state.js';
import type { TcpConfig } from '../../src/tcp/config.js';
import {
  ACK, BASE_CONFIG, bytes, eventTypes, events, expectNothing, expectSent, FIN, LOCAL_PORT, mssOption, PSH, REMOTE_PORT, RST, send, SYN,
} from './util.js';

function synSent(config: Partial<TcpConfig> = {}): TcpConnection {
  const c = TcpConnection.connect({ now: 0, localPort: LOCAL_PORT, remotePort: REMOTE_PORT, iss: 66, config: { ...BASE_CONFIG, ...config } });
  expectSent(c, { flags: SYN, seq: 66, ack: 0 });
  return c;
}

describe('SYN-SENT', () => {
  test('OPEN sends <SEQ=ISS><CTL=SYN> with an MSS option from the MTU (MUST-14, MAY-3, MUST-67)', () => {
    const c = TcpConnection.connect({ now: 0, localPort: LOCAL_PORT, remotePort: REMOTE_PORT, iss: 66, config: BASE_CONFIG });
    assert.equal(c.state, TcpState.SynSent);
    const s = expectSent(c, { srcPort: LOCAL_PORT, dstPort: REMOTE_PORT, flags: SYN, seq: 66, payload: '' });
    // MTU 1500 - 20 (IPv4) - 20 (TCP) = 1460 = MMS_R - 20
    assert.deepEqual(s.options, [mssOption(1460)]);
    expectNothing(c, 999);
  });

  test('the MSS option follows the MTU and IP version (MUST-67)', () => {
    const v6 = TcpConnection.connect({ now: 0, localPort: 1, remotePort: 2, iss: 1, config: { ...BASE_CONFIG, ipVersion: 6, mtu: 1280 } });
    assert.deepEqual(v6.pollTransmit(0)?.options, [mssOption(1220)]);
  });

  test('retransmits the SYN after the initial RTO of 1 s (RFC 6298 2.1)', () => {
    const c = synSent();
    expectNothing(c, 999);
    expectSent(c, { flags: SYN, seq: 66 }, 1000);
    expectNothing(c, 2999);
    expectSent(c, { flags: SYN, seq: 66 }, 3000);
  });

  test('backs the SYN off exponentially and gives up no sooner than 3 minutes (MUST-20, MUST-22, MUST-23)', () => {
    const c = synSent();
    const times: number[] = [];
    for (let t = 1; t < 400_000 && c.state !== TcpState.Closed; t++) {
      const due = c.pollAt();
      if (due === undefined) break;
      t = due;
      c.handleTimeout(t);
      for (let s = c.pollTransmit(t); s; s = c.pollTransmit(t)) times.push(t);
    }
    assert.deepEqual(times, [1000, 3000, 7000, 15000, 31000, 63000, 123000]);
    assert.equal(c.state, TcpState.Closed);
    const ev = events(c);
    assert.deepEqual(ev[0], { type: 'retransmitting', count: 3 }); // R1 advice (SHLD-9, SHLD-10)
    assert.deepEqual(ev.at(-1), { type: 'timed-out', reason: 'syn' });
    assert.throws(() => c.send(bytes('x')), { code: 'ERR_SYNACK_TIMED_OUT' });
  });

  test('SYN,ACK acknowledging the SYN moves to ESTABLISHED and is answered <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>', () => {
    const c = synSent();
    send(c, { flags: SYN | ACK, seq: 1112, ack: 67, options: [mssOption(1460)] });
    assert.equal(c.state, TcpState.Established);
    expectSent(c, { flags: ACK, seq: 67, ack: 1113, payload: '' });
    assert.deepEqual(eventTypes(c), ['connected']);
    expectNothing(c, 10_000); // the SYN timer is off
  });

  test('an ACK at or below ISS or above SND.NXT is answered with <SEQ=SEG.ACK><CTL=RST> and dropped', () => {
    const c = synSent();
    send(c, { flags: SYN | ACK, seq: 1112, ack: 66 });
    expectSent(c, { flags: RST, seq: 66 });
    send(c, { flags: ACK, seq: 1112, ack: 68 });
    expectSent(c, { flags: RST, seq: 68 });
    assert.equal(c.state, TcpState.SynSent);
  });

  test('a RST with an unacceptable ACK is dropped without a reply', () => {
    const c = synSent();
    send(c, { flags: RST | ACK, seq: 0, ack: 1000 });
    expectNothing(c);
    assert.equal(c.state, TcpState.SynSent);
  });

  test('a RST that acknowledges the SYN refuses the connection', () => {
    const c = synSent();
    send(c, { flags: RST | ACK, seq: 0, ack: 67 });
    assert.equal(c.state, TcpState.Closed);
    assert.deepEqual(events(c), [{ type: 'reset', reason: 'refused' }]);
    expectNothing(c);
    assert.throws(() => c.send(bytes('x')), { code: 'ERR_SYNACK_CONN_REFUSED' });
  });

  test('a RST without ACK is dropped', () => {
    const c = synSent();
    send(c, { flags: RST, seq: 1000 });
    assert.equal(c.state, TcpState.SynSent);
    expectNothing(c);
  });

  test('a segment with neither SYN nor RST is dropped', () => {
    const c = synSent();
    send(c, { flags: ACK, seq: 1112, ack: 67 });
    assert.equal(c.state, TcpState.SynSent);
    expectNothing(c);
    send(c, { flags: FIN, seq: 1112 });
    assert.equal(c.state, TcpState.SynSent);
  });

  test('a SYN without ACK (simultaneous open) moves to SYN-RECEIVED and sends <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> (MUST-10)', () => {
    const c = synSent();
    send(c, { flags: SYN, seq: 1112, options: [mssOption(1460)] });
    assert.equal(c.state, TcpState.SynReceived);
    expectSent(c, { flags: SYN | ACK, seq: 66, ack: 1113 });
  });

  test('data queued before ESTABLISHED goes out right after the handshake', () => {
    const c = synSent();
    assert.equal(c.send(bytes('queued')), 6);
    expectNothing(c);
    send(c, { flags: SYN | ACK, seq: 1112, ack: 67, options: [mssOption(1460)] });
    expectSent(c, { flags: ACK | PSH, seq: 67, ack: 1113, payload: 'queued' });
  });

  test('CLOSE in SYN-SENT deletes the connection without sending anything', () => {
    const c = synSent();
    c.close();
    assert.equal(c.state, TcpState.Closed);
    expectNothing(c, 5000);
    assert.deepEqual(eventTypes(c), ['closed']);
  });

  test('text on the SYN,ACK is delivered and acknowledged (continue at the sixth step)', () => {
    const c = synSent();
    send(c, { flags: SYN | ACK | FIN, seq: 1112, ack: 67, payload: 'hello' });
    expectSent(c, { flags: ACK, seq: 67, ack: 1119 });
    assert.equal(c.state, TcpState.CloseWait);
    assert.equal(new TextDecoder().decode(c.read()), 'hello');
  });

  test('without an MSS option the send MSS is 536 for IPv4 (MUST-15)', () => {
    const c = synSent({ congestionControl: 'none' });
    send(c, { flags: SYN | ACK, seq: 1112, ack: 67 });
    expectSent(c, { flags: ACK });
    c.send(new Uint8Array(2000));
    assert.equal(expectSent(c, { seq: 67 }).payload.length, 536);
    assert.equal(expectSent(c, { seq: 67 + 536 }).payload.length, 536);
  });

  test('without an MSS option the send MSS is 1220 for IPv6 (MUST-15)', () => {
    const c = synSent({ congestionControl: 'none', ipVersion: 6 });
    send(c, { flags: SYN | ACK, seq: 1112, ack: 67 });
    expectSent(c, { flags: ACK });
    c.send(new Uint8Array(3000));
    assert.equal(expectSent(c, { seq: 67 }).payload.length, 1220);
  });

  test('the effective send MSS is min(SendMSS+20, MMS_S) - TCP header - IP options (MUST-16)', () => {
    // Peer offers 9000 but our MTU is 1500: min(9020, 1480) - 20 - 8 (IP options) = 1452.
    const c = synSent({ congestionControl: 'none', ipOptionsSize: 8 });
    send(c, { flags: SYN | ACK, seq: 1112, ack: 67, options: [mssOption(9000)] });
    expectSent(c, { flags: ACK });
    c.send(new Uint8Array(3000));
    assert.equal(expectSent(c, { seq: 67 }).payload.length, 1452);
    // A peer MSS below our limit wins.
    const d = synSent({ congestionControl: 'none' });
    send(d, { flags: SYN | ACK, seq: 1112, ack: 67, options: [mssOption(1000)] });
    expectSent(d, { flags: ACK });
    d.send(new Uint8Array(3000));
    assert.equal(expectSent(d, { seq: 67 }).payload.length, 1000);
  });

  test('the MSS option is sent only on SYN segments (MUST-65)', () => {
    const c = synSent();
    send(c, { flags: SYN | ACK, seq: 1112, ack: 67, options: [mssOption(1460)] });
    assert.deepEqual(expectSent(c, { flags: ACK }).options, []);
    c.send(bytes('x'));
    assert.deepEqual(expectSent(c, { seq: 67 }).options, []);
  });

  test('options in any order, unaligned, with unknown kinds are accepted; unknown ones ignored (MUST-4, MUST-5, MUST-6, MUST-64)', () => {
    const c = synSent({ congestionControl: 'none' });
    send(c, {
      flags: SYN | ACK,
      seq: 1112,
      ack: 67,
      options: [{ kind: 1, name: 'nop' }, { kind: 99, name: 'unknown', data: Uint8Array.of(1, 2, 3) }, mssOption(1000), { kind: 0, name: 'eol' }],
    });
    assert.equal(c.state, TcpState.Established);
    expectSent(c, { flags: ACK });
    c.send(new Uint8Array(1500));
    assert.equal(expectSent(c, { seq: 67 }).payload.length, 1000);
  });

  test('an illegal option length on an acceptable SYN,ACK resets the connection (MUST-7)', () => {
    const c = synSent();
    send(c, { flags: SYN | ACK, seq: 1112, ack: 67 }, 0, { optionError: true });
    expectSent(c, { flags: RST, seq: 67 });
    assert.equal(c.state, TcpState.Closed);
    assert.deepEqual(events(c), [{ type: 'reset', reason: 'illegal-option' }]);
  });

  test('with illegalOptionAction "drop", a SYN,ACK with an illegal option length is only dropped', () => {
    const c = synSent({ illegalOptionAction: 'drop' });
    send(c, { flags: SYN | ACK, seq: 1112, ack: 67 }, 0, { optionError: true });
    expectNothing(c);
    assert.equal(c.state, TcpState.SynSent);
  });

  test('a SYN,ACK for another port is dropped', () => {
    const c = synSent();
    send(c, { flags: SYN | ACK, seq: 1112, ack: 67, srcPort: REMOTE_PORT + 1 });
    assert.equal(c.state, TcpState.SynSent);
  });

  test('after a timed-out SYN the RTO restarts at 3 s when data transmission begins (RFC 6298 5.7)', () => {
    const c = synSent();
    expectSent(c, { flags: SYN }, 1000);
    send(c, { flags: SYN | ACK, seq: 1112, ack: 67, options: [mssOption(1460)] }, 1500);
    expectSent(c, { flags: ACK }, 1500);
    assert.equal(c.info().rto, 3000);
  });
});
