/**
 * The one mutable PacketRef a decoder hands to CaptureHandlers.onPacket for every packet (see
 * types.ts). Filled field by field from a record or block header (and, for pcapng, the packet's
 * options), or from a record the decoder has already built.
 *
 * Invariant: after `set` or `setRecord`, the fields describe exactly the packet `toRecord()`
 * returns: same frame, times, lengths, link type, interface, offset, and data = buffer[offset, +capturedLength).
 */
import type { CaptureRecord, PacketRef } from './types.js';

export class PacketSlot implements PacketRef {
  buffer: Uint8Array = new Uint8Array(0);
  offset = 0;
  frame = 0;
  tsSec = 0;
  tsNsec = 0;
  capturedLength = 0;
  originalLength = 0;
  linkType = 0;
  interfaceId = 0;
  fileOffset = 0;
  private record: CaptureRecord | undefined;
  private comments: readonly string[] | undefined;
  private flags: number | undefined;

  /** A packet from its fields (data is buffer[offset, offset + capturedLength)). */
  set(buffer: Uint8Array, offset: number, capturedLength: number, frame: number, tsSec: number, tsNsec: number, originalLength: number, linkType: number, interfaceId: number, fileOffset: number): this {
    this.buffer = buffer;
    this.offset = offset;
    this.capturedLength = capturedLength;
    this.frame = frame;
    this.tsSec = tsSec;
    this.tsNsec = tsNsec;
    this.originalLength = originalLength;
    this.linkType = linkType;
    this.interfaceId = interfaceId;
    this.fileOffset = fileOffset;
    this.record = undefined;
    this.comments = undefined;
    this.flags = undefined;
    return this;
  }

  /** pcapng packet options for toRecord() (after set()): opt_comment values and epb_flags. */
  options(comments: readonly string[] | undefined, flags: number | undefined): this {
    this.comments = comments;
    this.flags = flags;
    return this;
  }

  /** A packet of which the record is already made. */
  setRecord(r: CaptureRecord): this {
    this.set(r.data, 0, r.capturedLength, r.frame, r.tsSec, r.tsNsec, r.originalLength, r.linkType, r.interfaceId, r.fileOffset);
    this.record = r;
    return this;
  }

  toRecord(): CaptureRecord {
    if (this.record !== undefined) return this.record;
    const r: CaptureRecord = {
      frame: this.frame,
      timestamp: this.tsSec + this.tsNsec / 1e9,
      tsSec: this.tsSec,
      tsNsec: this.tsNsec,
      capturedLength: this.capturedLength,
      originalLength: this.originalLength,
      linkType: this.linkType,
      interfaceId: this.interfaceId,
      data: this.buffer.subarray(this.offset, this.offset + this.capturedLength),
      fileOffset: this.fileOffset,
    };
    // Optional fields are present only when the file has them, as the decoders' records.
    this.record = this.comments === undefined && this.flags === undefined ? r : { ...r, ...(this.comments !== undefined ? { comments: this.comments } : {}), ...(this.flags !== undefined ? { flags: this.flags } : {}) };
    return this.record;
  }
}
