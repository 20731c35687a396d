/**
 * Buffers for outgoing packets and read chunks, carved from shared slabs: `alloc(n)` returns a zeroed
 * `Uint8Array` of n bytes that is a view into a 64 KiB ArrayBuffer shared with the packets
 * allocated just before and after it. A typed array of a packet's size is otherwise its own
 * backing store (a calloc and a GC finalizer each, about 0.9 us for 1500 bytes in V8 against
 * 0.15 us for a view): at a hundred thousand packets a second that is the difference.
 *
 * Invariants: every view is zero-filled when handed out (slab memory is never reused: a full slab
 * is dropped and a fresh one started, and the GC frees it once no view of it is alive); views never
 * overlap; requests larger than a quarter slab get a buffer of their own. Browser-safe.
 */
const SLAB_SIZE = 64 * 1024;
const OWN_BUFFER_ABOVE = SLAB_SIZE / 4;

export class PacketAllocator {
  private slab = new ArrayBuffer(SLAB_SIZE);
  private offset = 0;

  /** A zeroed buffer of `n` bytes; the caller may keep it (it is never handed out again). */
  alloc(n: number): Uint8Array {
    if (n > OWN_BUFFER_ABOVE) return new Uint8Array(n);
    if (this.offset + n > SLAB_SIZE) {
      this.slab = new ArrayBuffer(SLAB_SIZE);
      this.offset = 0;
    }
    const view = new Uint8Array(this.slab, this.offset, n);
    // Keep views 8-byte aligned (cheap, and friendly to any DataView user).
    this.offset += (n + 7) & ~7;
    return view;
  }
}
