/**
 * The engine's buffers: the byte ring (one copy in, one copy out, lazy growth that keeps bytes
 * written ahead of the committed ones) and the out-of-order range set (sorted, merged, bounded),
 * checked against a plain array model with fast-check.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ByteRing } from '../../src/tcp/ring.js';
import { RangeSet } from '../../src/tcp/ranges.js';

describe('ByteRing', () => {
  test('appends up to capacity, reads back in order across the wrap, and grows lazily', () => {
    const r = new ByteRing(10_000);
    assert.equal(r.allocated, 0, 'no storage before the first write (idle connections hold none)');
    const model: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      const chunk = Uint8Array.from({ length: 700 }, () => next++ & 0xff);
      const n = r.append(chunk);
      model.push(...chunk.subarray(0, n));
      const take = Math.min(r.length, 400 + (round % 3) * 100);
      const out = new Uint8Array(take);
      r.copyOut(0, out, 0, take);
      r.consume(take);
      assert.deepEqual([...out], model.splice(0, take));
    }
    assert.ok(r.length <= r.capacity);
  });

  test('bytes written ahead survive growth and become readable when committed', () => {
    const r = new ByteRing(1 << 20);
    r.append(Uint8Array.of(1, 2, 3));
    r.writeAt(100_000, Uint8Array.of(9, 9)); // forces growth past the initial 4 KiB
    r.writeAt(3, new Uint8Array(99_997).fill(7));
    r.commit(100_000 - 3 + 2);
    assert.equal(r.length, 100_002);
    const out = new Uint8Array(r.length);
    r.copyOut(0, out, 0, r.length);
    assert.deepEqual([...out.subarray(0, 4)], [1, 2, 3, 7]);
    assert.deepEqual([...out.subarray(100_000)], [9, 9]);
  });

  test('views cover the readable bytes in at most two pieces without copying', () => {
    const r = new ByteRing(8);
    r.append(Uint8Array.of(1, 2, 3, 4, 5, 6));
    r.consume(5);
    r.append(Uint8Array.of(7, 8, 9, 10, 11));
    const v = r.views(0, r.length);
    assert.ok(v.length <= 2);
    assert.deepEqual(v.flatMap((x) => [...x]), [6, 7, 8, 9, 10, 11]);
  });

  test('contiguous(offset) is the run a slice can view without copying, up to the end of storage', () => {
    const r = new ByteRing(8);
    assert.equal(r.contiguous(0), 0, 'no storage yet');
    r.append(Uint8Array.of(1, 2, 3, 4, 5, 6));
    r.consume(5); // the oldest byte now sits at physical index 5 of the 8-byte storage
    r.append(Uint8Array.of(7, 8, 9, 10, 11));
    assert.equal(r.contiguous(0), 3);
    assert.equal(r.contiguous(2), 1);
    assert.equal(r.contiguous(3), 8, 'past the wrap: from the start of storage');
    const s = r.slice(0, r.contiguous(0));
    assert.deepEqual([...s], [6, 7, 8]);
    assert.equal(s.buffer.byteLength, 8, 'a view of the storage, not a copy');
  });

  test('matches an array model under random appends, reads and write-ahead (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3000 })), { maxLength: 60 }), (ops) => {
        const cap = 6000;
        const r = new ByteRing(cap);
        const model: number[] = [];
        let v = 0;
        for (const [op, n] of ops) {
          if (op === 0) {
            const chunk = Uint8Array.from({ length: n }, () => v++ & 0xff);
            const took = r.append(chunk);
            assert.equal(took, Math.min(n, cap - model.length));
            model.push(...chunk.subarray(0, took));
          } else if (op === 1) {
            const k = Math.min(n, model.length);
            const out = new Uint8Array(k);
            r.copyOut(0, out, 0, k);
            r.consume(k);
            assert.deepEqual([...out], model.splice(0, k));
          } else {
            // write ahead then commit, as in-order data arriving after out-of-order data
            const k = Math.min(n, cap - model.length);
            const chunk = Uint8Array.from({ length: k }, () => v++ & 0xff);
            r.writeAt(model.length, chunk);
            r.commit(k);
            model.push(...chunk);
          }
          assert.equal(r.length, model.length);
        }
      }),
      { numRuns: 200, seed: 7 },
    );
  });
});

describe('RangeSet', () => {
  test('merges overlapping and touching ranges and pops the front once it is reached', () => {
    const s = new RangeSet(8);
    assert.ok(s.add(10, 20));
    assert.ok(s.add(30, 40));
    assert.ok(s.add(20, 30)); // touches both: one range
    assert.equal(s.count, 1);
    assert.equal(s.bytes, 30);
    assert.equal(s.advance(5), 5); // front below the first range: nothing
    assert.equal(s.advance(10), 40);
    assert.equal(s.count, 0);
  });

  test('refuses a range that would exceed the bound, changing nothing', () => {
    const s = new RangeSet(2);
    assert.ok(s.add(10, 11));
    assert.ok(s.add(20, 21));
    assert.equal(s.add(30, 31), false);
    assert.equal(s.count, 2);
    assert.ok(s.add(11, 20)); // merging needs no new range
    assert.equal(s.count, 1);
  });

  test('lists the most recently filled range first, then the most recently reported ones (RFC 2018 4)', () => {
    const s = new RangeSet(8);
    s.add(100, 110);
    s.add(300, 310);
    s.add(200, 210);
    assert.deepEqual(s.sackRanges(3), [[200, 210], [300, 310], [100, 110]]);
    assert.deepEqual(s.sackRanges(1), [[200, 210]]);
    // Five blocks, room for three: the three newest; the oldest ones wait their turn.
    s.add(400, 410);
    s.add(500, 510);
    assert.deepEqual(s.sackRanges(3), [[500, 510], [400, 410], [200, 210]]);
    // Extending a block makes it the newest.
    s.add(110, 120);
    assert.deepEqual(s.sackRanges(3), [[100, 120], [500, 510], [400, 410]]);
  });

  test('matches a set-of-bytes model (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 30 })), { maxLength: 40 }), (adds) => {
        const s = new RangeSet(1000);
        const bytes = new Set<number>();
        for (const [a, n] of adds) {
          s.add(a, a + n);
          for (let i = a; i < a + n; i++) bytes.add(i);
        }
        assert.equal(s.bytes, bytes.size);
        let front = 0;
        while (bytes.has(front)) front++;
        assert.equal(s.advance(0), bytes.has(0) ? front : 0);
      }),
      { numRuns: 300, seed: 11 },
    );
  });
});
