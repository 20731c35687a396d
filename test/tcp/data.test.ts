/**
 * Data transfer in ESTABLISHED: ACK generation (RFC 9293 3.8.6.3, RFC 5681 4.2), out-of-order
 * queueing (SHLD-31), SACK blocks (RFC 2018), PSH (MUST-61), Nagle (3.7.4), sender and receiver
 * silly-window avoidance (3.8.6.2), window shrinking (3.8.6), urgent data (3.8.5).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../src/tcp/config.js';
import type { TcpOption } from '../../src/wire/tcp.js';
import {
  ACK, bytes, events, eventTypes, expectNothing, expectSent, established, FIN, mssOption, PSH, RST, send, SYN, text, URG,
} from './util.js';
import { TcpConnection } from '../../src/tcp/connection.js';
import { TcpState } from '../../src/tcp/state.js';

const DATA = (n: number, fill = 0x61): Uint8Array => new Uint8Array(n).fill(fill);

describe('ESTABLISHED: acknowledgments', () => {
  test('in-order data is acknowledged after the delayed-ACK timeout, which is below 0.5 s (SHLD-18, MUST-40)', () => {
    const c = established();
    send(c, { flags: ACK | PSH, seq: 1113, ack: 67, payload: DATA(100) }, 1000);
    expectNothing(c, 1039);
    expectSent(c, { flags: ACK, seq: 67, ack: 1213 }, 1040);
    assert.deepEqual(eventTypes(c), ['readable']);
  });

  test('a delayed-ACK timeout of 0.5 s or more is refused (MUST-40)', () => {
    assert.throws(() => resolveConfig({ delayedAck: 500 }), { code: 'ERR_SYNACK_BAD_CONFIG' });
    assert.equal(resolveConfig({ delayedAck: 499 }).delayedAck, 499);
  });

  test('every second full-sized segment is acknowledged at once (SHLD-19)', () => {
    const c = established();
    send(c, { flags: ACK, seq: 1113, ack: 67, payload: DATA(1460) });
    expectNothing(c);
    send(c, { flags: ACK, seq: 1113 + 1460, ack: 67, payload: DATA(1460) });
    expectSent(c, { flags: ACK, ack: 1113 + 2920 });
  });

  test('segments processed together are acknowledged by one ACK (MUST-58, MUST-59)', () => {
    const c = established({ config: { delayedAck: 0 } });
    send(c, { flags: ACK, seq: 1113, ack: 67, payload: 'a' });
    send(c, { flags: ACK, seq: 1114, ack: 67, payload: 'b' });
    send(c, { flags: ACK, seq: 1115, ack: 67, payload: 'c' });
    expectSent(c, { flags: ACK, ack: 1116 });
    expectNothing(c);
  });

  test('out-of-order data is held and acknowledged at once with RCV.NXT (SHLD-31, MAY-13)', () => {
    const c = established();
    send(c, { flags: ACK, seq: 1118, ack: 67, payload: 'world' });
    expectSent(c, { flags: ACK, ack: 1113 });
    assert.equal(c.readableBytes, 0);
    send(c, { flags: ACK, seq: 1113, ack: 67, payload: 'hello' });
    expectSent(c, { flags: ACK, ack: 1123 }); // the gap is filled: ACK at once (RFC 5681 4.2)
    assert.equal(text(c.read()), 'helloworld');
  });

  test('two thousand holes in a multi-megabyte window are held, reported and filled', () => {
    const c = established({
      config: { sack: true, recvBufferSize: 8 << 20, windowScaling: true, maxOutOfOrderRanges: 4000 },
      peerOptions: [{ kind: 4, name: 'sackPermitted' }, { kind: 3, name: 'wscale', shift: 7 }],
    });
    const seg = 1000;
    const n = 4000;
    const data = Uint8Array.from({ length: n * seg }, (_, i) => (i * 7 + (i >> 10)) & 0xff);
    const at = (i: number): number => 1113 + i * seg;
    const piece = (i: number): Uint8Array => data.subarray(i * seg, (i + 1) * seg);
    // Every odd segment first: 2000 holes, each answered at once with RCV.NXT and SACK blocks.
    for (let i = 1; i < n; i += 2) {
      send(c, { flags: ACK, seq: at(i), ack: 67, payload: piece(i) });
      const a = expectSent(c, { flags: ACK, ack: 1113 });
      const sack = a.options.find((o) => o.name === 'sack');
      assert.ok(sack && sack.name === 'sack' && sack.blocks[0]!.left === at(i) && sack.blocks[0]!.right === at(i + 1), `first SACK block is segment ${i}`);
    }
    // The holes filled from the top down (every insert lands among thousands of ranges), then the first.
    for (let i = n - 2; i >= 2; i -= 2) {
      send(c, { flags: ACK, seq: at(i), ack: 67, payload: piece(i) });
      expectSent(c, { flags: ACK, ack: 1113 });
    }
    assert.equal(c.readableBytes, 0);
    send(c, { flags: ACK, seq: at(0), ack: 67, payload: piece(0) });
    expectSent(c, { flags: ACK, ack: at(n) });
    assert.equal(c.readableBytes, n * seg);
    assert.deepEqual(c.read(), data);
  });

  test('overlapping and duplicate out-of-order segments are merged', () => {
    const c = established({ config: { delayedAck: 0 } });
    send(c, { flags: ACK, seq: 1120, ack: 67, payload: 'hijk' });
    send(c, { flags: ACK, seq: 1118, ack: 67, payload: 'fghi' });
    send(c, { flags: ACK, seq: 1125, ack: 67, payload: 'mn' });
    send(c, { flags: ACK, seq: 1120, ack: 67, payload: 'hijk' });
    send(c, { flags: ACK, seq: 1113, ack: 67, payload: 'abcde' });
    assert.equal(text(c.read()), 'abcdefghijk');
    send(c, { flags: ACK, seq: 1124, ack: 67, payload: 'l' });
    assert.equal(text(c.read()), 'lmn');
  });

  test('the out-of-order queue is bounded: a segment needing one range too many is dropped', () => {
    const c = established({ config: { maxOutOfOrderRanges: 2, delayedAck: 0 } });
    send(c, { flags: ACK, seq: 1120, ack: 67, payload: 'B' });
    send(c, { flags: ACK, seq: 1130, ack: 67, payload: 'C' });
    send(c, { flags: ACK, seq: 1140, ack: 67, payload: 'D' });
    assert.equal(c.counters.drops['ooo-full'], 1);
    send(c, { flags: ACK, seq: 1113, ack: 67, payload: '0123456' });
    assert.equal(text(c.read()), '0123456B');
  });

  test('a FIN beyond a gap is held until the gap is filled', () => {
    const c = established({ config: { delayedAck: 0 } });
    send(c, { flags: ACK | FIN, seq: 1118, ack: 67, payload: 'world' });
    expectSent(c, { flags: ACK, ack: 1113 });
    assert.equal(c.state, TcpState.Established);
    send(c, { flags: ACK, seq: 1113, ack: 67, payload: 'hello' });
    expectSent(c, { flags: ACK, ack: 1124 });
    assert.equal(c.state, TcpState.CloseWait);
    assert.deepEqual(eventTypes(c), ['readable', 'peer-closed']);
  });

  test('out-of-order data is reported in SACK blocks when SACK was negotiated, newest block first (RFC 2018)', () => {
    const c = TcpConnection.connect({ now: 0, localPort: 49152, remotePort: 80, iss: 66, config: { timestamps: false, windowScaling: false } });
    expectSent(c, { flags: SYN });
    send(c, { flags: SYN | ACK, seq: 1112, ack: 67, options: [mssOption(1460), { kind: 4, name: 'sackPermitted' }] });
    expectSent(c, { flags: ACK });
    send(c, { flags: ACK, seq: 1213, ack: 67, payload: DATA(50) });
    let s = expectSent(c, { flags: ACK, ack: 1113 });
    assert.deepEqual(sack(s.options), [{ left: 1213, right: 1263 }]);
    send(c, { flags: ACK, seq: 1313, ack: 67, payload: DATA(10) });
    s = expectSent(c, { flags: ACK, ack: 1113 });
    assert.deepEqual(sack(s.options), [{ left: 1313, right: 1323 }, { left: 1213, right: 1263 }]);
    send(c, { flags: ACK, seq: 1113, ack: 67, payload: DATA(100) });
    s = expectSent(c, { flags: ACK, ack: 1263 });
    assert.deepEqual(sack(s.options), [{ left: 1313, right: 1323 }]);
  });
});

function sack(options: readonly TcpOption[]): unknown {
  for (const o of options) if (o.name === 'sack') return o.blocks;
  return undefined;
}

describe('ESTABLISHED: sending', () => {
  test('PSH is set on the segment that empties the send buffer (MUST-61, SHLD-27)', () => {
    const c = established({ config: { congestionControl: 'none', nagle: false } });
    c.send(DATA(3000));
    expectSent(c, { flags: ACK, seq: 67 });
    expectSent(c, { flags: ACK, seq: 67 + 1460 });
    expectSent(c, { flags: ACK | PSH, seq: 67 + 2920, payload: DATA(80) });
  });

  test('segments are full-sized when enough data is queued (SHLD-28)', () => {
    const c = established({ config: { congestionControl: 'none' } });
    c.send(DATA(1460 * 3));
    for (let i = 0; i < 3; i++) assert.equal(expectSent(c, { seq: 67 + 1460 * i }).payload.length, 1460);
  });

  test('a small write goes out at once when nothing is unacknowledged: data is never held indefinitely (MUST-60)', () => {
    const c = established();
    c.send(bytes('?'));
    expectSent(c, { flags: ACK | PSH, seq: 67, payload: '?' });
  });

  test('Nagle: a small segment waits while data is unacknowledged (SHLD-7)', () => {
    const c = established();
    c.send(bytes('a'));
    expectSent(c, { seq: 67, payload: 'a' });
    c.send(bytes('b'));
    c.send(bytes('c'));
    expectNothing(c, 10);
    send(c, { flags: ACK, seq: 1113, ack: 68 }, 20);
    expectSent(c, { seq: 68, payload: 'bc' }, 20);
  });

  test('Nagle lets a full-sized segment go even with data unacknowledged', () => {
    const c = established();
    c.send(bytes('a'));
    expectSent(c, { seq: 67 });
    c.send(DATA(1460));
    expectSent(c, { seq: 68, payload: DATA(1460) });
    expectNothing(c);
  });

  test('the application can disable Nagle per connection (MUST-17)', () => {
    const c = established();
    c.setNoDelay(true);
    c.send(bytes('a'));
    expectSent(c, { seq: 67, payload: 'a' });
    c.send(bytes('b'));
    expectSent(c, { seq: 68, payload: 'b' });
  });

  test('sender SWS avoidance: no small segment into a small usable window until the override timeout (MUST-38)', () => {
    // The peer offered 4000 at first (Max(SND.WND) = 4000), now only 500: 500 < Eff.snd.MSS and
    // 500 < 4000/2, with more data queued than fits.
    const c = established({ peerWindow: 4000, config: { congestionControl: 'none' } });
    c.setNoDelay(true);
    c.send(DATA(100));
    expectSent(c, { seq: 67 }, 0);
    send(c, { flags: ACK, seq: 1113, ack: 167, window: 500 }, 10);
    c.send(DATA(2000));
    expectNothing(c, 10);
    expectNothing(c, 209);
    expectSent(c, { seq: 167, payload: DATA(500) }, 210);
  });

  test('sender SWS avoidance: a usable window of at least half the largest window seen is used (3.8.6.2.1 (3))', () => {
    const c = established({ peerWindow: 4000, config: { congestionControl: 'none' } });
    c.setNoDelay(true);
    c.send(DATA(100));
    expectSent(c, { seq: 67 });
    send(c, { flags: ACK, seq: 1113, ack: 167, window: 2000 });
    c.send(DATA(3000));
    expectSent(c, { seq: 167, payload: DATA(1460) });
    // 540 usable: < MSS and < 4000/2, so the rest waits for the window to open.
    expectNothing(c);
  });

  test('a window that shrinks below what was sent stops new data; only data inside the window is retransmitted (MUST-34, SHLD-15, SHLD-16)', () => {
    const c = established({ config: { congestionControl: 'none', nagle: false } });
    c.send(DATA(3000));
    for (let i = 0; i < 3; i++) expectSent(c, {});
    c.send(DATA(1000));
    // The receiver acks 1000 bytes and shrinks its window to 500: right edge 1567 < SND.NXT 3067.
    send(c, { flags: ACK, seq: 1113, ack: 1067, window: 500 }, 10);
    expectNothing(c, 10);
    // After the RTO, only the 500 bytes inside the window go out again.
    expectSent(c, { seq: 1067, payload: DATA(500) }, 1010);
    expectNothing(c, 1010);
    assert.equal(c.state, TcpState.Established);
  });
});

describe('ESTABLISHED: receive window', () => {
  test('receiver SWS avoidance: the window opens only in steps of min(RCV.BUFF/2, Eff.snd.MSS) (MUST-39)', () => {
    const c = established({ config: { recvBufferSize: 4000, delayedAck: 0 } });
    send(c, { flags: ACK, seq: 1113, ack: 67, payload: DATA(1460) });
    expectSent(c, { ack: 1113 + 1460, window: 2540 });
    send(c, { flags: ACK, seq: 1113 + 1460, ack: 67, payload: DATA(1460) });
    expectSent(c, { ack: 1113 + 2920, window: 1080 });
    send(c, { flags: ACK, seq: 1113 + 2920, ack: 67, payload: DATA(1080) });
    expectSent(c, { ack: 1113 + 4000, window: 0 });
    // Reading 1000 bytes frees less than 1460: no window update, the window stays closed.
    assert.equal(c.read(1000).length, 1000);
    expectNothing(c);
    // Reading 500 more frees 1500 >= 1460: a window update offers all of it.
    assert.equal(c.read(500).length, 500);
    expectSent(c, { flags: ACK, ack: 1113 + 4000, window: 1500 });
  });

  test('the right window edge never moves left (SHLD-14)', () => {
    const c = established({ config: { recvBufferSize: 3000, delayedAck: 0 } });
    let edge = 0;
    for (let i = 0; i < 6; i++) {
      send(c, { flags: ACK, seq: 1113 + i * 500, ack: 67, payload: DATA(500) });
      const s = expectSent(c, { flags: ACK });
      const right = s.ack + s.window;
      assert.ok(right >= edge, `right edge ${right} moved left of ${edge}`);
      edge = right;
      if (i % 2 === 1) c.read(300);
    }
  });

  test('a connection answers a probe into its zero window with an ACK showing window 0 (3.8.6.1)', () => {
    const c = established({ config: { recvBufferSize: 10 } });
    send(c, { flags: ACK, seq: 1113, ack: 67, payload: '0123456789' });
    expectSent(c, { ack: 1123, window: 0 });
    send(c, { flags: ACK, seq: 1123, ack: 67, payload: 'X' }, 1000);
    expectSent(c, { flags: ACK, ack: 1123, window: 0 }, 1000);
    assert.equal(text(c.read()), '0123456789');
  });
});

describe('ESTABLISHED: urgent data (3.8.5)', () => {
  test('urgent data is sent with URG and a pointer to the octet after it (MUST-30, MUST-62)', () => {
    const c = established();
    c.send(bytes('!'), { urgent: true });
    expectSent(c, { flags: ACK | PSH | URG, seq: 67, urgentPointer: 1, payload: '!' });
  });

  test('an urgent sequence of any length keeps URG on every segment up to the pointer (MUST-31)', () => {
    const c = established({ config: { congestionControl: 'none', nagle: false } });
    c.send(DATA(5000), { urgent: true });
    c.send(DATA(100));
    assert.equal(expectSent(c, { flags: ACK | URG }).urgentPointer, 5000);
    assert.equal(expectSent(c, { flags: ACK | URG }).urgentPointer, 3540);
    assert.equal(expectSent(c, { flags: ACK | URG }).urgentPointer, 2080);
    const fourth = expectSent(c, { flags: ACK | PSH | URG });
    assert.deepEqual([fourth.urgentPointer, fourth.payload.length], [620, 720]);
    // Once the urgent data is acknowledged, segments carry no URG.
    send(c, { flags: ACK, seq: 1113, ack: 67 + 5100 });
    c.send(bytes('x'));
    assert.equal(expectSent(c, { seq: 67 + 5100 }).flags & URG, 0);
  });

  test('the application is told asynchronously of urgent data and learns how much remains (MUST-32, MUST-33)', () => {
    const c = established();
    send(c, { flags: ACK | URG, seq: 1113, ack: 67, urgentPointer: 3, payload: 'URGnormal' });
    assert.deepEqual(events(c), [{ type: 'urgent', pending: 3 }, { type: 'readable' }]);
    assert.equal(c.urgentPending, 3);
    assert.equal(text(c.read(2)), 'UR');
    assert.equal(c.urgentPending, 1);
    c.read(1);
    assert.equal(c.urgentPending, 0);
    // The pointer advances again later: the application hears about it again.
    send(c, { flags: ACK | URG, seq: 1122, ack: 67, urgentPointer: 2, payload: 'xyz' });
    assert.deepEqual(events(c), [{ type: 'urgent', pending: 8 }]);
  });

  test('URG after the peer FIN is ignored', () => {
    const c = established();
    send(c, { flags: ACK | FIN, seq: 1113, ack: 67 });
    events(c);
    send(c, { flags: ACK | URG, seq: 1114, ack: 67, urgentPointer: 5 });
    assert.deepEqual(events(c), []);
    assert.equal(c.urgentPending, 0);
  });
});

describe('ESTABLISHED: application API', () => {
  test('send takes only what fits in the send buffer and says writable when space returns', () => {
    const c = established({ config: { sendBufferSize: 1000, congestionControl: 'none' } });
    assert.equal(c.send(DATA(1500)), 1000);
    expectSent(c, { seq: 67 });
    assert.equal(c.send(DATA(10)), 0);
    send(c, { flags: ACK, seq: 1113, ack: 67 + 1000 });
    assert.deepEqual(eventTypes(c), ['writable']);
    assert.equal(c.writableBytes, 1000);
  });

  test('peek and consume read without a copy', () => {
    const c = established();
    send(c, { flags: ACK, seq: 1113, ack: 67, payload: 'abcdef' });
    const views = c.peek();
    assert.equal(views.map((v) => text(v)).join(''), 'abcdef');
    c.consume(4);
    assert.equal(text(c.read()), 'ef');
  });

  test('readInto copies into a caller buffer', () => {
    const c = established();
    send(c, { flags: ACK, seq: 1113, ack: 67, payload: 'abcdef' });
    const buf = new Uint8Array(4);
    assert.equal(c.readInto(buf), 4);
    assert.equal(text(buf), 'abcd');
  });

  test('abort sends <SEQ=SND.NXT><CTL=RST> and discards queued data', () => {
    const c = established();
    c.send(bytes('queued'));
    expectSent(c, { seq: 67 });
    c.send(bytes('more'));
    c.abort();
    expectSent(c, { flags: RST, seq: 73, ack: 0 });
    expectNothing(c, 10_000);
    assert.equal(c.state, TcpState.Closed);
    assert.deepEqual(eventTypes(c), ['closed']);
  });

  test('close with unread data sends a RST to show data was lost (SHLD-3)', () => {
    const c = established();
    send(c, { flags: ACK, seq: 1113, ack: 67, payload: 'unread' });
    c.close();
    expectSent(c, { flags: RST, seq: 67 });
    assert.equal(c.state, TcpState.Closed);
  });

  test('data arriving after close is answered with a RST (SHLD-3, MAY-1)', () => {
    const c = established();
    c.close();
    expectSent(c, { flags: ACK | FIN, seq: 67 });
    send(c, { flags: ACK, seq: 1113, ack: 68, payload: 'late' });
    expectSent(c, { flags: RST, seq: 68 });
    assert.equal(c.state, TcpState.Closed);
    assert.deepEqual(events(c).at(-1), { type: 'reset', reason: 'data-after-close' });
  });

  test('reading after close throws ERR_SYNACK_CONN_CLOSED', () => {
    const c = established();
    c.close();
    assert.throws(() => c.read(), { code: 'ERR_SYNACK_CONN_CLOSED' });
  });

  test('send after shutdown throws ERR_SYNACK_CONN_CLOSING', () => {
    const c = established();
    c.shutdown();
    assert.throws(() => c.send(bytes('x')), { code: 'ERR_SYNACK_CONN_CLOSING' });
  });

  test('setKeepAlive rejects a non-positive interval with a stable code', () => {
    assert.throws(() => established().setKeepAlive(true, 0), { code: 'ERR_SYNACK_BAD_ARGUMENT' });
  });
});
