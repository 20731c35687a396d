/**
 * The stack's timer heap (src/stack/deadlines.ts) and its use: a model check of DeadlineHeap
 * against a plain map under random set/clear/pop sequences (fast-check), and a stack holding 200
 * idle connections whose poll and pollAt look at none of them until one is due (no scan of every
 * connection), while the due one still gets its timer (RFC 9293 3.8.6.3: a delayed ACK is sent
 * within the delay).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DeadlineHeap, type DeadlineOwner } from '../../src/stack/deadlines.js';
import { ACK, Host, handshake, tcpPacket } from './packets.js';

class Owner implements DeadlineOwner {
  deadline = Infinity;
  deadlineGen = 0;
  removed = false;
  constructor(readonly id: number) {}
}

type Op = { kind: 'set'; who: number; at: number } | { kind: 'clear'; who: number } | { kind: 'remove'; who: number } | { kind: 'pop'; now: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), who: fc.integer({ min: 0, max: 19 }), at: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constant(Infinity)) }),
  fc.record({ kind: fc.constant('clear' as const), who: fc.integer({ min: 0, max: 19 }) }),
  fc.record({ kind: fc.constant('remove' as const), who: fc.integer({ min: 0, max: 19 }) }),
  fc.record({ kind: fc.constant('pop' as const), now: fc.integer({ min: 0, max: 1000 }) }),
);

describe('DeadlineHeap', () => {
  it('agrees with a map of deadlines under any sequence of set, clear, remove and popDue', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const owners = Array.from({ length: 20 }, (_, i) => new Owner(i));
        const heap = new DeadlineHeap<Owner>();
        const model = new Map<number, number>();
        const earliest = (): number | undefined => (model.size === 0 ? undefined : Math.min(...model.values()));
        for (const o of ops) {
          if (o.kind === 'set') {
            const w = owners[o.who] as Owner;
            if (w.removed) continue;
            heap.set(w, o.at);
            if (o.at === Infinity) model.delete(o.who);
            else model.set(o.who, o.at);
          } else if (o.kind === 'clear') {
            heap.clear(owners[o.who] as Owner);
            model.delete(o.who);
          } else if (o.kind === 'remove') {
            const w = owners[o.who] as Owner;
            w.removed = true;
            heap.clear(w);
            model.delete(o.who);
          } else {
            const got = heap.popDue(o.now).map((w) => w.id);
            const want = [...model].filter(([, at]) => at <= o.now).sort((a, b) => a[1] - b[1]);
            assert.deepEqual([...got].sort((a, b) => a - b), want.map(([id]) => id).sort((a, b) => a - b));
            // Earliest first.
            const ats = want.map(([, at]) => at);
            assert.deepEqual(ats, [...ats].sort((a, b) => a - b));
            for (const id of got) model.delete(id);
          }
          assert.equal(heap.peek(), earliest());
          assert.ok(heap.size <= Math.max(64, 4 * model.size) + ops.length, 'stale entries stay bounded');
        }
      }),
    );
  });
});

describe('Stack timers without scanning every connection', () => {
  it('poll and pollAt consult no idle connection; the one with a delayed ACK due still sends it', () => {
    const h = new Host();
    const l = h.stack.listen({ port: 80, backlog: 1000 });
    const conns = [];
    for (let i = 0; i < 200; i++) conns.push(handshake(h, { srcPort: 20000 + i }));
    h.out();
    const first = l.accept();
    assert.ok(first !== undefined);
    assert.equal(h.stack.connectionCount, 200);
    // Count every engine pollAt call from here on.
    let calls = 0;
    const proto = Object.getPrototypeOf(first.conn) as { pollAt: () => number | undefined };
    const original = proto.pollAt;
    proto.pollAt = function (this: unknown) {
      calls++;
      return original.call(this);
    };
    try {
      const at = h.stack.pollAt();
      h.stack.poll(h.now + 1);
      assert.equal(calls, 0, `${calls} connections consulted while none was due`);
      assert.ok(at === undefined || at > h.now + 1);
      // One segment of data on one connection: its ACK is delayed (one segment, not two).
      const c0 = conns[0];
      assert.ok(c0 !== undefined);
      h.in(tcpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: c0.srcPort, dstPort: 80, seq: c0.seq, ack: c0.ack, flags: ACK, payload: 'x' }));
      const immediate = h.out();
      calls = 0;
      const due = h.stack.pollAt();
      assert.ok(due !== undefined, 'a deadline for the delayed ACK');
      const acks = [...immediate, ...h.out(due)].filter((d) => d.tcp !== undefined && d.tcp.ack === c0.seq + 1);
      assert.equal(acks.length, 1, 'the data was acknowledged once');
      assert.ok(calls <= 4, `${calls} pollAt calls: only the connection that was due`);
    } finally {
      proto.pollAt = original;
    }
  });
});
