/**
 * PacketAllocator (src/stack/slab.ts): outgoing packet buffers carved from shared slabs must be
 * zero-filled, of the size asked for, never overlap (writing one never shows in another), and a
 * buffer larger than a quarter slab gets a backing store of its own.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PacketAllocator } from '../../src/stack/slab.js';

describe('PacketAllocator', () => {
  it('hands out zeroed, disjoint buffers of the requested sizes (any sequence of sizes)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 200 }), (sizes) => {
        const a = new PacketAllocator();
        const bufs = sizes.map((n) => a.alloc(n));
        bufs.forEach((b, i) => {
          assert.equal(b.length, sizes[i]);
          assert.ok(b.every((x) => x === 0), 'zero-filled');
        });
        // Fill each with its index: if two overlapped, one would see the other's bytes.
        bufs.forEach((b, i) => b.fill((i % 255) + 1));
        bufs.forEach((b, i) => assert.ok(b.every((x) => x === (i % 255) + 1), `buffer ${i} kept its bytes`));
      }),
    );
  });

  it('shares a slab between small buffers and gives a large one its own', () => {
    const a = new PacketAllocator();
    const x = a.alloc(1500);
    const y = a.alloc(60);
    assert.equal(x.buffer, y.buffer);
    const big = a.alloc(65_535);
    assert.notEqual(big.buffer, x.buffer);
    assert.equal(big.byteOffset, 0);
    assert.equal(big.buffer.byteLength, 65_535);
  });
});
