/**
 * Byte-level helpers shared by the codecs: big-endian reads and writes on a Uint8Array (offset-aware
 * because they index the array, which may be a subarray), field tables, hex.
 *
 * Reads past the end of the array never throw; they read as 0 (callers check lengths first, which is
 * what each view's `check()` is for). Writes past the end are ignored by the typed array.
 */
import { WireError, WireErrorCode } from './result.js';

/**
 * Where a field sits: `[byteOffset, byteLength]`, or `[byteOffset, byteLength, mask]` for a field
 * that is part of a byte or word: `mask` selects its bits in the big-endian value of those bytes
 * (e.g. IPv4 DF is `[6, 2, 0x4000]`). A dissector highlights `byteLength` bytes at `byteOffset`.
 */
export type FieldSpec = readonly [byteOffset: number, byteLength: number] | readonly [byteOffset: number, byteLength: number, mask: number];

/** A protocol's field table: field name -> FieldSpec, offsets from the start of the header. */
export type FieldTable = { readonly [name: string]: FieldSpec };

export function u8(b: Uint8Array, o: number): number {
  return b[o] ?? 0;
}

export function u16(b: Uint8Array, o: number): number {
  return ((b[o] ?? 0) << 8) | (b[o + 1] ?? 0);
}

export function u32(b: Uint8Array, o: number): number {
  return (((b[o] ?? 0) << 24) | ((b[o + 1] ?? 0) << 16) | ((b[o + 2] ?? 0) << 8) | (b[o + 3] ?? 0)) >>> 0;
}

export function put8(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
}

export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}

export function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

/** The value of a field described by a FieldSpec (masked and shifted down when it has a mask). */
export function readField(b: Uint8Array, spec: FieldSpec): number {
  const [off, len, mask] = spec;
  let v = 0;
  for (let i = 0; i < len && i < 4; i++) v = v * 256 + u8(b, off + i);
  if (mask === undefined) return v;
  let shift = 0;
  while (shift < 32 && ((mask >>> shift) & 1) === 0) shift++;
  return ((v & mask) >>> shift) >>> 0;
}

/**
 * Copy `src` into `dst` at `offset`, unless `src` already is exactly those bytes of the same memory
 * (the zero-copy case where the caller built the payload in place).
 */
export function copyInto(dst: Uint8Array, offset: number, src: Uint8Array): void {
  if (src.length === 0) return;
  if (src.buffer === dst.buffer && src.byteOffset === dst.byteOffset + offset) return;
  dst.set(src, offset);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lower-case hex with no separators ("020405b4"). */
export function toHex(b: Uint8Array, sep = ''): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += (i > 0 ? sep : '') + HEX[b[i] ?? 0];
  return s;
}

/** Hex text to bytes; whitespace, ':' and '-' between digits are ignored. Throws on odd digits or non-hex. */
export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/[\s:-]/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) {
    throw new WireError(WireErrorCode.INVALID_REPR, `not an even number of hex digits: ${JSON.stringify(text.slice(0, 40))}`, -1);
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Throw INVALID_REPR unless `v` is an integer in [0, max]. */
export function checkUint(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new WireError(WireErrorCode.INVALID_REPR, `${what} ${String(v)} is not an integer in [0, ${max}]`, -1);
  }
}

/** Throw BUFFER_TOO_SMALL unless `buffer` holds `need` bytes. */
export function checkBuffer(buffer: Uint8Array, need: number, what: string): void {
  if (buffer.length < need) {
    throw new WireError(WireErrorCode.BUFFER_TOO_SMALL, `${what} needs ${need} bytes, buffer has ${buffer.length}`, -1);
  }
}

/** Throw INVALID_REPR unless `b` is exactly `len` bytes. */
export function checkBytes(b: Uint8Array, len: number, what: string): void {
  if (b.length !== len) {
    throw new WireError(WireErrorCode.INVALID_REPR, `${what} must be ${len} bytes, got ${b.length}`, -1);
  }
}
