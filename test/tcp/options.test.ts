/**
 * TCP options in the engine: window scaling and timestamps (RFC 7323), SACK-permitted (RFC 2018),
 * illegal option lengths (RFC 9293 MUST-7).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TcpConnection } from '../../src/tcp/connection.js';
import { TcpState } from '../../src/tcp/state.js';
import { optionsLength, synOptions } from '../../src/tcp/options.js';
import type { TcpConfig } from '../../src/tcp/config.js';
import type { TcpOption } from '../../src/wire/tcp.js';
import {
  ACK, bytes, events, expectNothing, expectSent, established, LOCAL_PORT, mssOption, PSH, REMOTE_PORT, RST, send, SYN, TEMPLATE,
} from './util.js';

const ws = (shift: number): TcpOption => ({ kind: 3, name: 'wscale', shift });
const ts = (tsval: number, tsecr: number): TcpOption => ({ kind: 8, name: 'timestamps', tsval, tsecr });
const sackOk: TcpOption = { kind: 4, name: 'sackPermitted' };

function connect(config: Partial<TcpConfig>): TcpConnection {
  return TcpConnection.connect({ now: 0, localPort: LOCAL_PORT, remotePort: REMOTE_PORT, iss: 66, config });
}

function find<K extends TcpOption['name']>(opts: readonly TcpOption[], name: K): Extract<TcpOption, { name: K }> | undefined {
  return opts.find((o) => o.name === name) as Extract<TcpOption, { name: K }> | undefined;
}

describe('window scaling (RFC 7323)', () => {
  test('our SYN offers the smallest shift that covers the receive buffer', () => {
    const c = connect({ recvBufferSize: 256 * 1024, timestamps: false, sack: false });
    const syn = expectSent(c, { flags: SYN });
    assert.equal(find(syn.options, 'wscale')?.shift, 3);
    assert.equal(syn.window, 65535);
  });

  test('scaling applies only when both SYNs carry the option; a SYN window is never scaled (2.2)', () => {
    const c = connect({ timestamps: false, sack: false });
    expectSent(c, { flags: SYN });
    send(c, { flags: SYN | ACK, seq: 1112, ack: 67, window: 1000, options: [mssOption(1460), ws(7)] });
    assert.deepEqual([c.info().sndWndShift, c.info().rcvWndShift, c.info().sndWnd], [7, 3, 1000]);
    // Our ACK's window field is scaled by our shift: 256 KiB >> 3.
    expectSent(c, { flags: ACK, window: 32768 });
    send(c, { flags: ACK, seq: 1113, ack: 67, window: 1000 });
    assert.equal(c.info().sndWnd, 128000);
  });

  test('without the option in the SYN,ACK neither side scales and the window field is capped at 65535', () => {
    const c = connect({ timestamps: false, sack: false });
    expectSent(c, { flags: SYN });
    send(c, { flags: SYN | ACK, seq: 1112, ack: 67, window: 1000, options: [mssOption(1460)] });
    assert.deepEqual([c.info().sndWndShift, c.info().rcvWndShift], [0, 0]);
    expectSent(c, { flags: ACK, window: 65535 });
  });

  test('a shift above 14 is used as 14 (2.3)', () => {
    const c = connect({ timestamps: false, sack: false });
    expectSent(c, { flags: SYN });
    send(c, { flags: SYN | ACK, seq: 1112, ack: 67, options: [ws(20)] });
    assert.equal(c.info().sndWndShift, 14);
    // The largest scaled window is still a positive number (MUST-1, REC-1).
    send(c, { flags: ACK, seq: 1113, ack: 67, window: 0xffff });
    assert.equal(c.info().sndWnd, 0xffff * 2 ** 14);
  });

  test('a passive open answers with window scale only if the SYN offered it', () => {
    const withWs = TcpConnection.accept({ now: 0, syn: { ...TEMPLATE, flags: SYN, seq: 66, options: [ws(2)] }, iss: 1112, config: { timestamps: false, sack: false } });
    assert.equal(find(expectSent(withWs, { flags: SYN | ACK }).options, 'wscale')?.shift, 3);
    const without = TcpConnection.accept({ now: 0, syn: { ...TEMPLATE, flags: SYN, seq: 66 }, iss: 1112, config: { timestamps: false, sack: false } });
    assert.equal(find(expectSent(without, { flags: SYN | ACK }).options, 'wscale'), undefined);
  });
});

describe('timestamps (RFC 7323)', () => {
  function tsEstablished(now = 0): TcpConnection {
    const c = TcpConnection.connect({ now, localPort: LOCAL_PORT, remotePort: REMOTE_PORT, iss: 66, tsOffset: 5000, config: { windowScaling: false, sack: false } });
    const syn = expectSent(c, { flags: SYN }, now);
    assert.deepEqual(find(syn.options, 'timestamps'), ts(5000 + now, 0));
    send(c, { flags: SYN | ACK, seq: 1112, ack: 67, options: [mssOption(1460), ts(1000, 5000 + now)] }, now + 10);
    const ack = expectSent(c, { flags: ACK }, now + 10);
    assert.deepEqual(find(ack.options, 'timestamps'), ts(5000 + now + 10, 1000));
    return c;
  }

  test('are used when both SYNs carry them; every segment then carries TSval and TSecr = TS.Recent', () => {
    const c = tsEstablished();
    assert.equal(c.info().timestamps, true);
    send(c, { flags: ACK | PSH, seq: 1113, ack: 67, payload: 'x', options: [ts(1100, 5010)] }, 20);
    const a = expectSent(c, { flags: ACK, ack: 1114 }, 60);
    assert.deepEqual(find(a.options, 'timestamps'), ts(5060, 1100));
  });

  test('the data MSS shrinks by the 12 bytes of the timestamp option (RFC 9293 3.7.1 TCPhdrsize)', () => {
    const c = tsEstablished();
    c.setNoDelay(true);
    c.send(new Uint8Array(3000));
    assert.equal(expectSent(c, { seq: 67 }, 20).payload.length, 1448);
  });

  test('PAWS: a segment with a TSval older than TS.Recent is acknowledged and dropped (5.3 R1)', () => {
    const c = tsEstablished();
    send(c, { flags: ACK | PSH, seq: 1113, ack: 67, payload: 'old', options: [ts(999, 5010)] }, 20);
    expectSent(c, { flags: ACK, ack: 1113 }, 20);
    assert.equal(c.readableBytes, 0);
    assert.equal(c.counters.drops.paws, 1);
    send(c, { flags: ACK | PSH, seq: 1113, ack: 67, payload: 'new', options: [ts(1001, 5010)] }, 21);
    assert.equal(c.readableBytes, 3);
  });

  test('a non-RST segment without timestamps is dropped once they are in use (3.2)', () => {
    const c = tsEstablished();
    send(c, { flags: ACK | PSH, seq: 1113, ack: 67, payload: 'bare' }, 20);
    assert.equal(c.readableBytes, 0);
    assert.equal(c.counters.drops['missing-timestamp'], 1);
    // A RST needs no timestamp.
    send(c, { flags: RST, seq: 1113 }, 21);
    assert.equal(c.state, TcpState.Closed);
  });

  test('the RTT is measured from TSecr (4.1), even for a retransmitted segment', () => {
    const c = TcpConnection.connect({ now: 0, localPort: LOCAL_PORT, remotePort: REMOTE_PORT, iss: 66, config: { windowScaling: false, sack: false, minRto: 10 } });
    expectSent(c, { flags: SYN });
    send(c, { flags: SYN | ACK, seq: 1112, ack: 67, options: [ts(1, 0)] }, 300);
    expectSent(c, { flags: ACK }, 300);
    assert.equal(c.info().srtt, 300); // from the SYN's round trip
    c.send(bytes('x'));
    expectSent(c, { seq: 67 }, 1000);
    // RTO = 300 + 4 * 150 = 900: the segment goes again at 1900 with a fresh TSval.
    const again = expectSent(c, { seq: 67 }, 1900);
    const tsval = find(again.options, 'timestamps')?.tsval ?? -1;
    send(c, { flags: ACK, seq: 1113, ack: 68, options: [ts(2, tsval)] }, 1980);
    // The echo dates the retransmission, so the sample (80 ms) is valid despite Karn (RFC 7323 4.1).
    assert.equal(c.info().srtt, 0.875 * 300 + 0.125 * 80);
  });

  test('a passive open answers with timestamps only if the SYN offered them, echoing its TSval', () => {
    const c = TcpConnection.accept({ now: 7, syn: { ...TEMPLATE, flags: SYN, seq: 66, options: [ts(4242, 0)] }, iss: 1112, config: { windowScaling: false, sack: false } });
    assert.deepEqual(find(expectSent(c, { flags: SYN | ACK }, 7).options, 'timestamps'), ts(7, 4242));
    const d = TcpConnection.accept({ now: 0, syn: { ...TEMPLATE, flags: SYN, seq: 66 }, iss: 1112, config: { windowScaling: false, sack: false } });
    assert.equal(find(expectSent(d, { flags: SYN | ACK }).options, 'timestamps'), undefined);
  });
});

describe('SACK-permitted (RFC 2018)', () => {
  test('our SYN offers it; a SYN,ACK carries it only if the SYN did', () => {
    assert.ok(find(expectSent(connect({ timestamps: false, windowScaling: false }), { flags: SYN }).options, 'sackPermitted'));
    const c = TcpConnection.accept({ now: 0, syn: { ...TEMPLATE, flags: SYN, seq: 66, options: [sackOk] }, iss: 1, config: { timestamps: false, windowScaling: false } });
    assert.ok(find(expectSent(c, { flags: SYN | ACK }).options, 'sackPermitted'));
    const d = TcpConnection.accept({ now: 0, syn: { ...TEMPLATE, flags: SYN, seq: 66 }, iss: 1, config: { timestamps: false, windowScaling: false } });
    assert.equal(find(expectSent(d, { flags: SYN | ACK }).options, 'sackPermitted'), undefined);
  });

  test('all SYN options together take 20 bytes in the Linux order', () => {
    const opts = synOptions({ mss: 1460, windowScale: 7, sackPermitted: true, timestamps: { tsval: 1, tsecr: 0 } });
    assert.deepEqual(opts.map((o) => o.name), ['mss', 'sackPermitted', 'timestamps', 'nop', 'wscale']);
    assert.equal(optionsLength(opts), 20);
  });
});

describe('illegal option length (MUST-7)', () => {
  test('on an acceptable segment the connection is reset and the cause reported', () => {
    const c = established();
    send(c, { flags: ACK, seq: 1113, ack: 67, payload: 'x' }, 0, { optionError: true });
    expectSent(c, { flags: RST, seq: 67 });
    assert.equal(c.state, TcpState.Closed);
    assert.deepEqual(events(c), [{ type: 'reset', reason: 'illegal-option' }]);
  });

  test('on a segment outside the window it only gets the usual ACK (no blind reset)', () => {
    const c = established();
    send(c, { flags: ACK, seq: 1, ack: 67, payload: 'x' }, 0, { optionError: true });
    expectSent(c, { flags: ACK, seq: 67, ack: 1113 });
    assert.equal(c.state, TcpState.Established);
  });

  test('with illegalOptionAction "drop" the segment is dropped and the connection lives on', () => {
    const c = established({ config: { illegalOptionAction: 'drop' } });
    send(c, { flags: ACK, seq: 1113, ack: 67, payload: 'x' }, 0, { optionError: true });
    expectNothing(c, 1000);
    assert.equal(c.state, TcpState.Established);
    assert.equal(c.readableBytes, 0);
  });
});
