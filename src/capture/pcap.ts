/**
 * Classic pcap files (draft-ietf-opsawg-pcap): a streaming push decoder and a writer.
 *
 * File header (24 bytes): magic, version major/minor, thiszone, sigfigs, snaplen, LinkType field.
 * Magic a1b2c3d4 = microsecond timestamps, a1b23c4d = nanoseconds; read in the writer's byte order,
 * which the magic reveals. Each record: ts seconds, ts fraction, captured length, original length,
 * then the captured bytes.
 *
 * Invariants: a record's captured length is checked against the snapshot length and the size cap
 * (PCAP_RECORD_CAP, raised to the snapshot length up to PCAP_RECORD_HARD_CAP) before any byte of it
 * is buffered; records come out in file order, numbered from 1; nothing browser-unsafe here.
 */
import { CaptureError, CaptureErrorCode } from './errors.js';
import { Framer } from './framer.js';
import { PacketSlot } from './packet-ref.js';
import type { CaptureHandlers, CaptureInterface, CaptureRecord, DecoderOptions, PcapFileHeader } from './types.js';

export const PCAP_MAGIC_MICRO = 0xa1b2c3d4;
export const PCAP_MAGIC_NANO = 0xa1b23c4d;
/** Largest record accepted when the snapshot length does not say more: 256 KiB (Wireshark's usual maximum). */
export const PCAP_RECORD_CAP = 256 * 1024;
/** Largest record accepted whatever the snapshot length says: 16 MiB. */
export const PCAP_RECORD_HARD_CAP = 16 * 1024 * 1024;

const FILE_HEADER = 24;
const RECORD_HEADER = 16;

/** Explain an unrecognised 4-byte file start (as read big-endian). */
export function describeMagic(m: number): string {
  const hex = m.toString(16).padStart(8, '0');
  if (m === 0xa1b2cd34 || m === 0x34cdb2a1) return `magic ${hex} is Kuznetsov's modified pcap, which is not supported`;
  if (m >>> 16 === 0x1f8b) return `magic ${hex} is a gzip stream: decompress the capture first`;
  return `magic ${hex} is neither pcap (a1b2c3d4, a1b23c4d) nor pcapng (0a0d0d0a)`;
}

export class PcapDecoder extends Framer {
  /** The decoded file header, once its 24 bytes have arrived. */
  header: PcapFileHeader | undefined;
  /** The file's single interface, once the header has arrived. */
  readonly interfaces: CaptureInterface[] = [];
  /** Packets delivered so far. */
  frames = 0;
  private le = true;
  private nano = false;
  private snaplen = 0;
  private limit = PCAP_RECORD_CAP;
  private linkType = 0;
  private readonly strict: boolean;
  private readonly handlers: CaptureHandlers;
  private readonly slot = new PacketSlot();

  constructor(options: DecoderOptions = {}) {
    super();
    this.strict = options.strictSnaplen ?? true;
    this.handlers = options;
  }

  protected headerSize(): number {
    return this.header === undefined ? FILE_HEADER : RECORD_HEADER;
  }

  protected unitLength(buf: Uint8Array, view: DataView, at: number): number {
    if (this.header === undefined) {
      const bad = this.magic(view.getUint32(at, false));
      if (bad !== undefined) throw bad;
      return FILE_HEADER;
    }
    const caplen = view.getUint32(at + 8, this.le);
    if (this.strict && this.snaplen !== 0 && caplen > this.snaplen) {
      throw new CaptureError(
        CaptureErrorCode.SNAPLEN_EXCEEDED,
        `pcap: record captured length ${caplen} exceeds the file's snapshot length ${this.snaplen}`,
        this.offset,
        this.frames + 1,
      );
    }
    if (caplen > this.limit) {
      throw new CaptureError(
        CaptureErrorCode.RECORD_TOO_LARGE,
        `pcap: record captured length ${caplen} exceeds the ${this.limit}-byte limit`,
        this.offset,
        this.frames + 1,
      );
    }
    return RECORD_HEADER + caplen;
  }

  protected unit(buf: Uint8Array, view: DataView, at: number, length: number): void {
    if (this.header === undefined) {
      this.fileHeader(view, at);
      return;
    }
    const le = this.le;
    let sec = view.getUint32(at, le);
    const frac = view.getUint32(at + 4, le);
    let nsec = this.nano ? frac : frac * 1000;
    if (nsec >= 1e9) {
      // An out-of-range fraction: carry it into the seconds so 0 <= tsNsec < 1e9 holds.
      const carry = Math.floor(nsec / 1e9);
      sec += carry;
      nsec -= carry * 1e9;
    }
    const frame = ++this.frames;
    const onPacket = this.handlers.onPacket;
    if (onPacket !== undefined) {
      onPacket(this.slot.set(buf, at + RECORD_HEADER, length - RECORD_HEADER, frame, sec, nsec, view.getUint32(at + 12, le), this.linkType, 0, this.offset));
    }
    const onRecord = this.handlers.onRecord;
    if (onRecord === undefined) return;
    const record: CaptureRecord = {
      frame,
      timestamp: sec + nsec / 1e9,
      tsSec: sec,
      tsNsec: nsec,
      capturedLength: length - RECORD_HEADER,
      originalLength: view.getUint32(at + 12, le),
      linkType: this.linkType,
      interfaceId: 0,
      data: buf.subarray(at + RECORD_HEADER, at + length),
      fileOffset: this.offset,
    };
    onRecord(record);
  }

  protected truncated(have: Uint8Array, need: number | undefined): CaptureError {
    if (this.header === undefined) {
      if (have.length >= 4) {
        const bad = this.magic(new DataView(have.buffer, have.byteOffset, 4).getUint32(0, false));
        if (bad !== undefined) return bad;
      }
      const what = have.length === 0 && this.offset === 0 ? 'empty file' : `file ends ${have.length} bytes into the ${FILE_HEADER}-byte file header`;
      return new CaptureError(CaptureErrorCode.TRUNCATED_HEADER, `pcap: truncated file header: ${what}`, this.offset);
    }
    const detail =
      need === undefined
        ? `file ends ${have.length} bytes into a ${RECORD_HEADER}-byte record header`
        : `record needs ${need - RECORD_HEADER} bytes of packet data but the file ends after ${have.length - RECORD_HEADER}`;
    return new CaptureError(CaptureErrorCode.TRUNCATED_RECORD, `pcap: truncated record: ${detail}`, this.offset, this.frames + 1);
  }

  /** Learn byte order and resolution from the magic (read big-endian); an error if it is not pcap's. */
  private magic(m: number): CaptureError | undefined {
    if (m === PCAP_MAGIC_MICRO || m === PCAP_MAGIC_NANO) this.le = false;
    else if (m === 0xd4c3b2a1 || m === 0x4d3cb2a1) this.le = true;
    else return new CaptureError(CaptureErrorCode.BAD_MAGIC, `pcap: ${describeMagic(m)}`, this.offset);
    this.nano = m === PCAP_MAGIC_NANO || m === 0x4d3cb2a1;
    return undefined;
  }

  private fileHeader(view: DataView, at: number): void {
    const le = this.le;
    const versionMajor = view.getUint16(at + 4, le);
    const versionMinor = view.getUint16(at + 6, le);
    // libpcap reads major version 2 only (1.x is the archaic pre-1990s format).
    if (versionMajor !== 2) {
      throw new CaptureError(
        CaptureErrorCode.UNSUPPORTED_VERSION,
        `pcap: version ${versionMajor}.${versionMinor} is not supported (only 2.x)`,
        this.offset,
      );
    }
    const field = view.getUint32(at + 20, le);
    // LinkType field: low 16 bits link type; bit 26 (P) says bits 28-31 hold the FCS length in
    // 16-bit words (draft-ietf-opsawg-pcap section 4, libpcap LT_FCS_LENGTH_PRESENT).
    const fcsPresent = (field & 0x04000000) !== 0;
    const header: PcapFileHeader = {
      bigEndian: !le,
      nanosecond: this.nano,
      versionMajor,
      versionMinor,
      thiszone: view.getInt32(at + 8, le),
      sigfigs: view.getUint32(at + 12, le),
      snaplen: view.getUint32(at + 16, le),
      linkType: field & 0xffff,
      linkTypeField: field,
      fcsPresent,
      fcsLength: fcsPresent ? (field >>> 28) * 2 : 0,
    };
    this.header = header;
    this.snaplen = header.snaplen;
    this.linkType = header.linkType;
    this.limit = Math.max(PCAP_RECORD_CAP, Math.min(header.snaplen, PCAP_RECORD_HARD_CAP));
    const iface: CaptureInterface = {
      id: 0,
      section: 0,
      localId: 0,
      linkType: header.linkType,
      snaplen: header.snaplen,
      tsResolution: { base: 10, exponent: this.nano ? 9 : 6 },
      tsOffset: 0,
      fileOffset: this.offset,
    };
    this.interfaces.push(iface);
    this.handlers.onPcapHeader?.(header);
    this.handlers.onInterface?.(iface);
  }
}

/** A packet to write; a CaptureRecord is one. */
export interface WritablePacket {
  readonly tsSec: number;
  readonly tsNsec: number;
  readonly data: Uint8Array;
  /** Length on the wire; defaults to data.length. */
  readonly originalLength?: number;
  /** pcapng: interface id within the section (default 0). Ignored by pcap. */
  readonly interfaceId?: number;
  /** pcapng: opt_comment values. Ignored by pcap. */
  readonly comments?: readonly string[];
}

export interface PcapWriterOptions {
  readonly linkType: number;
  /** Default 262144 (what tcpdump and Wireshark write). */
  readonly snaplen?: number;
  /** Magic a1b23c4d and nanosecond fractions (default false: microseconds, fractions truncated). */
  readonly nanosecond?: boolean;
  /** Write big-endian (default little-endian). */
  readonly bigEndian?: boolean;
}

function misuse(message: string): CaptureError {
  return new CaptureError(CaptureErrorCode.MISUSE, message, -1);
}

/** Check the fields every writer needs; returns the original length to store. */
export function checkWritable(p: WritablePacket, snaplen: number, maxSec: number): number {
  if (!Number.isInteger(p.tsSec) || p.tsSec < 0 || p.tsSec > maxSec) {
    throw misuse(`capture writer: timestamp seconds ${p.tsSec} not an integer in 0..${maxSec}`);
  }
  if (!Number.isInteger(p.tsNsec) || p.tsNsec < 0 || p.tsNsec >= 1e9) {
    throw misuse(`capture writer: timestamp nanoseconds ${p.tsNsec} not an integer in 0..999999999`);
  }
  if (snaplen !== 0 && p.data.length > snaplen) {
    throw misuse(`capture writer: packet of ${p.data.length} bytes exceeds the snapshot length ${snaplen}`);
  }
  const orig = p.originalLength ?? p.data.length;
  if (!Number.isInteger(orig) || orig < p.data.length || orig > 0xffffffff) {
    throw misuse(`capture writer: original length ${orig} must be an integer from ${p.data.length} to 2^32-1`);
  }
  return orig;
}

/** Produces a pcap file as Uint8Array chunks: header() once, then packet() per packet. */
export class PcapWriter {
  readonly linkType: number;
  readonly snaplen: number;
  readonly nanosecond: boolean;
  readonly bigEndian: boolean;

  constructor(options: PcapWriterOptions) {
    const snaplen = options.snaplen ?? 262144;
    if (!Number.isInteger(options.linkType) || options.linkType < 0 || options.linkType > 0xffff) {
      throw misuse(`pcap writer: link type ${options.linkType} is not a 16-bit number`);
    }
    if (!Number.isInteger(snaplen) || snaplen < 0 || snaplen > 0xffffffff) {
      throw misuse(`pcap writer: snaplen ${snaplen} is not a 32-bit number`);
    }
    this.linkType = options.linkType;
    this.snaplen = snaplen;
    this.nanosecond = options.nanosecond ?? false;
    this.bigEndian = options.bigEndian ?? false;
  }

  header(): Uint8Array {
    const out = new Uint8Array(FILE_HEADER);
    const v = new DataView(out.buffer);
    const le = !this.bigEndian;
    v.setUint32(0, this.nanosecond ? PCAP_MAGIC_NANO : PCAP_MAGIC_MICRO, le);
    v.setUint16(4, 2, le);
    v.setUint16(6, 4, le);
    v.setUint32(16, this.snaplen, le);
    v.setUint32(20, this.linkType, le);
    return out;
  }

  packet(p: WritablePacket): Uint8Array {
    const orig = checkWritable(p, this.snaplen, 0xffffffff);
    const out = new Uint8Array(RECORD_HEADER + p.data.length);
    const v = new DataView(out.buffer);
    const le = !this.bigEndian;
    v.setUint32(0, p.tsSec, le);
    v.setUint32(4, this.nanosecond ? p.tsNsec : Math.floor(p.tsNsec / 1000), le);
    v.setUint32(8, p.data.length, le);
    v.setUint32(12, orig, le);
    out.set(p.data, RECORD_HEADER);
    return out;
  }
}
