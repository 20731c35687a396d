/**
 * SipHash-2-4 (Aumasson & Bernstein, 2012) in pure TypeScript, for the keyed part F() of the ISN
 * generator (RFC 9293 3.4.1, RFC 6528) and other per-connection secrets.
 *
 * 64-bit words are kept as (hi, lo) pairs of unsigned 32-bit numbers so that no BigInt is needed on
 * the hot path; `siphash24` wraps the result in a BigInt for callers that want the whole value.
 * Invariant: every stored half is in [0, 2^32) (each operation ends with `>>> 0`).
 */
import { SynackError } from '../errors.js';

/** The state v0..v3 as [v0hi, v0lo, v1hi, v1lo, v2hi, v2lo, v3hi, v3lo]. */
type State = Uint32Array;

function add(s: State, a: number, b: number): void {
  // v[a] += v[b] (indices of the hi halves)
  const lo = (s[a + 1]! + s[b + 1]!) >>> 0;
  const carry = lo < s[a + 1]! ? 1 : 0;
  s[a] = (s[a]! + s[b]! + carry) >>> 0;
  s[a + 1] = lo;
}

function xor(s: State, a: number, b: number): void {
  s[a] = (s[a]! ^ s[b]!) >>> 0;
  s[a + 1] = (s[a + 1]! ^ s[b + 1]!) >>> 0;
}

function rotl(s: State, a: number, n: number): void {
  let hi = s[a]!;
  let lo = s[a + 1]!;
  if (n >= 32) {
    const t = hi;
    hi = lo;
    lo = t;
    n -= 32;
  }
  if (n > 0) {
    const nh = ((hi << n) | (lo >>> (32 - n))) >>> 0;
    const nl = ((lo << n) | (hi >>> (32 - n))) >>> 0;
    hi = nh;
    lo = nl;
  }
  s[a] = hi;
  s[a + 1] = lo;
}

const V0 = 0;
const V1 = 2;
const V2 = 4;
const V3 = 6;

function sipRound(s: State): void {
  add(s, V0, V1);
  rotl(s, V1, 13);
  xor(s, V1, V0);
  rotl(s, V0, 32);
  add(s, V2, V3);
  rotl(s, V3, 16);
  xor(s, V3, V2);
  add(s, V0, V3);
  rotl(s, V3, 21);
  xor(s, V3, V0);
  add(s, V2, V1);
  rotl(s, V1, 17);
  xor(s, V1, V2);
  rotl(s, V2, 32);
}

function le32(b: Uint8Array, o: number): number {
  return ((b[o] ?? 0) | ((b[o + 1] ?? 0) << 8) | ((b[o + 2] ?? 0) << 16) | ((b[o + 3] ?? 0) << 24)) >>> 0;
}

/**
 * SipHash-2-4 of `message` under the 16-byte `key`; returns the 64-bit result as [hi, lo].
 * Throws a SynackError('ERR_SYNACK_BAD_ARGUMENT') if the key is not 16 bytes.
 */
export function siphash24Words(key: Uint8Array, message: Uint8Array): [hi: number, lo: number] {
  if (key.length !== 16) {
    throw new SynackError('ERR_SYNACK_BAD_ARGUMENT', `SipHash key must be 16 bytes, got ${key.length}`);
  }
  const k0lo = le32(key, 0);
  const k0hi = le32(key, 4);
  const k1lo = le32(key, 8);
  const k1hi = le32(key, 12);
  // "somepseudorandomlygeneratedbytes"
  const s: State = new Uint32Array([
    (k0hi ^ 0x736f6d65) >>> 0, (k0lo ^ 0x70736575) >>> 0,
    (k1hi ^ 0x646f7261) >>> 0, (k1lo ^ 0x6e646f6d) >>> 0,
    (k0hi ^ 0x6c796765) >>> 0, (k0lo ^ 0x6e657261) >>> 0,
    (k1hi ^ 0x74656462) >>> 0, (k1lo ^ 0x79746573) >>> 0,
  ]);
  const len = message.length;
  const full = len - (len % 8);
  for (let o = 0; o < full; o += 8) {
    const mlo = le32(message, o);
    const mhi = le32(message, o + 4);
    s[V3] = (s[V3]! ^ mhi) >>> 0;
    s[V3 + 1] = (s[V3 + 1]! ^ mlo) >>> 0;
    sipRound(s);
    sipRound(s);
    s[V0] = (s[V0]! ^ mhi) >>> 0;
    s[V0 + 1] = (s[V0 + 1]! ^ mlo) >>> 0;
  }
  // Last block: the remaining 0..7 bytes, little-endian, with (len mod 256) in the top byte.
  const tail = new Uint8Array(8);
  for (let i = full; i < len; i++) tail[i - full] = message[i]!;
  tail[7] = len & 0xff;
  const blo = le32(tail, 0);
  const bhi = le32(tail, 4);
  s[V3] = (s[V3]! ^ bhi) >>> 0;
  s[V3 + 1] = (s[V3 + 1]! ^ blo) >>> 0;
  sipRound(s);
  sipRound(s);
  s[V0] = (s[V0]! ^ bhi) >>> 0;
  s[V0 + 1] = (s[V0 + 1]! ^ blo) >>> 0;
  s[V2 + 1] = (s[V2 + 1]! ^ 0xff) >>> 0;
  sipRound(s);
  sipRound(s);
  sipRound(s);
  sipRound(s);
  const hi = (s[V0]! ^ s[V1]! ^ s[V2]! ^ s[V3]!) >>> 0;
  const lo = (s[V0 + 1]! ^ s[V1 + 1]! ^ s[V2 + 1]! ^ s[V3 + 1]!) >>> 0;
  return [hi, lo];
}

/** SipHash-2-4 of `message` under the 16-byte `key`, as an unsigned 64-bit BigInt. */
export function siphash24(key: Uint8Array, message: Uint8Array): bigint {
  const [hi, lo] = siphash24Words(key, message);
  return (BigInt(hi) << 32n) | BigInt(lo);
}
