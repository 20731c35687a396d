/**
 * The one deterministic pseudo-random generator of synack: xoshiro128** 1.1 (Blackman & Vigna,
 * https://prng.di.unimi.it/xoshiro128starstar.c), seeded through splitmix32 so that any 32-bit
 * seed (even 0) gives a well-mixed state. Links and fault injection, the simulated hosts, the demo
 * scenarios and the test harness's simulations (test/harness) all draw from it: the same seed gives
 * the same sequence on every platform.
 * NOT cryptographic: ISN keys in production come from a real random source (the Node shell uses
 * node:crypto); in simulations they come from here so that a run is reproducible from its seed.
 *
 * Invariant: `nextU32` returns an integer in [0, 2^32), the reference generator's output for the
 * same state (test/link/rng.test.ts checks it against the reference C code); `next` a float in [0, 1).
 */
import { SynackError } from '../errors.js';

/** What the stack and the links need from a random source. */
export interface RandomSource {
  /** A uniformly distributed integer in [0, 2^32). */
  nextU32(): number;
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Hash a string seed to 32 bits (FNV-1a), so "--seed hello" works as well as numbers. */
export function seedFromString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export class SeededRandom implements RandomSource {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  readonly seed: number;

  constructor(seed: number | string = 1) {
    const s = typeof seed === 'string' ? seedFromString(seed) : Math.floor(Math.abs(seed)) >>> 0;
    this.seed = s;
    const sm = splitmix32(s);
    this.a = sm();
    this.b = sm();
    this.c = sm();
    this.d = sm();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1; // the all-zero state is a fixed point
  }

  /**
   * A generator started from a raw xoshiro128** state (s[0..3] of the reference code), without
   * splitmix32: for checking against the reference output. Its `seed` is 0. The all-zero state,
   * a fixed point of the generator, is refused.
   */
  static fromState(state: readonly [number, number, number, number]): SeededRandom {
    const [a, b, c, d] = state.map((x) => x >>> 0) as [number, number, number, number];
    if ((a | b | c | d) === 0) throw new SynackError('ERR_SYNACK_BAD_ARGUMENT', 'a xoshiro128** state must not be all zero');
    const r = new SeededRandom(0);
    r.a = a;
    r.b = b;
    r.c = c;
    r.d = d;
    return r;
  }

  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.b << 9) >>> 0;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    this.a >>>= 0;
    this.b >>>= 0;
    this.c >>>= 0;
    return result;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** An integer in [0, n) (n >= 1); `lo + int(hi - lo + 1)` is one in [lo, hi]. */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p. p <= 0 never draws (so adding a zero-probability fault keeps a run's sequence). */
  chance(p: number): boolean {
    if (!(p > 0)) return false;
    return this.next() < p;
  }

  /** Fill `out` with random bytes; returns it. */
  fill(out: Uint8Array): Uint8Array {
    for (let i = 0; i < out.length; i += 4) {
      let v = this.nextU32();
      for (let j = 0; j < 4 && i + j < out.length; j++) {
        out[i + j] = v & 0xff;
        v >>>= 8;
      }
    }
    return out;
  }

  /** An independent generator derived from this one (for one link direction, one host...). */
  fork(): SeededRandom {
    return new SeededRandom(this.nextU32());
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
