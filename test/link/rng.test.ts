/**
 * The one seeded generator (src/link/rng.ts) against the xoshiro128** 1.1 reference: outputs from
 * raw states as the authors' C code (prng.di.unimi.it/xoshiro128starstar.c) computes them with
 * native uint32_t arithmetic. The vectors were produced by a transcription of that code compiled
 * with gcc; the first ten for state {1, 2, 3, 4} are also the ones the rand_xoshiro crate tests,
 * and the four for the second state the ones the xoshiro-6502 project's test data lists.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/link/rng.js';

const take = (r: SeededRandom, n: number): number[] => Array.from({ length: n }, () => r.nextU32());

describe('SeededRandom is xoshiro128**', () => {
  test('state {1, 2, 3, 4}: the reference outputs 11520, 0, 5927040, 70819200, ...', () => {
    const r = SeededRandom.fromState([1, 2, 3, 4]);
    assert.deepEqual(take(r, 10), [
      0x00002d00, 0x00000000, 0x005a7080, 0x04389d80, 0x79199d9b, 0x61963b24, 0x4cb9b57a, 0xde9d7431, 0xde458f35, 0xfdce1a54,
    ]);
  });

  test('state {1, 2, 3, 4}: the 1000th output is 0xbcfd424b', () => {
    const r = SeededRandom.fromState([1, 2, 3, 4]);
    take(r, 999);
    assert.equal(r.nextU32(), 0xbcfd424b);
  });

  test('a state with every high bit in use (0x964d4a0c, 0xd40ab895, 0xad7fdecb, 0x3006f0f0)', () => {
    const r = SeededRandom.fromState([0x964d4a0c, 0xd40ab895, 0xad7fdecb, 0x3006f0f0]);
    assert.deepEqual(take(r, 4), [0xf1391922, 0x6fe53806, 0xa5be2840, 0xf510ee70]);
  });

  test('state {2^32-1} x 4: 0xffffedf7, 0xffffedf7, 0xffd30477, 0x002ce980, ...', () => {
    const r = SeededRandom.fromState([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]);
    assert.deepEqual(take(r, 6), [0xffffedf7, 0xffffedf7, 0xffd30477, 0x002ce980, 0x59ffe980, 0x0eb3e980]);
  });

  test('the all-zero state (a fixed point of the generator) is refused', () => {
    assert.throws(() => SeededRandom.fromState([0, 0, 0, 0]), { code: 'ERR_SYNACK_BAD_ARGUMENT' });
  });
});

describe('SeededRandom helpers on the reference outputs', () => {
  test('fill writes each output little-endian, the last one cut short', () => {
    const bytes = SeededRandom.fromState([1, 2, 3, 4]).fill(new Uint8Array(11).fill(0xa5));
    // 0x00002d00, 0x00000000, 0x005a7080 (its top byte cut off)
    assert.deepEqual([...bytes], [0x00, 0x2d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x70, 0x5a]);
  });

  test('next is the output over 2^32; int(n) its floor times n; chance(p) is next < p', () => {
    const r = SeededRandom.fromState([1, 2, 3, 4]);
    assert.equal(r.next(), 0x2d00 / 2 ** 32);
    assert.equal(r.int(7), 0); // output 0
    assert.equal(r.int(1000), Math.floor((0x005a7080 / 2 ** 32) * 1000));
    assert.equal(r.chance(0.02), true); // 0x04389d80 / 2^32 = 0.0165
    assert.equal(r.chance(0.47), false); // 0x79199d9b / 2^32 = 0.4730
  });

  test('chance(0) draws nothing, so a zero-probability fault keeps the sequence', () => {
    const a = SeededRandom.fromState([1, 2, 3, 4]);
    const b = SeededRandom.fromState([1, 2, 3, 4]);
    assert.equal(a.chance(0), false);
    assert.equal(a.nextU32(), b.nextU32());
  });

  test('int(n) stays in [0, n) at the largest outputs', () => {
    const r = SeededRandom.fromState([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]);
    for (let i = 0; i < 6; i++) {
      const v = r.int(3);
      assert.ok(v >= 0 && v < 3, String(v));
    }
  });
});
