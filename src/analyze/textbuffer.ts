/**
 * A growable byte buffer for text output. Hot formatting loops (the `synack decode` summary path)
 * write ASCII pieces and unsigned integers into it as bytes, so a million lines cost no string
 * allocation, no rope flattening and no UTF-8 conversion; other text is encoded as UTF-8.
 * Browser-safe.
 *
 * Invariant: bytes[0, length) is the text written so far, as UTF-8; `length` only moves back when
 * the caller rewinds to a mark it took (`length = mark`) or clears.
 */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** "00" "01" ... "99" as ASCII byte pairs. */
const DIGIT_PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  DIGIT_PAIRS[2 * i] = 48 + Math.floor(i / 10);
  DIGIT_PAIRS[2 * i + 1] = 48 + (i % 10);
}

/** Decimal digits of 0 <= n < 2^31. */
function digitCount(n: number): number {
  if (n < 100000) return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : 5;
  return n < 1000000 ? 6 : n < 10000000 ? 7 : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
}

export class TextBuffer {
  bytes: Uint8Array;
  length = 0;

  /**
   * A buffer of `capacity` bytes to start with, or over the given bytes (e.g. a view of
   * WebAssembly memory). Either way it grows into a new, larger array when a write needs more.
   */
  constructor(capacity: number | Uint8Array = 1 << 16) {
    this.bytes = typeof capacity === 'number' ? new Uint8Array(Math.max(64, capacity)) : capacity;
  }

  /** Make room for `n` more bytes. */
  reserve(n: number): void {
    const need = this.length + n;
    if (need <= this.bytes.length) return;
    let cap = Math.max(64, this.bytes.length * 2);
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
  }

  byte(c: number): void {
    if (this.length >= this.bytes.length) this.reserve(1);
    this.bytes[this.length++] = c;
  }

  /** Append a string known to be ASCII (code units below 0x80), one byte per character. */
  ascii(s: string): void {
    const n = s.length;
    this.reserve(n);
    const b = this.bytes;
    let at = this.length;
    for (let i = 0; i < n; i++) b[at++] = s.charCodeAt(i);
    this.length = at;
  }

  /** Append any string as UTF-8. */
  text(s: string): void {
    this.reserve(s.length * 3);
    this.length += encoder.encodeInto(s, this.bytes.subarray(this.length)).written;
  }

  /** Append raw bytes (e.g. pre-encoded text). */
  raw(src: Uint8Array): void {
    this.reserve(src.length);
    this.bytes.set(src, this.length);
    this.length += src.length;
  }

  /** Append a non-negative integer below 2^53 in decimal. */
  uint(n: number): void {
    if (n >= 0x80000000) {
      // Split so both halves fit small-integer arithmetic: n = hi * 10^8 + lo.
      const hi = Math.floor(n / 1e8);
      this.uint(hi);
      this.digits(n - hi * 1e8, 8);
      return;
    }
    this.digits(n, digitCount(n));
  }

  /** Append `n` (as uint) left-padded with `pad` (an ASCII code) to at least `width` characters. */
  uintPadded(n: number, width: number, pad: number): void {
    const len = n >= 0x80000000 ? 9 + digitCount(Math.floor(n / 1e9)) : digitCount(n);
    if (len < width) {
      this.reserve(width - len);
      const b = this.bytes;
      for (let i = len; i < width; i++) b[this.length++] = pad;
    }
    this.uint(n);
  }

  /** Write 0 <= v < 2^31 as exactly `len` digits (zero-padded on the left), two at a time. */
  private digits(v: number, len: number): void {
    this.reserve(len);
    const b = this.bytes;
    const start = this.length;
    let at = start + len;
    this.length = at;
    v |= 0;
    while (v >= 100 && at > start + 1) {
      const q = (v / 100) | 0;
      const r = (v - q * 100) << 1;
      b[--at] = DIGIT_PAIRS[r + 1] as number;
      b[--at] = DIGIT_PAIRS[r] as number;
      v = q;
    }
    while (at > start) {
      const q = (v / 10) | 0;
      b[--at] = 48 + v - q * 10;
      v = q;
    }
  }

  /** The text so far (a view: valid until the next write). */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  clear(): void {
    this.length = 0;
  }

  toString(): string {
    return decoder.decode(this.view());
  }
}

/** A string's UTF-8 bytes, for pieces written many times. */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}
