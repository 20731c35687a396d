/**
 * Frame sources for the viewer panes: a capture file indexed in place, and (for the simulator) a
 * growing list of packets. The viewer asks a source for frame i and gets a CaptureRecord whose
 * `data` is a zero-copy view into the bytes the source holds.
 *
 * Invariant (CaptureIndex): per frame the index keeps only numbers in typed arrays (where its bytes
 * start in the file buffer, their lengths, the timestamp, the link type): about 32 bytes a frame,
 * never an object per frame, so a million frames cost ~32 MB beside the file itself. Reading never
 * throws: a damaged file keeps the frames before the damage and the CaptureError that stopped it.
 * Browser-safe (no DOM needed either, so tests run it under Node).
 */
import { CaptureDecoder, CaptureError, type CaptureFormat, type CaptureRecord } from '../capture/index.js';

/** What the viewer panes read: frames by 0-based index. */
export interface FrameSource {
  readonly count: number;
  /** Frame i (0-based); its `frame` number is what the list shows. */
  record(i: number): CaptureRecord;
  /** Time origin, seconds: the list's time column is relative to it. */
  readonly origin: number;
}

const MIN_CAPACITY = 1024;

export class CaptureIndex implements FrameSource {
  private dataOffset: Float64Array;
  private capLen: Uint32Array;
  private origLen: Uint32Array;
  private tsSec: Float64Array;
  private tsNsec: Uint32Array;
  private linkTypes: Uint32Array;
  private interfaceIds: Uint32Array;
  private recordOffsets: Float64Array;
  /** Records whose data is not a view of `bytes` (a decoder's private copy), by index. */
  private readonly copies = new Map<number, Uint8Array>();
  private n = 0;
  /** The error that stopped reading, if any (frames before it are kept). */
  error: CaptureError | undefined;
  format: CaptureFormat | undefined;
  origin = 0;

  private constructor(readonly bytes: Uint8Array, readonly name: string) {
    const cap = Math.max(MIN_CAPACITY, Math.min(1 << 22, Math.ceil(bytes.length / 64)));
    this.dataOffset = new Float64Array(cap);
    this.capLen = new Uint32Array(cap);
    this.origLen = new Uint32Array(cap);
    this.tsSec = new Float64Array(cap);
    this.tsNsec = new Uint32Array(cap);
    this.linkTypes = new Uint32Array(cap);
    this.interfaceIds = new Uint32Array(cap);
    this.recordOffsets = new Float64Array(cap);
  }

  /** Index a whole capture held in memory. Never throws for bad bytes; see `error`. */
  static load(bytes: Uint8Array, name = 'capture'): CaptureIndex {
    const idx = new CaptureIndex(bytes, name);
    const decoder = new CaptureDecoder({ onRecord: (r) => idx.add(r) });
    try {
      decoder.push(bytes);
      decoder.end();
    } catch (e) {
      if (!(e instanceof CaptureError)) throw e;
      idx.error = e;
    }
    idx.format = decoder.format;
    if (idx.n > 0) idx.origin = (idx.tsSec[0] as number) + (idx.tsNsec[0] as number) / 1e9;
    return idx;
  }

  get count(): number {
    return this.n;
  }

  private grow(): void {
    const cap = this.capLen.length * 2;
    const g = <T extends Float64Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.dataOffset = g(this.dataOffset, (k) => new Float64Array(k));
    this.recordOffsets = g(this.recordOffsets, (k) => new Float64Array(k));
    this.tsSec = g(this.tsSec, (k) => new Float64Array(k));
    this.capLen = g(this.capLen, (k) => new Uint32Array(k));
    this.origLen = g(this.origLen, (k) => new Uint32Array(k));
    this.tsNsec = g(this.tsNsec, (k) => new Uint32Array(k));
    this.linkTypes = g(this.linkTypes, (k) => new Uint32Array(k));
    this.interfaceIds = g(this.interfaceIds, (k) => new Uint32Array(k));
  }

  private add(r: CaptureRecord): void {
    if (this.n === this.capLen.length) this.grow();
    const i = this.n++;
    const d = r.data;
    if (d.buffer === this.bytes.buffer && d.byteOffset >= this.bytes.byteOffset) {
      this.dataOffset[i] = d.byteOffset - this.bytes.byteOffset;
    } else {
      this.dataOffset[i] = -1;
      this.copies.set(i, d);
    }
    this.capLen[i] = d.length;
    this.origLen[i] = r.originalLength;
    this.tsSec[i] = r.tsSec;
    this.tsNsec[i] = r.tsNsec;
    this.linkTypes[i] = r.linkType;
    this.interfaceIds[i] = r.interfaceId;
    this.recordOffsets[i] = r.fileOffset;
  }

  record(i: number): CaptureRecord {
    const off = this.dataOffset[i] as number;
    const len = this.capLen[i] as number;
    const data = off < 0 ? (this.copies.get(i) as Uint8Array) : this.bytes.subarray(off, off + len);
    const tsSec = this.tsSec[i] as number;
    const tsNsec = this.tsNsec[i] as number;
    return {
      frame: i + 1,
      timestamp: tsSec + tsNsec / 1e9,
      tsSec,
      tsNsec,
      capturedLength: len,
      originalLength: this.origLen[i] as number,
      linkType: this.linkTypes[i] as number,
      interfaceId: this.interfaceIds[i] as number,
      data,
      fileOffset: this.recordOffsets[i] as number,
    };
  }

  /** Bytes of index memory per frame (for the status line). */
  static readonly BYTES_PER_FRAME = 8 + 4 + 4 + 8 + 4 + 4 + 4 + 8;
}

/** A list of packets (the simulator's wire): raw IP (LINKTYPE_RAW), times in ms. */
export class PacketList implements FrameSource {
  private readonly packets: { data: Uint8Array; ms: number }[] = [];
  origin = 0;

  constructor(private readonly linkType = 101) {}

  get count(): number {
    return this.packets.length;
  }

  push(ms: number, data: Uint8Array): void {
    this.packets.push({ ms, data });
  }

  clear(): void {
    this.packets.length = 0;
  }

  record(i: number): CaptureRecord {
    const p = this.packets[i] as { data: Uint8Array; ms: number };
    const ns = Math.round(p.ms * 1e6);
    const tsSec = Math.floor(ns / 1e9);
    return {
      frame: i + 1,
      timestamp: p.ms / 1000,
      tsSec,
      tsNsec: ns - tsSec * 1e9,
      capturedLength: p.data.length,
      originalLength: p.data.length,
      linkType: this.linkType,
      interfaceId: 0,
      data: p.data,
      fileOffset: 0,
    };
  }
}
