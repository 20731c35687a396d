/**
 * Batched input, as a TUN device delivers it: Stack.receiveMany, the driver's batch path and its
 * timer, and PcapTap passing batches through.
 *
 *  - A batch of in-order full-sized segments processed with one flush is acknowledged with one
 *    cumulative ACK covering all of them (RFC 9293 3.4: an ACK acknowledges every octet below its
 *    number); flushing every k packets gives at most one ACK per k; flushing after every packet
 *    is `receive()` and keeps "an ACK for at least every second full-sized segment" (RFC 9293
 *    3.8.6.3, RFC 5681 4.2). The data is readable in order either way.
 *  - Bad packets inside a batch are dropped and counted, never thrown; the rest is processed.
 *  - The driver gives a batch link's batches to receiveMany and polls once per batch; its timer
 *    never fires later than the stack's pollAt (a deadline moved later keeps the armed timer,
 *    which fires early and re-arms; an earlier one re-arms at once).
 *  - PcapTap over a batch link records every packet of a batch, in order, and hands the batch on.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BatchReceiveCallback, Link, ReceiveCallback } from '../../src/link/link.js';
import { VirtualScheduler } from '../../src/link/scheduler.js';
import { CaptureRecorder, PcapTap } from '../../src/link/tap.js';
import { StackDriver } from '../../src/stack/driver.js';
import type { Stack } from '../../src/stack/stack.js';
import { ACK, Host, decode, handshake, tcpPacket } from './packets.js';

const MSS = 1460;

/** A connection accepted on port 80 of a Host, and the peer's next sequence number. */
function established(): { h: Host; seq: number; ack: number; srcPort: number; read: () => number } {
  const h = new Host();
  const l = h.stack.listen({ port: 80 });
  const hs = handshake(h);
  h.out();
  const c = l.accept();
  assert.ok(c !== undefined, 'the connection was accepted');
  let got = 0;
  return {
    h,
    ...hs,
    read: () => {
      for (;;) {
        const chunk = c.conn.read(1 << 20);
        if (chunk.length === 0) return got;
        for (let i = 0; i < chunk.length; i++) assert.equal(chunk[i], (got + i) & 0xff, `byte ${got + i} in order`);
        got += chunk.length;
      }
    },
  };
}

function segments(start: number, ack: number, srcPort: number, n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const payload = new Uint8Array(MSS).map((_, j) => (i * MSS + j) & 0xff);
    out.push(tcpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort, dstPort: 80, seq: (start + i * MSS) >>> 0, ack, flags: ACK, payload }));
  }
  return out;
}

describe('Stack.receiveMany', () => {
  it('acknowledges a batch of 10 full-sized segments with one cumulative ACK when it flushes once', () => {
    const c = established();
    c.h.stack.receiveMany(c.h.now, segments(c.seq, c.ack, c.srcPort, 10), 0);
    const acks = c.h.out().filter((d) => d.tcp !== undefined && (d.tcp.flags & ACK) !== 0);
    assert.equal(acks.length, 1);
    assert.equal(acks[0]?.tcp?.ack, (c.seq + 10 * MSS) >>> 0);
    assert.equal(c.read(), 10 * MSS);
  });

  for (const k of [1, 2, 4]) {
    it(`flushing every ${k} packet(s): at most one ACK per ${k}, an ACK for at least every second segment, the last one cumulative`, () => {
      const c = established();
      const sent: number[] = [];
      const ps = segments(c.seq, c.ack, c.srcPort, 10);
      // The ACKs a flush produces are collected at once (poll after the batch gives them in order).
      c.h.stack.receiveMany(c.h.now, ps, 0, k);
      for (const d of c.h.out()) if (d.tcp !== undefined && (d.tcp.flags & ACK) !== 0) sent.push(d.tcp.ack);
      assert.ok(sent.length <= Math.ceil(10 / k), `${sent.length} ACKs for 10 segments flushed every ${k}`);
      assert.ok(sent.length >= Math.min(5, Math.ceil(10 / k)), `${sent.length} ACKs: at least one per two full-sized segments (or per flush)`);
      assert.equal(sent[sent.length - 1], (c.seq + 10 * MSS) >>> 0);
      for (let i = 1; i < sent.length; i++) assert.ok((sent[i] ?? 0) > (sent[i - 1] ?? 0), 'ACK numbers only grow');
      assert.equal(c.read(), 10 * MSS);
    });
  }

  it('answers each out-of-order segment of a batch with its own duplicate ACK, and the gap filler at once (RFC 5681 4.2)', () => {
    const c = established();
    const ps = segments(c.seq, c.ack, c.srcPort, 8);
    // Segment 2 is missing from the batch: 0 and 1 arrive in order, 3..7 out of order, then 2.
    const batch = [ps[0], ps[1], ps[3], ps[4], ps[5], ps[6], ps[7], ps[2]] as Uint8Array[];
    c.h.stack.receiveMany(c.h.now, batch, 0, 16);
    const acks = c.h.out().filter((d) => d.tcp !== undefined && (d.tcp.flags & ACK) !== 0).map((d) => d.tcp?.ack);
    const hole = (c.seq + 2 * MSS) >>> 0;
    // One ACK may cover 0-1 before the first out-of-order segment or be merged into the first
    // duplicate; then five duplicate ACKs for the hole (one per out-of-order segment: enough for the
    // sender's three-duplicate-ACK fast retransmit), then the cumulative ACK when segment 2 fills it.
    assert.equal(acks.filter((a) => a === hole).length, 5, `duplicate ACKs for the hole: ${acks.join(' ')}`);
    assert.equal(acks[acks.length - 1], (c.seq + 8 * MSS) >>> 0);
    assert.equal(c.read(), 8 * MSS);
  });

  it('drops bad packets inside a batch (counted, not thrown) and processes the rest', () => {
    const c = established();
    const good = segments(c.seq, c.ack, c.srcPort, 4);
    const flipped = (good[1] as Uint8Array).slice();
    flipped[60] = (flipped[60] ?? 0) ^ 0xff; // payload byte: the TCP checksum no longer matches
    const batch = [good[0] as Uint8Array, new Uint8Array(0), flipped, new Uint8Array([0x45, 0, 0]), good[1] as Uint8Array, new Uint8Array([0x70]), good[2] as Uint8Array, good[3] as Uint8Array];
    assert.doesNotThrow(() => c.h.stack.receiveMany(c.h.now, batch, 0));
    const d = c.h.stack.counters.drops;
    assert.equal(d['tcp-bad-checksum'], 1);
    assert.equal(d['ip-malformed'], 2);
    assert.equal(d['ip-bad-version'], 1);
    const acks = c.h.out().filter((x) => x.tcp !== undefined);
    assert.equal(acks[acks.length - 1]?.tcp?.ack, (c.seq + 4 * MSS) >>> 0);
    assert.equal(c.read(), 4 * MSS);
  });
});

/** A Link that reads in batches, driven by hand. */
class BatchLink implements Link {
  readonly mtu = 1500;
  readonly sent: Uint8Array[] = [];
  single: ReceiveCallback | undefined;
  batch: BatchReceiveCallback | undefined;
  send(p: Uint8Array): void {
    this.sent.push(p);
  }
  onReceive(cb: ReceiveCallback): void {
    this.single = cb;
  }
  onPackets(cb: BatchReceiveCallback): void {
    this.batch = cb;
  }
  close(): void {}
}

describe('StackDriver with a batch link', () => {
  it('gives each batch to the stack in one go and sends the one ACK it owes', () => {
    const sched = new VirtualScheduler();
    const c = established();
    const link = new BatchLink();
    const driver = new StackDriver(c.h.stack, sched, [link]);
    assert.ok(link.batch !== undefined && link.single === undefined, 'the driver uses the batch callback only');
    link.batch(segments(c.seq, c.ack, c.srcPort, 8));
    const acks = link.sent.map(decode).filter((d) => d.tcp !== undefined);
    assert.ok(acks.length <= Math.ceil(8 / driver.flushEvery), `${acks.length} ACKs for a batch of 8`);
    assert.equal(acks[acks.length - 1]?.tcp?.ack, (c.seq + 8 * MSS) >>> 0);
    driver.close();
  });

  it('never lets its timer fire later than pollAt: later deadlines keep the armed timer, earlier ones re-arm', () => {
    const sched = new VirtualScheduler();
    let deadline: number | undefined = 100;
    const polls: number[] = [];
    const fake = {
      poll: (now: number) => {
        polls.push(now);
        return [];
      },
      pollAt: () => deadline,
      setWaker: () => undefined,
      receive: () => undefined,
      receiveMany: () => undefined,
    } as unknown as Stack;
    const driver = new StackDriver(fake, sched, []);
    sched.advanceTo(0); // the initial wake-up polls once and arms at 100
    deadline = 200; // pushed later, as every ACK pushes the RTO
    sched.advanceTo(10);
    driver.service();
    assert.equal(sched.nextAt(), 100, 'the timer armed for 100 stays');
    sched.advanceTo(100);
    assert.equal(polls[polls.length - 1], 100, 'it fires early and polls');
    assert.equal(sched.nextAt(), 200, 'then re-arms for the real deadline');
    deadline = 150; // earlier than the armed 200
    driver.service();
    assert.equal(sched.nextAt(), 150, 'an earlier deadline re-arms at once');
    sched.advanceTo(150);
    assert.equal(polls[polls.length - 1], 150);
    driver.close();
  });
});

describe('PcapTap over a batch link', () => {
  it('records every packet of a batch in order and passes the batch on', () => {
    const inner = new BatchLink();
    const records: number[] = [];
    const rec = new CaptureRecorder({ sink: () => undefined });
    const record = rec.record.bind(rec);
    rec.record = (ms, p, dir) => {
      records.push(p[0] ?? -1);
      record(ms, p, dir);
    };
    const tap = new PcapTap(inner, rec, () => 0);
    const got: number[][] = [];
    tap.onPackets((ps) => got.push(ps.map((p) => p[0] ?? -1)));
    assert.ok(inner.batch !== undefined);
    inner.batch([new Uint8Array([1]), new Uint8Array([2]), new Uint8Array([3])]);
    inner.batch([new Uint8Array([4])]);
    assert.deepEqual(got, [[1, 2, 3], [4]]);
    assert.deepEqual(records, [1, 2, 3, 4]);
    assert.equal(rec.count, 4);
  });
});
