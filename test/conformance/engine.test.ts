/**
 * RFC 9293 requirements of the engine that test/tcp/* did not show on their own: how long a SYN is
 * retried (MUST-23), options on segments other than SYNs (MUST-5, MUST-6), and congestion
 * avoidance (MUST-19, RFC 5681 3.1). Packet-trace style with test/tcp/util.ts: our side is A (ISS
 * 66), the scripted peer B (ISS 1112).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TcpConnection } from '../../src/tcp/connection.js';
import { TcpState } from '../../src/tcp/state.js';
import type { TcpOption, TcpRepr } from '../../src/wire/tcp.js';
import {
  ACK, BASE_CONFIG, events, expectSent, established, FIN, LOCAL_PORT, mssOption, PSH, REMOTE_PORT, send, SYN, text,
} from '../tcp/util.js';

const SMSS = 1460;

function synSent(): TcpConnection {
  const c = TcpConnection.connect({ now: 0, localPort: LOCAL_PORT, remotePort: REMOTE_PORT, iss: 66, config: BASE_CONFIG });
  expectSent(c, { flags: SYN, seq: 66 });
  return c;
}

/** Fire timers up to `until` (inclusive), draining what is sent; returns the send times. */
function runTimers(c: TcpConnection, until: number): number[] {
  const times: number[] = [];
  for (;;) {
    const due = c.pollAt();
    if (due === undefined || due > until) return times;
    c.handleTimeout(due);
    for (let s = c.pollTransmit(due); s; s = c.pollTransmit(due)) times.push(due);
    if (c.state === TcpState.Closed) return times;
  }
}

describe('SYN retransmission (3.8.3)', () => {
  test('a SYN,ACK arriving just before 3 minutes still completes the open (MUST-23)', () => {
    const c = synSent();
    const sent = runTimers(c, 179_999);
    assert.ok(sent.length > 0, 'the SYN was retransmitted');
    assert.equal(c.state, TcpState.SynSent);
    send(c, { flags: SYN | ACK, seq: 1112, ack: 67, options: [mssOption(1460)] }, 179_999);
    assert.equal(c.state, TcpState.Established);
    expectSent(c, { flags: ACK, seq: 67, ack: 1113 }, 179_999);
  });

  test('the open attempt is given up no sooner than 3 minutes after the first SYN (MUST-23)', () => {
    const c = synSent();
    let closedAt: number | undefined;
    for (;;) {
      const due = c.pollAt();
      if (due === undefined) break;
      c.handleTimeout(due);
      while (c.pollTransmit(due)) { /* drain */ }
      if (c.state === TcpState.Closed) {
        closedAt = due;
        break;
      }
    }
    assert.ok(closedAt !== undefined, 'the attempt ends');
    assert.ok(closedAt >= 180_000, `gave up at ${closedAt} ms`);
    assert.deepEqual(events(c).at(-1), { type: 'timed-out', reason: 'syn' });
  });
});

describe('giving up (3.8.3) and windows beyond the right edge (3.8.6)', () => {
  test('with the defaults, unacknowledged data is retried for at least 100 seconds before the connection closes (SHLD-11)', () => {
    const c = established();
    c.send(new TextEncoder().encode('lost'));
    expectSent(c, { seq: 67 }, 0);
    const times = runTimers(c, 10_000_000);
    assert.equal(c.state, TcpState.Closed);
    const last = events(c).at(-1);
    assert.equal(last?.type, 'timed-out');
    assert.ok((times.at(-1) ?? 0) >= 100_000, `last retransmission at ${times.at(-1)} ms`);
  });

  test('data beyond a window that shrank to zero does not time the connection out while the peer answers (SHLD-17)', () => {
    const c = established({ config: { nagle: false, congestionControl: 'none' } });
    c.send(new Uint8Array(3000));
    for (let i = 0; i < 3; i++) expectSent(c, {});
    // B acknowledges nothing and closes its window: all 3000 bytes now lie beyond the right edge.
    send(c, { flags: ACK, seq: 1113, ack: 67, window: 0 }, 10);
    let answered = 0;
    for (;;) {
      const due = c.pollAt();
      if (due === undefined || due > 20 * 60_000 || c.state === TcpState.Closed) break;
      c.handleTimeout(due);
      while (c.pollTransmit(due)) answered++;
      send(c, { flags: ACK, seq: 1113, ack: 67, window: 0 }, due);
    }
    assert.equal(c.state, TcpState.Established, `after ${answered} answered probes`);
    assert.ok(answered > 15, 'more probes than R2 retransmissions');
  });
});

describe('TIME-WAIT with timestamps (3.6.1, RFC 6191)', () => {
  test('with timestamps, a SYN with a newer TSval may reopen TIME-WAIT even below RCV.NXT; an older one may not (SHLD-4)', () => {
    const ts = (tsval: number, tsecr: number): TcpOption => ({ kind: 8, name: 'timestamps', tsval, tsecr });
    const c = TcpConnection.connect({ now: 0, localPort: LOCAL_PORT, remotePort: REMOTE_PORT, iss: 66, config: { windowScaling: false, sack: false } });
    expectSent(c, { flags: SYN });
    send(c, { flags: SYN | ACK, seq: 1112, ack: 67, options: [mssOption(1460), ts(1000, 0)] }, 1);
    expectSent(c, { flags: ACK }, 1);
    c.shutdown();
    expectSent(c, { flags: FIN | ACK, seq: 67 }, 2);
    send(c, { flags: FIN | ACK, seq: 1113, ack: 68, options: [ts(1005, 2)] }, 3);
    assert.equal(c.state, TcpState.TimeWait);
    const syn = (seq: number, tsval: number): TcpRepr => ({
      srcPort: REMOTE_PORT, dstPort: LOCAL_PORT, seq, ack: 0, flags: SYN, window: 65535, urgentPointer: 0, options: [ts(tsval, 0)], payload: new Uint8Array(0),
    });
    assert.equal(c.canReopen(syn(500, 2000)), true, 'newer TSval, sequence number below RCV.NXT');
    assert.equal(c.canReopen(syn(90_000, 1004)), false, 'older TSval: an old duplicate, whatever its sequence number');
  });
});

describe('options on segments other than SYN (3.1)', () => {
  const unknown = (kind: number, data: number[]): TcpOption => ({ kind, name: 'unknown', data: Uint8Array.from(data) });
  const NOP: TcpOption = { kind: 1, name: 'nop' };

  test('options on ACK, data and FIN segments are accepted; unknown kinds are ignored (MUST-5, MUST-6)', () => {
    const c = established({ config: { delayedAck: 0 } });
    c.send(new TextEncoder().encode('ping'));
    expectSent(c, { flags: ACK | PSH, seq: 67, payload: 'ping' });
    // A pure ACK with options acknowledges our data.
    send(c, { flags: ACK, seq: 1113, ack: 71, options: [NOP, unknown(99, [1, 2, 3]), NOP] });
    assert.equal(c.info().sndUna, 71);
    // Data with options is delivered and acknowledged like data without.
    send(c, { flags: ACK | PSH, seq: 1113, ack: 71, payload: 'pong', options: [unknown(254, [0x4a, 0x17]), NOP, NOP, unknown(30, [])] });
    expectSent(c, { flags: ACK, seq: 71, ack: 1117 });
    assert.equal(text(c.read()), 'pong');
    // A FIN with options closes the peer's direction.
    send(c, { flags: ACK | FIN, seq: 1117, ack: 71, options: [unknown(200, [9, 9, 9, 9, 9, 9])] });
    expectSent(c, { flags: ACK, seq: 71, ack: 1118 });
    assert.equal(c.state, TcpState.CloseWait);
  });

  test('an MSS option on a segment without SYN does not change the send MSS (MUST-65 is for senders; 3.2)', () => {
    const c = established({ peerMss: 1000, config: { congestionControl: 'none', nagle: false } });
    send(c, { flags: ACK, seq: 1113, ack: 67, options: [mssOption(100)] });
    c.send(new Uint8Array(2500));
    assert.equal(expectSent(c, { seq: 67 }).payload.length, 1000);
  });
});

describe('congestion avoidance (3.8.2, RFC 5681 3.1)', () => {
  /**
   * An ACK-clocked peer: B acknowledges the segments in flight one by one, in order, and A sends
   * (and is topped up with data) after each ACK, as a driver polls after every input.
   */
  class Clock {
    t = 0;
    inFlight: TcpRepr[] = [];
    constructor(readonly c: TcpConnection) {
      this.topUp();
      this.drain();
    }
    topUp(): void {
      if (this.c.writableBytes > 0) this.c.send(new Uint8Array(this.c.writableBytes));
    }
    drain(): TcpRepr[] {
      const out: TcpRepr[] = [];
      for (let s = this.c.pollTransmit(this.t); s; s = this.c.pollTransmit(this.t)) out.push(s);
      this.inFlight.push(...out);
      return out;
    }
    ack(n: number): void {
      send(this.c, { flags: ACK, seq: 1113, ack: n >>> 0 }, this.t);
      this.topUp();
      this.drain();
    }
    /** One round trip: every segment in flight now is acknowledged on its own. */
    round(): number {
      this.t += 10;
      const n = this.inFlight.length;
      for (let i = 0; i < n; i++) {
        const s = this.inFlight.shift() as TcpRepr;
        this.ack(s.seq + s.payload.length);
      }
      return n;
    }
  }

  test('after a loss the window grows by at most one SMSS per round trip, not by doubling (MUST-19)', () => {
    const c = established({ config: { nagle: false } });
    const k = new Clock(c);
    // Slow start: one SMSS per ACK, so the window doubles each round trip.
    for (let i = 0; i < 2; i++) {
      const before = c.info().cwnd;
      const n = k.round();
      assert.equal(c.info().cwnd, before + n * SMSS, 'slow start adds one SMSS per ACK (RFC 5681 (2))');
    }
    // A round with its first segment lost: B answers each later one with a duplicate ACK.
    k.t += 10;
    const segs = k.inFlight.splice(0);
    const first = segs[0] as TcpRepr;
    assert.ok(segs.length >= 8, `${segs.length} segments in flight`);
    for (let i = 1; i < segs.length; i++) {
      // FlightSize when the third duplicate arrives (limited transmit, RFC 3042, may have added some).
      const flight = (c.info().sndMax - c.info().sndUna) >>> 0;
      k.ack(first.seq);
      if (i === 3) {
        assert.equal(c.info().ssthresh, Math.max(flight / 2, 2 * SMSS), 'ssthresh = max(FlightSize / 2, 2 * SMSS) (RFC 5681 (4))');
        assert.ok(k.inFlight.some((s) => s.seq === first.seq), 'fast retransmit of the lost segment');
      }
    }
    // B now holds everything: one ACK for all that was sent ends recovery.
    k.t += 10;
    const all = [...segs, ...k.inFlight].reduce((m, s) => Math.max(m, (s.seq + s.payload.length) >>> 0), 0);
    k.inFlight = [];
    k.ack(all);
    const ssthresh = c.info().ssthresh;
    assert.ok(c.info().cwnd <= ssthresh + SMSS, `recovery ends at about ssthresh (${c.info().cwnd} vs ${ssthresh})`);
    // Round trips until cwnd reaches ssthresh (RFC 6582 may leave it a little below) ...
    for (let guard = 0; c.info().cwnd < ssthresh && guard < 10; guard++) k.round();
    // ... then congestion avoidance: each round trip of full-sized segments adds (0, SMSS].
    for (let round = 0; round < 4; round++) {
      const before = c.info().cwnd;
      const n = k.round();
      assert.ok(n * SMSS >= before - SMSS, `the sender fills its window (${n} segments for cwnd ${before})`);
      const growth = c.info().cwnd - before;
      assert.ok(growth > 0 && growth <= SMSS, `round ${round}: cwnd ${before} -> ${c.info().cwnd}`);
    }
  });
});
