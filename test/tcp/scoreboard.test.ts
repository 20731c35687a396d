/**
 * The sender's scoreboard (src/tcp/scoreboard.ts) against RFC 6675 4 taken literally: an
 * octet-by-octet model of SACKed octets, IsLost() and SetPipe() over small sequence spaces that wrap
 * past 2^32, driven by random ACKs, SACK blocks, loss marks and retransmissions.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Scoreboard, DUP_THRESH, MAX_BLOCKS } from '../../src/tcp/scoreboard.js';
import { IntervalSet, RangeSet } from '../../src/tcp/ranges.js';
import { seqAdd } from '../../src/wire/seq.js';

/** RFC 6675 4 by the letter, over offsets from the base; octets are numbered from 0. */
class Model {
  una = 0;
  max = 0;
  sacked = new Set<number>();
  marked = 0;
  rxt = 0;
  constructor(readonly mss: number) {}

  /** IsLost(): DupThresh discontiguous SACKed blocks, or more than (DupThresh-1)*SMSS SACKed octets, above. */
  isLost(o: number): boolean {
    if (this.sacked.has(o)) return false;
    if (o < this.marked) return true;
    let bytes = 0;
    let blocks = 0;
    let inBlock = false;
    for (let x = o + 1; x < this.max; x++) {
      const s = this.sacked.has(x);
      if (s) {
        bytes++;
        if (!inBlock) blocks++;
      }
      inBlock = s;
    }
    return bytes > (DUP_THRESH - 1) * this.mss || blocks >= DUP_THRESH;
  }

  /** SetPipe(). */
  pipe(): number {
    let p = 0;
    for (let o = this.una; o < this.max; o++) {
      if (this.sacked.has(o)) continue;
      if (!this.isLost(o)) p++;
      if (o < this.rxt) p++;
    }
    return p;
  }

  nextHole(lostOnly: boolean): number | undefined {
    let high = -1;
    for (const s of this.sacked) high = Math.max(high, s);
    for (let o = Math.max(this.rxt, this.una); o < this.max; o++) {
      if (this.sacked.has(o)) continue;
      if (lostOnly ? this.isLost(o) : o < high) return o;
      return undefined;
    }
    return undefined;
  }
}

type Op =
  | { kind: 'send'; n: number }
  | { kind: 'ack'; n: number }
  | { kind: 'sack'; blocks: Array<[number, number]> }
  | { kind: 'mark'; at: number }
  | { kind: 'rxt' }
  | { kind: 'restart' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('send' as const), n: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ kind: fc.constant('ack' as const), n: fc.integer({ min: 0, max: 15 }) }),
  fc.record({
    kind: fc.constant('sack' as const),
    blocks: fc.array(fc.tuple(fc.integer({ min: -10, max: 120 }), fc.integer({ min: 0, max: 25 })), { minLength: 1, maxLength: 4 }),
  }),
  fc.record({ kind: fc.constant('mark' as const), at: fc.integer({ min: 0, max: 120 }) }),
  fc.constant({ kind: 'rxt' as const }),
  fc.constant({ kind: 'restart' as const }),
);

describe('Scoreboard (RFC 6675 4)', () => {
  test('IsLost, NextSeg holes and SetPipe agree with an octet-by-octet model (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 12 }), fc.array(op, { maxLength: 60 }), (base, mss, ops) => {
        const sb = new Scoreboard();
        sb.reset(base);
        sb.setMss(mss);
        const m = new Model(mss);
        const seq = (o: number): number => seqAdd(base, o);
        for (const o of ops) {
          switch (o.kind) {
            case 'send':
              m.max += o.n;
              break;
            case 'ack': {
              const to = Math.min(m.max, m.una + o.n);
              m.una = to;
              for (const s of [...m.sacked]) if (s < to) m.sacked.delete(s);
              if (m.rxt < to) m.rxt = to;
              sb.advance(seq(to));
              break;
            }
            case 'sack': {
              const blocks = o.blocks.map(([l, n]) => ({ left: seq(m.una + l), right: seq(m.una + l + n) }));
              let fresh = 0;
              let top = -1;
              for (const [l, n] of o.blocks) {
                const left = m.una + l;
                const right = left + n;
                if (!(right > left) || right > m.max || left < m.una) continue;
                for (let x = left; x < right; x++) {
                  if (!m.sacked.has(x)) {
                    m.sacked.add(x);
                    fresh++;
                    top = Math.max(top, x);
                  }
                }
              }
              assert.equal(sb.update(blocks, seq(m.max)), fresh, 'newly SACKed octets');
              if (fresh > 0) assert.equal(sb.freshEnd, seq(top + 1), 'one past the highest newly SACKed octet');
              break;
            }
            case 'mark': {
              const at = Math.min(m.max, m.una + o.at);
              m.marked = Math.max(m.marked, at);
              sb.markLost(seq(at));
              break;
            }
            case 'rxt': {
              const h = sb.nextHole(true, seq(m.max)) ?? sb.nextHole(false, seq(m.max));
              if (h !== undefined) {
                const end = sb.holeEnd;
                m.rxt = (end - base) >>> 0;
                sb.retransmitted(end);
              }
              break;
            }
            case 'restart':
              m.rxt = m.una;
              sb.restartRetransmission();
              break;
          }
          assert.equal(sb.pipe(seq(m.max)), m.pipe(), 'pipe');
          assert.equal(sb.sackedBytes, m.sacked.size, 'SACKed octets');
          const h1 = sb.nextHole(true, seq(m.max));
          const e1 = m.nextHole(true);
          assert.equal(h1, e1 === undefined ? undefined : seq(e1), 'rule 1 hole');
          const h3 = sb.nextHole(false, seq(m.max));
          const e3 = m.nextHole(false);
          assert.equal(h3, e3 === undefined ? undefined : seq(e3), 'rule 3 hole');
          for (let x = m.una; x < m.max; x++) assert.equal(sb.isLost(seq(x)), m.isLost(x), `IsLost(${x})`);
          let below = m.max - 1;
          while (below >= m.una && m.sacked.has(below)) below--;
          assert.equal(sb.highestUnsackedBelow(seq(m.max)), below >= m.una ? seq(below) : undefined, 'highest un-SACKed octet');
        }
      }),
      { numRuns: 400, seed: 6675 },
    );
  });

  test('a D-SACK block below SND.UNA (RFC 2883 4) changes nothing and is flagged', () => {
    const sb = new Scoreboard();
    sb.reset(1000);
    sb.advance(2000);
    assert.equal(sb.update([{ left: 1500, right: 1600 }], 5000), 0);
    assert.ok(sb.dsack);
    assert.equal(sb.sackedBytes, 0);
    assert.equal(sb.pipe(5000), 3000);
  });

  test('a first block that repeats SACKed data is a D-SACK (RFC 2883 4.1.2); a block beyond SND.MAX is ignored', () => {
    const sb = new Scoreboard();
    sb.reset(0);
    assert.equal(sb.update([{ left: 100, right: 200 }], 1000), 100);
    assert.equal(sb.dsack, false);
    assert.equal(sb.update([{ left: 120, right: 140 }, { left: 100, right: 200 }], 1000), 0);
    assert.ok(sb.dsack);
    assert.equal(sb.update([{ left: 900, right: 1100 }], 1000), 0);
    assert.equal(sb.sackedBytes, 100);
  });

  test('lost retransmissions are sent again, then retransmission resumes where it had got to (RACK)', () => {
    const sb = new Scoreboard();
    sb.reset(0);
    sb.setMss(10);
    // Holes at [0,10), [20,30), [40,50); everything else up to 100 SACKed; all three retransmitted.
    sb.update([{ left: 10, right: 20 }, { left: 30, right: 40 }, { left: 50, right: 100 }], 100);
    const holes: number[] = [];
    for (let h = sb.nextHole(true, 100); h !== undefined; h = sb.nextHole(true, 100)) {
      holes.push(h);
      sb.retransmitted(sb.holeEnd);
    }
    assert.deepEqual(holes, [0, 20, 40]);
    assert.equal(sb.pipe(100), 30, 'three retransmissions in flight');
    // The first two retransmissions were lost (RACK): holes 0 and 20 go again, then on from 50.
    sb.retransmitAgain(30);
    assert.equal(sb.pipe(100), 10, 'only the retransmission of hole 40 is in flight');
    assert.equal(sb.nextHole(true, 100), 0);
    sb.retransmitted(sb.holeEnd);
    assert.equal(sb.nextHole(true, 100), 20);
    assert.equal(sb.holeEnd, 30);
    sb.retransmitted(30);
    assert.equal(sb.nextHole(true, 100), undefined, 'hole 40 is still in flight: not sent again');
    assert.equal(sb.pipe(100), 30);
  });

  test('a peer SACKing scattered single octets gets at most MAX_BLOCKS blocks recorded', () => {
    const sb = new Scoreboard();
    sb.reset(0);
    let fresh = 0;
    for (let i = 0; i < MAX_BLOCKS + 1000; i++) fresh += sb.update([{ left: 2 * i + 1, right: 2 * i + 2 }], 1 << 20);
    assert.equal(sb.blocks, MAX_BLOCKS);
    assert.equal(fresh, MAX_BLOCKS);
    assert.equal(sb.sackedBytes, MAX_BLOCKS);
  });
});

describe('IntervalSet and RangeSet with thousands of holes', () => {
  test('inserting 20,000 ranges in random order and filling them from the front stays consistent', () => {
    const s = new IntervalSet();
    const order = Array.from({ length: 20_000 }, (_, i) => i);
    let x = 12345;
    for (let i = order.length - 1; i > 0; i--) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const j = x % (i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const i of order) assert.equal(s.insert(i * 10 + 1, i * 10 + 5), 4);
    assert.equal(s.count, 20_000);
    assert.equal(s.bytes, 80_000);
    for (let i = 0; i < 20_000; i++) assert.equal(s.insert(i * 10 + 5, i * 10 + 11), 6);
    assert.equal(s.count, 1);
    assert.equal(s.bytes, 200_000); // [1, 200001)
  });

  test('the receive queue advances over thousands of ranges one at a time', () => {
    const r = new RangeSet(10_000);
    for (let i = 1; i <= 5000; i++) assert.ok(r.add(i * 2, i * 2 + 1));
    let front = 0;
    for (let i = 1; i <= 5000; i++) {
      front = r.advance(i * 2);
      assert.equal(front, i * 2 + 1);
    }
    assert.equal(r.count, 0);
  });
});
