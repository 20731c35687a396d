/**
 * Chunk framing shared by the pcap and pcapng push parsers.
 *
 * A capture file is a sequence of units (file header, record, block), each of which announces its
 * total length in a fixed-size header. The framer accepts chunks of any size and hands every
 * complete unit to the format, zero-copy when the unit lies inside one chunk; a unit that straddles
 * chunks is assembled once in a buffer of exactly its (already validated, capped) length.
 *
 * Invariants: `offset` is always the absolute file offset of the first byte of the unit being
 * framed; at most one unit is buffered; a failure is sticky — every later push()/end() throws the
 * same error again (a CaptureError for bad input, or whatever a handler threw, since the framing
 * state is then unknown); units before the damage have already been delivered when it is thrown.
 */
import { CaptureError, CaptureErrorCode } from './errors.js';

/** Largest fixed header any format asks for before it knows a unit's length (pcap file header). */
const MAX_HEADER = 24;

export abstract class Framer {
  /** Absolute file offset of the unit being framed. */
  protected offset = 0;
  private readonly head = new Uint8Array(MAX_HEADER);
  private readonly headView = new DataView(this.head.buffer);
  private headLen = 0;
  private body: Uint8Array | undefined;
  private bodyLen = 0;
  private failure: { readonly error: unknown } | undefined;
  private ended = false;

  /** Bytes needed to learn the length of the next unit (<= MAX_HEADER). */
  protected abstract headerSize(): number;
  /** Total length of the unit whose header starts at buf[at]; validates and throws CaptureError. */
  protected abstract unitLength(buf: Uint8Array, view: DataView, at: number): number;
  /** Handle the complete unit buf[at, at + length); `this.offset` is its file offset. */
  protected abstract unit(buf: Uint8Array, view: DataView, at: number, length: number): void;
  /** The error for a file that ends after `have` bytes of the current unit (`need` if known). */
  protected abstract truncated(have: Uint8Array, need: number | undefined): CaptureError;

  /** Feed the next chunk of the file. Units completed by it are delivered before this returns. */
  push(chunk: Uint8Array): void {
    if (this.failure !== undefined) throw this.failure.error;
    if (this.ended) {
      throw new CaptureError(CaptureErrorCode.MISUSE, 'capture decoder: push() after end()', this.offset);
    }
    try {
      this.consume(chunk);
    } catch (e) {
      this.failure = { error: e };
      throw e;
    }
  }

  /** Signal end of file; throws a TRUNCATED error if the file stops inside a unit. */
  end(): void {
    if (this.failure !== undefined) throw this.failure.error;
    if (this.ended) return;
    this.ended = true;
    let err: CaptureError | undefined;
    if (this.body !== undefined) err = this.truncated(this.body.subarray(0, this.bodyLen), this.body.length);
    else if (this.headLen > 0 || this.offset === 0) err = this.truncated(this.head.subarray(0, this.headLen), undefined);
    if (err !== undefined) {
      this.failure = { error: err };
      throw err;
    }
  }

  /** Absolute number of bytes framed into complete units so far. */
  get bytesConsumed(): number {
    return this.offset;
  }

  private consume(chunk: Uint8Array): void {
    const n = chunk.length;
    let pos = 0;
    if (this.headLen > 0 || this.body !== undefined) {
      pos = this.fillPending(chunk);
      if (pos < 0) return;
    }
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (;;) {
      const rest = n - pos;
      if (rest === 0) return;
      if (rest < this.headerSize()) {
        this.head.set(chunk.subarray(pos), 0);
        this.headLen = rest;
        return;
      }
      const len = this.unitLength(chunk, view, pos);
      if (rest < len) {
        const body = new Uint8Array(len);
        body.set(chunk.subarray(pos), 0);
        this.body = body;
        this.bodyLen = rest;
        return;
      }
      this.unit(chunk, view, pos, len);
      pos += len;
      this.offset += len;
    }
  }

  /** Complete the buffered unit from the start of `chunk`; returns bytes used, or -1 if all were. */
  private fillPending(chunk: Uint8Array): number {
    let pos = 0;
    if (this.body === undefined) {
      const need = this.headerSize() - this.headLen;
      const take = Math.min(need, chunk.length);
      this.head.set(chunk.subarray(0, take), this.headLen);
      this.headLen += take;
      pos = take;
      if (take < need) return -1;
      const len = this.unitLength(this.head, this.headView, 0);
      const body = new Uint8Array(len);
      body.set(this.head.subarray(0, this.headLen), 0);
      this.body = body;
      this.bodyLen = this.headLen;
      this.headLen = 0;
    }
    const body = this.body;
    const take = Math.min(body.length - this.bodyLen, chunk.length - pos);
    body.set(chunk.subarray(pos, pos + take), this.bodyLen);
    this.bodyLen += take;
    pos += take;
    if (this.bodyLen < body.length) return -1;
    this.body = undefined;
    this.bodyLen = 0;
    this.unit(body, new DataView(body.buffer), 0, body.length);
    this.offset += body.length;
    return pos;
  }
}
