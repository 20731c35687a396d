/**
 * The internet checksum (RFC 1071): the 16-bit ones' complement of the ones' complement sum of the
 * data taken as big-endian 16-bit words, an odd final byte padded with a zero byte.
 *
 * Partial sums are plain numbers in [0, 0xffff] (folded, not complemented), so they can be added
 * and carried into the next call: `checksumFinish(checksumAdd(checksumAdd(pseudo, hdr), payload))`.
 * `checksumAdd` treats its range as starting on a word boundary of the checksummed message (RFC 1071
 * 2(B)); use `ChecksumAccumulator` to chain ranges of odd length.
 *
 * Speed (this sits on the TCP bulk path): ranges of 64 bytes or more are summed as 32-bit words
 * through a Uint32Array over the 4-byte-aligned middle of the range, into a float64 accumulator that
 * is exact up to 2^53 (we fold every 2^20 words). Host byte order does not matter to a ones'
 * complement sum except for a final byte swap (RFC 1071 2(B)); the swap depends on the parity of
 * the range's absolute address and on the host's endianness, both handled below. Ranges of
 * WASM_MIN bytes or more go to the WebAssembly SIMD sum (checksum-wasm.ts, about 5x the word path
 * even after copying the bytes into its memory), where WebAssembly is available.
 */
import { checksumEngine, type ChecksumEngine } from './checksum-wasm.js';

/** True on big-endian hosts (practically never; kept so the swap rule is stated, not assumed). */
const HOST_BIG_ENDIAN = new Uint8Array(new Uint16Array([0x0102]).buffer)[0] === 0x01;

/**
 * Below this length the byte loop (about 3 GB/s) wins: creating the Uint32Array view costs a fixed
 * ~90 ns in V8 (measured on Node 20: crossover between 256 and 512 bytes).
 */
const WORD_PATH_MIN = 384;

/**
 * From this length the WebAssembly sum wins even with the copy into its memory (measured on Node
 * 20: 4.2 vs 3.0 GB/s at 512 bytes, 8 vs 3.2 GB/s at 1460; at 256 bytes the copy eats the gain).
 */
const WASM_MIN = 512;
/** Bytes copied into the engine's memory per call: even, so every piece starts on a word boundary. */
const WASM_PIECE = 1 << 19;

/**
 * Fold an exact non-negative integer sum (up to 2^53) into [0, 0xffff] with end-around carry.
 * Since 2^16 = 1 (mod 0xffff), end-around-carry folding is reduction mod 0xffff, except that a
 * non-zero multiple of 0xffff folds to 0xffff (ones' complement "negative zero"), not 0.
 */
function foldWide(sum: number): number {
  return sum === 0 ? 0 : ((sum - 1) % 0xffff) + 1;
}

function swap16(v: number): number {
  return ((v & 0xff) << 8) | (v >>> 8);
}

/** Ones' complement sum of bytes[start, end) as big-endian words, starting on a word boundary. */
function sumBytes(b: Uint8Array, start: number, end: number): number {
  let sum = 0;
  let i = start;
  const end16 = start + ((end - start) & ~15);
  for (; i < end16; i += 16) {
    sum +=
      (((b[i] as number) << 8) | (b[i + 1] as number)) +
      (((b[i + 2] as number) << 8) | (b[i + 3] as number)) +
      (((b[i + 4] as number) << 8) | (b[i + 5] as number)) +
      (((b[i + 6] as number) << 8) | (b[i + 7] as number)) +
      (((b[i + 8] as number) << 8) | (b[i + 9] as number)) +
      (((b[i + 10] as number) << 8) | (b[i + 11] as number)) +
      (((b[i + 12] as number) << 8) | (b[i + 13] as number)) +
      (((b[i + 14] as number) << 8) | (b[i + 15] as number));
  }
  for (; i + 1 < end; i += 2) sum += ((b[i] as number) << 8) | (b[i + 1] as number);
  if (i < end) sum += (b[i] as number) << 8;
  return foldWide(sum);
}

/** The same sum through 32-bit loads over the aligned middle of the range. */
function sumWords(b: Uint8Array, start: number, end: number): number {
  const abs = b.byteOffset + start;
  const head = (4 - (abs & 3)) & 3;
  const words = (end - start - head) >>> 2;
  let sum = 0;
  // Head bytes: logical index j is the high byte of its word when j is even (RFC 1071 byte weights).
  for (let j = 0; j < head; j++) sum += (j & 1) === 0 ? (b[start + j] as number) << 8 : (b[start + j] as number);

  const w = new Uint32Array(b.buffer, abs + head, words);
  let acc = 0;
  let k = 0;
  while (k < words) {
    const stop = Math.min(words, k + (1 << 20));
    const stop8 = k + ((stop - k) & ~7);
    let part = 0;
    for (; k < stop8; k += 8) {
      part +=
        (w[k] as number) + (w[k + 1] as number) + (w[k + 2] as number) + (w[k + 3] as number) +
        (w[k + 4] as number) + (w[k + 5] as number) + (w[k + 6] as number) + (w[k + 7] as number);
    }
    for (; k < stop; k++) part += w[k] as number;
    acc = foldWide(acc + foldWide(part));
  }
  // A host-order load gives the byte at an even absolute address weight 1 (little-endian) where the
  // message wants 256 if that byte sits at an even logical index, i.e. when the range starts at an
  // even address. Then the folded sum is byte-swapped (RFC 1071 2(B)).
  const rangeStartsEven = (abs & 1) === 0;
  if (rangeStartsEven !== HOST_BIG_ENDIAN) acc = swap16(acc);
  sum += acc;

  for (let j = head + words * 4; j < end - start; j++) {
    sum += (j & 1) === 0 ? (b[start + j] as number) << 8 : (b[start + j] as number);
  }
  return foldWide(sum);
}

/** The same sum by the WebAssembly engine, the range copied into its memory piece by piece. */
function sumWasm(e: ChecksumEngine, b: Uint8Array, start: number, end: number): number {
  // A range that is most of a small array (a segment inside its packet): copy the whole array and
  // sum in place, rather than make a view of the range (a typed-array view costs about as much as
  // copying a kilobyte).
  if (b.length <= WASM_PIECE && b.length - (end - start) <= 64) {
    e.bytes.set(b, 0);
    return e.sum(start, end - start);
  }
  let sum = 0;
  for (let s = start; s < end; s += WASM_PIECE) {
    const t = Math.min(end, s + WASM_PIECE);
    e.bytes.set(b.subarray(s, t), 0);
    const x = sum + e.sum(0, t - s);
    sum = (x & 0xffff) + (x >>> 16);
  }
  return sum;
}

let wasm: ChecksumEngine | null | undefined;

/**
 * Add bytes[start, end) to a partial sum; returns the new partial sum in [0, 0xffff].
 * An odd-length range is padded with a zero byte, so only the last range of a message may be odd.
 */
export function checksumAdd(sum: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  if (start < 0) start = 0;
  if (end > bytes.length) end = bytes.length;
  if (end <= start) return sum;
  const n = end - start;
  let part: number;
  if (n < WORD_PATH_MIN) {
    part = sumBytes(bytes, start, end);
  } else {
    if (n >= WASM_MIN && wasm === undefined) wasm = checksumEngine() ?? null;
    part = n >= WASM_MIN && wasm !== null && wasm !== undefined ? sumWasm(wasm, bytes, start, end) : sumWords(bytes, start, end);
  }
  const s = sum + part;
  return (s & 0xffff) + (s >>> 16);
}

/** checksumAdd without WebAssembly: what runs where it is unavailable (for benchmarks and tests). */
export function checksumAddJs(sum: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  if (start < 0) start = 0;
  if (end > bytes.length) end = bytes.length;
  if (end <= start) return sum;
  const s = sum + (end - start >= WORD_PATH_MIN ? sumWords(bytes, start, end) : sumBytes(bytes, start, end));
  return (s & 0xffff) + (s >>> 16);
}

/** Add a 16-bit word (e.g. a pseudo-header field) to a partial sum. */
export function checksumAddU16(sum: number, v: number): number {
  const s = sum + (v & 0xffff);
  return (s & 0xffff) + (s >>> 16);
}

/** Add a 32-bit value as its two 16-bit words. */
export function checksumAddU32(sum: number, v: number): number {
  return checksumAddU16(checksumAddU16(sum, v >>> 16), v);
}

/** Fold and complement a partial sum into the 16-bit checksum field value. */
export function checksumFinish(sum: number): number {
  return ~foldWide(sum) & 0xffff;
}

/** The internet checksum of bytes[start, end). Over data that includes a correct checksum field it is 0. */
export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return checksumFinish(checksumAdd(0, bytes, start, end));
}

/**
 * Incremental checksum over any number of ranges of any lengths, in message order: keeps track of
 * whether the next byte falls on an odd position of the message (RFC 1071 2(B): a sum over a range
 * starting at an odd position is the byte-swapped sum).
 */
export class ChecksumAccumulator {
  private sum = 0;
  private odd = false;

  constructor(initial = 0) {
    this.sum = initial;
  }

  add(bytes: Uint8Array, start = 0, end = bytes.length): this {
    if (start < 0) start = 0;
    if (end > bytes.length) end = bytes.length;
    if (end <= start) return this;
    const part = checksumAdd(0, bytes, start, end);
    this.sum = checksumAddU16(this.sum, this.odd ? swap16(part) : part);
    if (((end - start) & 1) === 1) this.odd = !this.odd;
    return this;
  }

  /** Add a 16-bit word; only valid on a word boundary. */
  addU16(v: number): this {
    this.sum = checksumAddU16(this.sum, this.odd ? swap16(v & 0xffff) : v);
    return this;
  }

  /** The partial (folded, uncomplemented) sum so far. */
  partial(): number {
    return this.sum;
  }

  /** The checksum field value. */
  finish(): number {
    return checksumFinish(this.sum);
  }
}
