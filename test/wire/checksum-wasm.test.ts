// The WebAssembly SIMD checksum (src/wire/checksum-wasm.ts) against RFC 1071 taken literally, in
// the engine's own memory at every alignment, across its 16- and 32-byte steps and its 128 KiB
// fold, and checksumAdd (which hands it long ranges) against the same truth.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checksumEngine, checksumFunc } from '../../src/wire/checksum-wasm.js';
import { checksumAdd, internetChecksum } from '../../src/wire/checksum.js';
import { Module } from '../../src/wasm/asm.js';
import { hex } from './helpers.js';

/** RFC 1071 literally: big-endian words (odd byte padded on the right), carries folded, not complemented. */
function literalSum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += ((b[i] ?? 0) << 8) + (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

const engine = checksumEngine();

describe('WebAssembly checksum engine', () => {
  test('assembles into a module the engine accepts', () => {
    const m = new Module(1);
    m.add(checksumFunc(), true);
    assert.equal(WebAssembly.validate(m.bytes()), true);
    assert.notEqual(engine, undefined, 'Node 20 has WebAssembly SIMD');
  });

  test('the RFC 1071 section 3 example sums to ddf2', () => {
    const e = engine!;
    e.bytes.set(hex('0001 f203 f4f5 f6f7'), 100);
    assert.equal(e.sum(100, 8), 0xddf2);
    // Shifted by one byte in memory: the sum is of the range, whatever its address.
    e.bytes.set(hex('0001 f203 f4f5 f6f7'), 201);
    assert.equal(e.sum(201, 8), 0xddf2);
  });

  test('zero only for all-zero bytes; ffff for data that sums to a multiple of ffff', () => {
    const e = engine!;
    e.bytes.fill(0, 0, 4096);
    assert.equal(e.sum(0, 4096), 0);
    assert.equal(e.sum(0, 0), 0);
    e.bytes.fill(0xff, 0, 4096);
    assert.equal(e.sum(3, 4000), 0xffff);
    e.bytes.set([0x00, 0x01, 0xff, 0xfe], 0);
    assert.equal(e.sum(0, 4), 0xffff);
  });

  test('every length from 0 to 200 at every alignment mod 16 equals RFC 1071', () => {
    const e = engine!;
    const data = new Uint8Array(300).map((_, i) => (i * 151 + 89) & 0xff);
    for (let at = 0; at < 16; at++) {
      e.bytes.set(data, 1000 + at);
      for (let len = 0; len <= 200; len++) assert.equal(e.sum(1000 + at, len), literalSum(data.subarray(0, len)), `address +${at}, length ${len}`);
    }
  });

  test('ranges past the 128 KiB fold, of 0xff bytes (the largest lane sums), equal RFC 1071', () => {
    const e = engine!;
    for (const len of [(1 << 17) - 1, 1 << 17, (1 << 17) + 17, 3 * (1 << 17) + 33, 900_001]) {
      const data = new Uint8Array(len).fill(0xff);
      data[len >> 1] = 0x12;
      e.bytes.set(data, 7);
      assert.equal(e.sum(7, len), literalSum(data), `length ${len}`);
    }
  });

  test('property: random bytes at random addresses equal RFC 1071', () => {
    const e = engine!;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.nat(64), (data, at) => {
        e.bytes.set(data, at);
        assert.equal(e.sum(at, data.length), literalSum(data));
      }),
      { numRuns: 500 },
    );
  });
});

describe('checksumAdd over long ranges (the copied-in WebAssembly path)', () => {
  test('property: equals RFC 1071 for ranges of any length inside a larger buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 6000 }), fc.nat(), fc.nat(), fc.nat(0xffff), (data, a, b, seed) => {
        const start = a % data.length;
        const end = start + (b % (data.length - start + 1));
        const want = literalSum(new Uint8Array([...new Uint8Array([seed >>> 8, seed & 0xff]), ...data.subarray(start, end)]));
        const got = checksumAdd(seed, data, start, end);
        // Both are the ones' complement sum; they may differ only as +0 (0) and -0 (ffff) of a zero sum.
        assert.equal(got % 0xffff, want % 0xffff);
        if (seed === 0) assert.equal(got, literalSum(data.subarray(start, end)));
      }),
      { numRuns: 400 },
    );
  });

  test('a 2 MiB range (several pieces through the engine) checksums as RFC 1071 says', () => {
    const data = new Uint8Array(2 * 1024 * 1024 + 3).map((_, i) => (i * 2654435761) >>> 24);
    assert.equal(internetChecksum(data), ~literalSum(data) & 0xffff);
    assert.equal(internetChecksum(data, 1, data.length - 1), ~literalSum(data.subarray(1, data.length - 1)) & 0xffff);
  });
});
