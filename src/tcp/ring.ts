/**
 * A bounded byte ring for the send and receive buffers: one copy in, one copy out, no concatenation.
 *
 * Logical offset 0 is the oldest byte. `length` bytes from offset 0 are committed (readable); the
 * receive side may also write ahead of `length` (out-of-order data inside the window) with `writeAt`
 * and later `commit` it. Storage is allocated on the first write, starts small and doubles up to
 * `capacity` on demand, so an idle connection holds no buffer memory at all.
 *
 * Invariants: 0 <= length <= extent <= capacity; bytes at logical offsets [0, extent) are preserved
 * across growth; nothing is ever stored at or beyond `capacity`.
 */

const INITIAL = 4096;
const NONE = new Uint8Array(0);

export class ByteRing {
  readonly capacity: number;
  private buf: Uint8Array;
  private head = 0;
  private len = 0;
  /** End of the written region (committed or written ahead), as a logical offset. */
  private extent = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.buf = NONE;
  }

  /** Committed bytes. */
  get length(): number {
    return this.len;
  }

  /** Room left for committed bytes. */
  get free(): number {
    return this.capacity - this.len;
  }

  /** Bytes of storage currently allocated (for resource accounting). */
  get allocated(): number {
    return this.buf.length;
  }

  private reserve(end: number): void {
    if (end <= this.buf.length) return;
    let size = Math.max(Math.min(this.capacity, INITIAL), this.buf.length * 2);
    while (size < end) size *= 2;
    size = Math.min(this.capacity, size);
    const next = new Uint8Array(size);
    this.copyOutRaw(0, next, 0, this.extent);
    this.buf = next;
    this.head = 0;
  }

  private copyOutRaw(offset: number, dst: Uint8Array, dstStart: number, n: number): void {
    if (n <= 0) return;
    const size = this.buf.length;
    const p = (this.head + offset) % size;
    const first = Math.min(n, size - p);
    dst.set(this.buf.subarray(p, p + first), dstStart);
    if (first < n) dst.set(this.buf.subarray(0, n - first), dstStart + first);
  }

  /** Append up to `free` bytes of `src[start, end)` as committed data; returns how many were taken. */
  append(src: Uint8Array, start = 0, end = src.length): number {
    const n = Math.min(end - start, this.capacity - this.len);
    if (n <= 0) return 0;
    this.writeAt(this.len, src, start, start + n);
    this.len += n;
    if (this.extent < this.len) this.extent = this.len;
    return n;
  }

  /**
   * Write `src[start, end)` at logical `offset` without committing. The caller guarantees
   * offset >= 0 and offset + (end - start) <= capacity.
   */
  writeAt(offset: number, src: Uint8Array, start = 0, end = src.length): void {
    const n = end - start;
    if (n <= 0) return;
    this.reserve(offset + n);
    const size = this.buf.length;
    const p = (this.head + offset) % size;
    const first = Math.min(n, size - p);
    // (A view is made only when part of `src` is taken: creating one costs more than a segment's copy.)
    this.buf.set(start === 0 && first === src.length ? src : src.subarray(start, start + first), p);
    if (first < n) this.buf.set(src.subarray(start + first, end), 0);
    if (offset + n > this.extent) this.extent = offset + n;
  }

  /** Mark `n` more bytes (already written with writeAt) as committed. */
  commit(n: number): void {
    this.len = Math.min(this.capacity, this.len + n);
    if (this.extent < this.len) this.extent = this.len;
  }

  /** Copy `n` committed-or-written bytes from logical `offset` into `dst` at `dstStart`. */
  copyOut(offset: number, dst: Uint8Array, dstStart: number, n: number): void {
    if (n <= 0) return;
    this.copyOutRaw(offset, dst, dstStart, n);
  }

  /**
   * `n` bytes from logical `offset` as one array: a view of the storage (no copy) when they do not
   * wrap around its end, else a copy. A view shows the bytes until they are consumed and the space
   * is written again.
   */
  slice(offset: number, n: number): Uint8Array {
    if (n <= 0) return NONE;
    const size = this.buf.length;
    const p = (this.head + offset) % size;
    if (p + n <= size) return this.buf.subarray(p, p + n);
    const out = new Uint8Array(n);
    this.copyOutRaw(offset, out, 0, n);
    return out;
  }

  /** How many bytes from logical `offset` lie in one piece of storage (a `slice` of them is a view). */
  contiguous(offset: number): number {
    const size = this.buf.length;
    if (size === 0) return 0;
    return size - ((this.head + offset) % size);
  }

  /** Up to two views (no copy) of `n` bytes from logical `offset`; valid until the next mutation. */
  views(offset: number, n: number): Uint8Array[] {
    if (n <= 0) return [];
    const size = this.buf.length;
    const p = (this.head + offset) % size;
    const first = Math.min(n, size - p);
    const out = [this.buf.subarray(p, p + first)];
    if (first < n) out.push(this.buf.subarray(0, n - first));
    return out;
  }

  /** Drop `n` bytes from the front (acknowledged or read). */
  consume(n: number): void {
    n = Math.min(n, this.len);
    if (n <= 0) return;
    this.len -= n;
    this.extent -= n;
    if (this.extent === 0) this.head = 0;
    else this.head = (this.head + n) % this.buf.length;
  }

  /** Forget everything written ahead of the committed bytes. */
  truncateAhead(): void {
    this.extent = this.len;
  }

  /** Drop everything. */
  clear(): void {
    this.len = 0;
    this.extent = 0;
    this.head = 0;
  }
}
