/**
 * pcapng files (draft-ietf-opsawg-pcapng): a streaming push decoder and a writer.
 *
 * Every block is Block Type, Block Total Length, body, Block Total Length again. A file is one or
 * more sections; each starts with a Section Header Block whose byte-order magic 1a2b3c4d fixes the
 * byte order of that section and whose arrival forgets the previous section's interfaces. Read:
 * SHB, IDB (if_name, if_description, if_tsresol in both forms, if_tsoffset, if_filter, if_os,
 * if_hardware, comments), EPB, SPB, obsolete PB, NRB, ISB; every other block type is skipped.
 *
 * Invariants: a block's length is checked (>= 12 and the type's minimum, a multiple of 4, at most
 * PCAPNG_BLOCK_CAP) before any byte of it is buffered; the trailing length must equal the leading
 * one; packet data and options never reach outside their block; interface ids are file-wide in
 * the records (CaptureRecord.interfaceId indexes `interfaces`), section-local in the file.
 */
import { CaptureError, CaptureErrorCode } from './errors.js';
import { Framer } from './framer.js';
import { PacketSlot } from './packet-ref.js';
import { checkWritable, describeMagic, type WritablePacket } from './pcap.js';
import { makeTickConverter, nanosToTicks, resolutionFromByte, type TickConverter } from './timestamp.js';
import type {
  CaptureHandlers,
  CaptureInterface,
  CaptureRecord,
  CaptureSection,
  DecoderOptions,
  ExactTime,
  InterfaceStatistics,
  NameResolutionBlock,
  NameResolutionEntry,
  TimestampResolution,
} from './types.js';

/** Largest block accepted: 16 MiB (Wireshark's own limit for pcapng blocks is the same order). */
export const PCAPNG_BLOCK_CAP = 16 * 1024 * 1024;

export const BlockType = {
  SHB: 0x0a0d0d0a,
  IDB: 0x00000001,
  PB: 0x00000002,
  SPB: 0x00000003,
  NRB: 0x00000004,
  ISB: 0x00000005,
  EPB: 0x00000006,
} as const;

const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_ENDOFOPT = 0;
const OPT_COMMENT = 1;

/** Minimum total length per block type: 12 bytes of framing plus the fixed fields. */
const MIN_LENGTH: Record<number, number> = {
  [BlockType.SHB]: 28,
  [BlockType.IDB]: 20,
  [BlockType.PB]: 32,
  [BlockType.SPB]: 16,
  [BlockType.NRB]: 12,
  [BlockType.ISB]: 24,
  [BlockType.EPB]: 32,
};

const BLOCK_NAME: Record<number, string> = {
  [BlockType.SHB]: 'Section Header Block',
  [BlockType.IDB]: 'Interface Description Block',
  [BlockType.PB]: 'Packet Block',
  [BlockType.SPB]: 'Simple Packet Block',
  [BlockType.NRB]: 'Name Resolution Block',
  [BlockType.ISB]: 'Interface Statistics Block',
  [BlockType.EPB]: 'Enhanced Packet Block',
};

function blockName(type: number): string {
  return BLOCK_NAME[type] ?? `block of type 0x${type.toString(16).padStart(8, '0')}`;
}

function isPacketBlock(type: number): boolean {
  return type === BlockType.EPB || type === BlockType.SPB || type === BlockType.PB;
}

const utf8 = new TextDecoder('utf-8');

/** Option strings are UTF-8; some writers add a terminating NUL, which is not part of the value. */
function optString(buf: Uint8Array, at: number, len: number): string {
  let end = at + len;
  while (end > at && buf[end - 1] === 0) end--;
  return utf8.decode(buf.subarray(at, end));
}

/** What the decoder keeps per interface of the current section. */
interface LocalInterface {
  readonly id: number;
  readonly linkType: number;
  readonly snaplen: number;
  readonly conv: TickConverter;
  readonly tsOffset: number;
}

export class PcapngDecoder extends Framer {
  readonly sections: CaptureSection[] = [];
  /** File-wide interface list: every IDB of every section, in file order. */
  readonly interfaces: CaptureInterface[] = [];
  /** Packets delivered so far. */
  frames = 0;
  private le = true;
  private local: LocalInterface[] = [];
  private readonly time = { sec: 0, nsec: 0 };
  private readonly strict: boolean;
  private readonly handlers: CaptureHandlers;
  private readonly slot = new PacketSlot();

  constructor(options: DecoderOptions = {}) {
    super();
    this.strict = options.strictSnaplen ?? true;
    this.handlers = options;
  }

  protected headerSize(): number {
    return 12;
  }

  protected unitLength(buf: Uint8Array, view: DataView, at: number): number {
    let le = this.le;
    let type: number;
    if (buf[at] === 0x0a && buf[at + 1] === 0x0d && buf[at + 2] === 0x0d && buf[at + 3] === 0x0a) {
      type = BlockType.SHB;
      const order = this.shbByteOrder(view, at);
      if (order === undefined) throw this.badByteOrder(view, at);
      le = order;
    } else {
      if (this.sections.length === 0) {
        throw new CaptureError(CaptureErrorCode.BAD_MAGIC, `pcapng: ${describeMagic(view.getUint32(at, false))}`, this.offset);
      }
      type = view.getUint32(at, le);
    }
    const len = view.getUint32(at + 4, le);
    const min = MIN_LENGTH[type] ?? 12;
    if (len < min || len % 4 !== 0) {
      const why = len < min ? `is less than the ${min}-byte minimum` : 'is not a multiple of 4';
      throw new CaptureError(
        CaptureErrorCode.BAD_BLOCK_LENGTH,
        `pcapng: ${blockName(type)} length ${len} ${why}`,
        this.offset,
        isPacketBlock(type) ? this.frames + 1 : undefined,
      );
    }
    if (len > PCAPNG_BLOCK_CAP) {
      throw new CaptureError(
        CaptureErrorCode.BLOCK_TOO_LARGE,
        `pcapng: ${blockName(type)} length ${len} exceeds the ${PCAPNG_BLOCK_CAP}-byte limit`,
        this.offset,
        isPacketBlock(type) ? this.frames + 1 : undefined,
      );
    }
    return len;
  }

  protected unit(buf: Uint8Array, view: DataView, at: number, len: number): void {
    const isShb = buf[at] === 0x0a && buf[at + 1] === 0x0d && buf[at + 2] === 0x0d && buf[at + 3] === 0x0a;
    const le = isShb ? this.shbByteOrder(view, at) === true : this.le;
    const type = isShb ? BlockType.SHB : view.getUint32(at, le);
    const trailer = view.getUint32(at + len - 4, le);
    if (trailer !== len) {
      throw new CaptureError(
        CaptureErrorCode.BLOCK_LENGTH_MISMATCH,
        `pcapng: ${blockName(type)} trailing length ${trailer} differs from leading length ${len}`,
        this.offset,
        isPacketBlock(type) ? this.frames + 1 : undefined,
      );
    }
    switch (type) {
      case BlockType.EPB:
        this.packet(buf, view, at, len, type, view.getUint32(at + 8, le), view.getUint32(at + 20, le), view.getUint32(at + 24, le));
        return;
      case BlockType.SHB:
        this.sectionHeader(buf, view, at, len, le);
        return;
      case BlockType.IDB:
        this.interfaceDescription(buf, view, at, len);
        return;
      case BlockType.SPB:
        this.simplePacket(buf, view, at, len);
        return;
      case BlockType.PB:
        // PB: 16-bit interface id and a 16-bit drops count where EPB has its 32-bit interface id.
        this.packet(buf, view, at, len, type, view.getUint16(at + 8, le), view.getUint32(at + 20, le), view.getUint32(at + 24, le));
        return;
      case BlockType.NRB:
        this.nameResolution(buf, view, at, len);
        return;
      case BlockType.ISB:
        this.statistics(buf, view, at, len);
        return;
      default:
        // Unknown, custom (0x00000BAD, 0x40000BAD), DSB, journal blocks: skipped whole.
        return;
    }
  }

  protected truncated(have: Uint8Array, need: number | undefined): CaptureError {
    const view = new DataView(have.buffer, have.byteOffset, have.byteLength);
    const isShb = have.length >= 4 && have[0] === 0x0a && have[1] === 0x0d && have[2] === 0x0d && have[3] === 0x0a;
    if (this.sections.length === 0) {
      if (have.length >= 4 && !isShb) {
        return new CaptureError(CaptureErrorCode.BAD_MAGIC, `pcapng: ${describeMagic(view.getUint32(0, false))}`, this.offset);
      }
      const what = have.length === 0 ? 'empty file' : `the file ends after ${have.length} bytes of the Section Header Block`;
      return new CaptureError(CaptureErrorCode.TRUNCATED_HEADER, `pcapng: truncated file header: ${what}`, this.offset);
    }
    const type = isShb ? BlockType.SHB : have.length >= 4 ? view.getUint32(0, this.le) : -1;
    const name = type === -1 ? 'block header' : blockName(type);
    return new CaptureError(
      CaptureErrorCode.TRUNCATED_RECORD,
      `pcapng: truncated ${name}: the file ends after ${have.length} of its ${need ?? 12} bytes`,
      this.offset,
      isPacketBlock(type) ? this.frames + 1 : undefined,
    );
  }

  /** true = little-endian, false = big-endian, undefined = no byte-order magic at at+8. */
  private shbByteOrder(view: DataView, at: number): boolean | undefined {
    const bom = view.getUint32(at + 8, true);
    if (bom === BYTE_ORDER_MAGIC) return true;
    if (bom === 0x4d3c2b1a) return false;
    return undefined;
  }

  private badByteOrder(view: DataView, at: number): CaptureError {
    const bom = view.getUint32(at + 8, false).toString(16).padStart(8, '0');
    const code = this.sections.length === 0 ? CaptureErrorCode.BAD_MAGIC : CaptureErrorCode.BAD_BLOCK;
    return new CaptureError(code, `pcapng: Section Header Block byte-order magic ${bom} is not 1a2b3c4d in either byte order`, this.offset);
  }

  private badBlock(message: string, type: number): CaptureError {
    return new CaptureError(
      CaptureErrorCode.BAD_BLOCK,
      `pcapng: ${blockName(type)}: ${message}`,
      this.offset,
      isPacketBlock(type) ? this.frames + 1 : undefined,
    );
  }

  /** Visit the options in view[start, end); stops at opt_endofopt or when the region runs out. */
  private options(view: DataView, start: number, end: number, type: number, visit: (code: number, at: number, len: number) => void): void {
    const le = this.le;
    let p = start;
    while (end - p >= 4) {
      const code = view.getUint16(p, le);
      const olen = view.getUint16(p + 2, le);
      if (code === OPT_ENDOFOPT) return;
      const v = p + 4;
      if (olen > end - v) throw this.badBlock(`option ${code} of length ${olen} overruns the block`, type);
      visit(code, v, olen);
      p = v + ((olen + 3) & ~3);
    }
  }

  private u64(view: DataView, at: number): number {
    return Number(view.getBigUint64(at, this.le));
  }

  private sectionHeader(buf: Uint8Array, view: DataView, at: number, len: number, le: boolean): void {
    this.le = le;
    const versionMajor = view.getUint16(at + 12, le);
    const versionMinor = view.getUint16(at + 14, le);
    if (versionMajor !== 1) {
      throw new CaptureError(
        CaptureErrorCode.UNSUPPORTED_VERSION,
        `pcapng: section version ${versionMajor}.${versionMinor} is not supported (only 1.x)`,
        this.offset,
      );
    }
    const sectionLength = view.getBigInt64(at + 16, le);
    let hardware: string | undefined;
    let os: string | undefined;
    let userAppl: string | undefined;
    const comments: string[] = [];
    this.options(view, at + 24, at + len - 4, BlockType.SHB, (code, v, olen) => {
      if (code === OPT_COMMENT) comments.push(optString(buf, v, olen));
      else if (code === 2) hardware ??= optString(buf, v, olen);
      else if (code === 3) os ??= optString(buf, v, olen);
      else if (code === 4) userAppl ??= optString(buf, v, olen);
    });
    const section: CaptureSection = {
      index: this.sections.length,
      bigEndian: !le,
      versionMajor,
      versionMinor,
      sectionLength: sectionLength < 0n ? undefined : Number(sectionLength),
      ...(hardware !== undefined ? { hardware } : {}),
      ...(os !== undefined ? { os } : {}),
      ...(userAppl !== undefined ? { userAppl } : {}),
      ...(comments.length > 0 ? { comments } : {}),
      fileOffset: this.offset,
    };
    this.sections.push(section);
    // A new section forgets the previous section's interfaces (interface ids restart at 0).
    this.local = [];
    this.handlers.onSection?.(section);
  }

  private interfaceDescription(buf: Uint8Array, view: DataView, at: number, len: number): void {
    const le = this.le;
    const linkType = view.getUint16(at + 8, le);
    const snaplen = view.getUint32(at + 12, le);
    let tsResolution: TimestampResolution = { base: 10, exponent: 6 };
    let tsResSeen = false;
    let tsOffset = 0;
    let name: string | undefined;
    let description: string | undefined;
    let filter: string | undefined;
    let os: string | undefined;
    let hardware: string | undefined;
    const comments: string[] = [];
    this.options(view, at + 16, at + len - 4, BlockType.IDB, (code, v, olen) => {
      switch (code) {
        case OPT_COMMENT:
          comments.push(optString(buf, v, olen));
          break;
        case 2:
          name ??= optString(buf, v, olen);
          break;
        case 3:
          description ??= optString(buf, v, olen);
          break;
        case 9: // if_tsresol: one byte
          if (olen < 1) throw this.badBlock('if_tsresol option is empty', BlockType.IDB);
          if (!tsResSeen) tsResolution = resolutionFromByte(buf[v] ?? 6);
          tsResSeen = true;
          break;
        case 11: // if_filter: one byte of filter type (0 = libpcap filter string), then the filter
          if (olen >= 1 && buf[v] === 0) filter ??= optString(buf, v + 1, olen - 1);
          break;
        case 12:
          os ??= optString(buf, v, olen);
          break;
        case 14: // if_tsoffset: signed 64-bit seconds
          if (olen < 8) throw this.badBlock(`if_tsoffset option has ${olen} bytes, not 8`, BlockType.IDB);
          tsOffset = Number(view.getBigInt64(v, le));
          break;
        case 15:
          hardware ??= optString(buf, v, olen);
          break;
        default:
          break;
      }
    });
    const id = this.interfaces.length;
    const iface: CaptureInterface = {
      id,
      section: this.sections.length - 1,
      localId: this.local.length,
      linkType,
      snaplen,
      tsResolution,
      tsOffset,
      ...(name !== undefined ? { name } : {}),
      ...(description !== undefined ? { description } : {}),
      ...(filter !== undefined ? { filter } : {}),
      ...(os !== undefined ? { os } : {}),
      ...(hardware !== undefined ? { hardware } : {}),
      ...(comments.length > 0 ? { comments } : {}),
      fileOffset: this.offset,
    };
    this.interfaces.push(iface);
    this.local.push({ id, linkType, snaplen, conv: makeTickConverter(tsResolution), tsOffset });
    this.handlers.onInterface?.(iface);
  }

  private lookup(localId: number, type: number): LocalInterface {
    const iface = this.local[localId];
    if (iface !== undefined) return iface;
    const frame = isPacketBlock(type) ? this.frames + 1 : undefined;
    if (this.local.length === 0) {
      throw new CaptureError(
        CaptureErrorCode.NO_INTERFACE,
        `pcapng: ${blockName(type)} before any Interface Description Block in its section`,
        this.offset,
        frame,
      );
    }
    throw new CaptureError(
      CaptureErrorCode.BAD_INTERFACE,
      `pcapng: ${blockName(type)} names interface ${localId} but the section has ${this.local.length}`,
      this.offset,
      frame,
    );
  }

  private snaplenCheck(iface: LocalInterface, caplen: number, type: number): void {
    if (this.strict && iface.snaplen !== 0 && caplen > iface.snaplen) {
      throw new CaptureError(
        CaptureErrorCode.SNAPLEN_EXCEEDED,
        `pcapng: ${blockName(type)} captured length ${caplen} exceeds interface ${iface.id}'s snapshot length ${iface.snaplen}`,
        this.offset,
        this.frames + 1,
      );
    }
  }

  /** EPB and obsolete PB: fixed fields (timestamp at at+12), packet data at at+28, then options. */
  private packet(buf: Uint8Array, view: DataView, at: number, len: number, type: number, localId: number, caplen: number, orig: number): void {
    const le = this.le;
    const iface = this.local[localId] ?? this.lookup(localId, type);
    const space = len - 32;
    if (caplen > space) throw this.badBlock(`captured length ${caplen} exceeds the ${space} bytes the block holds`, type);
    this.snaplenCheck(iface, caplen, type);
    const t = this.time;
    iface.conv.convert(view.getUint32(at + 12, le), view.getUint32(at + 16, le), t);
    const sec = t.sec + iface.tsOffset;
    const nsec = t.nsec;
    const start = at + 28;
    const optStart = start + ((caplen + 3) & ~3);
    const optEnd = at + len - 4;
    const frame = this.frames + 1;
    let comments: string[] | undefined;
    let flags: number | undefined;
    if (optEnd - optStart >= 4) {
      const found: string[] = [];
      this.options(view, optStart, optEnd, type, (code, v, olen) => {
        if (code === OPT_COMMENT) found.push(optString(buf, v, olen));
        else if (code === 2 && olen >= 4) flags = view.getUint32(v, le); // epb_flags / pack_flags
      });
      if (found.length > 0) comments = found;
    }
    this.frames = frame;
    const { onPacket, onRecord } = this.handlers;
    // Without a record object when only onPacket listens (the slot makes one if asked).
    if (onPacket !== undefined) onPacket(this.slot.set(buf, start, caplen, frame, sec, nsec, orig, iface.linkType, iface.id, this.offset).options(comments, flags));
    if (onRecord === undefined) return;
    let record: CaptureRecord = {
      frame,
      timestamp: sec + nsec / 1e9,
      tsSec: sec,
      tsNsec: nsec,
      capturedLength: caplen,
      originalLength: orig,
      linkType: iface.linkType,
      interfaceId: iface.id,
      data: buf.subarray(start, start + caplen),
      fileOffset: this.offset,
    };
    if (comments !== undefined) record = { ...record, comments };
    if (flags !== undefined) record = { ...record, flags };
    onRecord(record);
  }

  private deliver(record: CaptureRecord): void {
    if (this.handlers.onPacket !== undefined) this.handlers.onPacket(this.slot.setRecord(record));
    this.handlers.onRecord?.(record);
  }

  /** SPB: no interface id (interface 0), no timestamp; captured length = min(original, snaplen). */
  private simplePacket(buf: Uint8Array, view: DataView, at: number, len: number): void {
    const iface = this.local[0] ?? this.lookup(0, BlockType.SPB);
    const orig = view.getUint32(at + 8, this.le);
    const caplen = iface.snaplen !== 0 && orig > iface.snaplen ? iface.snaplen : orig;
    const space = len - 16;
    if (caplen > space) {
      throw this.badBlock(`packet of ${caplen} bytes (original length limited by snaplen) exceeds the ${space} bytes the block holds`, BlockType.SPB);
    }
    const frame = ++this.frames;
    const record: CaptureRecord = {
      frame,
      timestamp: 0,
      tsSec: 0,
      tsNsec: 0,
      capturedLength: caplen,
      originalLength: orig,
      linkType: iface.linkType,
      interfaceId: iface.id,
      data: buf.subarray(at + 12, at + 12 + caplen),
      fileOffset: this.offset,
    };
    this.deliver(record);
  }

  private nameResolution(buf: Uint8Array, view: DataView, at: number, len: number): void {
    const le = this.le;
    const end = at + len - 4;
    const entries: NameResolutionEntry[] = [];
    let p = at + 8;
    let ended = false;
    while (end - p >= 4) {
      const recordType = view.getUint16(p, le);
      const rlen = view.getUint16(p + 2, le);
      p += 4;
      if (recordType === 0) {
        ended = true;
        break;
      }
      if (rlen > end - p) throw this.badBlock(`record of type ${recordType} and length ${rlen} overruns the block`, BlockType.NRB);
      entries.push(nameRecord(buf, p, rlen, recordType));
      p += (rlen + 3) & ~3;
    }
    let dnsName: string | undefined;
    const comments: string[] = [];
    if (ended) {
      this.options(view, p, end, BlockType.NRB, (code, v, olen) => {
        if (code === OPT_COMMENT) comments.push(optString(buf, v, olen));
        else if (code === 2) dnsName ??= optString(buf, v, olen);
      });
    }
    const block: NameResolutionBlock = {
      section: this.sections.length - 1,
      entries,
      ...(dnsName !== undefined ? { dnsName } : {}),
      ...(comments.length > 0 ? { comments } : {}),
      fileOffset: this.offset,
    };
    this.handlers.onNameResolution?.(block);
  }

  private statistics(buf: Uint8Array, view: DataView, at: number, len: number): void {
    const le = this.le;
    const iface = this.lookup(view.getUint32(at + 8, le), BlockType.ISB);
    const exact = (hi: number, lo: number): ExactTime => {
      const t = { sec: 0, nsec: 0 };
      iface.conv.convert(hi, lo, t);
      return { sec: t.sec + iface.tsOffset, nsec: t.nsec };
    };
    const time = exact(view.getUint32(at + 12, le), view.getUint32(at + 16, le));
    const out: {
      startTime?: ExactTime;
      endTime?: ExactTime;
      ifRecv?: number;
      ifDrop?: number;
      filterAccept?: number;
      osDrop?: number;
      usrDeliv?: number;
    } = {};
    const comments: string[] = [];
    this.options(view, at + 20, at + len - 4, BlockType.ISB, (code, v, olen) => {
      if (code === OPT_COMMENT) {
        comments.push(optString(buf, v, olen));
        return;
      }
      if (code < 2 || code > 8) return;
      if (olen < 8) throw this.badBlock(`option ${code} has ${olen} bytes, not 8`, BlockType.ISB);
      if (code === 2) out.startTime = exact(view.getUint32(v, le), view.getUint32(v + 4, le));
      else if (code === 3) out.endTime = exact(view.getUint32(v, le), view.getUint32(v + 4, le));
      else if (code === 4) out.ifRecv = this.u64(view, v);
      else if (code === 5) out.ifDrop = this.u64(view, v);
      else if (code === 6) out.filterAccept = this.u64(view, v);
      else if (code === 7) out.osDrop = this.u64(view, v);
      else out.usrDeliv = this.u64(view, v);
    });
    const stats: InterfaceStatistics = {
      interfaceId: iface.id,
      time,
      ...out,
      ...(comments.length > 0 ? { comments } : {}),
      fileOffset: this.offset,
    };
    this.handlers.onStatistics?.(stats);
  }
}

function hex(bytes: Uint8Array, sep: string): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(sep);
}

/** RFC 5952 text form of a 16-byte IPv6 address (longest run of >= 2 zero groups becomes ::). */
export function ipv6Text(a: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((a[i] ?? 0) << 8) | (a[i + 1] ?? 0));
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const part = (from: number, to: number): string => g.slice(from, to).map((x) => x.toString(16)).join(':');
  if (best < 0) return part(0, 8);
  return `${part(0, best)}::${part(best + bestLen, 8)}`;
}

/** One NRB record: an address of the type's size followed by NUL-terminated names. */
function nameRecord(buf: Uint8Array, at: number, len: number, recordType: number): NameResolutionEntry {
  const addrLen = recordType === 1 ? 4 : recordType === 2 ? 16 : recordType === 3 ? 6 : recordType === 4 ? 8 : 0;
  const value = buf.subarray(at, at + len);
  if (addrLen === 0 || len < addrLen) {
    return { recordType, address: value, addressText: hex(value, ''), names: [] };
  }
  const address = value.subarray(0, addrLen);
  const addressText =
    recordType === 1 ? Array.from(address).join('.') : recordType === 2 ? ipv6Text(address) : hex(address, ':');
  const names: string[] = [];
  let s = addrLen;
  while (s < len) {
    let e = s;
    while (e < len && value[e] !== 0) e++;
    if (e > s) names.push(utf8.decode(value.subarray(s, e)));
    s = e + 1;
  }
  return { recordType, address, addressText, names };
}

// ---------------------------------------------------------------------------------------------
// Writer

export interface PcapngWriterOptions {
  /** shb_userappl; default "synack". */
  readonly userAppl?: string;
  readonly os?: string;
  readonly hardware?: string;
  readonly comments?: readonly string[];
  /** Write the section big-endian (default little-endian). */
  readonly bigEndian?: boolean;
}

export interface PcapngInterfaceOptions {
  readonly linkType: number;
  readonly name?: string;
  readonly description?: string;
  /** Default 262144; 0 means no limit. */
  readonly snaplen?: number;
}

const utf8enc = new TextEncoder();

interface Opt {
  readonly code: number;
  readonly value: Uint8Array;
}

function stringOpt(code: number, s: string): Opt {
  const value = utf8enc.encode(s);
  if (value.length > 0xffff) {
    throw new CaptureError(CaptureErrorCode.MISUSE, `pcapng writer: option ${code} is ${value.length} bytes (max 65535)`, -1);
  }
  return { code, value };
}

function optionsLength(opts: readonly Opt[]): number {
  if (opts.length === 0) return 0;
  let n = 4; // opt_endofopt
  for (const o of opts) n += 4 + ((o.value.length + 3) & ~3);
  return n;
}

function writeOptions(out: Uint8Array, v: DataView, at: number, opts: readonly Opt[], le: boolean): number {
  if (opts.length === 0) return at;
  let p = at;
  for (const o of opts) {
    v.setUint16(p, o.code, le);
    v.setUint16(p + 2, o.value.length, le);
    out.set(o.value, p + 4);
    p += 4 + ((o.value.length + 3) & ~3);
  }
  v.setUint32(p, 0, le); // opt_endofopt, length 0
  return p + 4;
}

/**
 * Produces a pcapng file as Uint8Array chunks: sectionHeader() first, then addInterface() per
 * interface (ids 0, 1, 2... in call order), then packet() per packet as Enhanced Packet Blocks with
 * nanosecond timestamps (every interface is written with if_tsresol = 9).
 */
export class PcapngWriter {
  private readonly le: boolean;
  private readonly shbOpts: Opt[];
  private readonly snaplens: number[] = [];
  private started = false;

  constructor(options: PcapngWriterOptions = {}) {
    this.le = !(options.bigEndian ?? false);
    const opts: Opt[] = [];
    for (const c of options.comments ?? []) opts.push(stringOpt(OPT_COMMENT, c));
    if (options.hardware !== undefined) opts.push(stringOpt(2, options.hardware));
    if (options.os !== undefined) opts.push(stringOpt(3, options.os));
    opts.push(stringOpt(4, options.userAppl ?? 'synack'));
    this.shbOpts = opts;
  }

  /** Number of interfaces added so far. */
  get interfaceCount(): number {
    return this.snaplens.length;
  }

  sectionHeader(): Uint8Array {
    if (this.started) throw new CaptureError(CaptureErrorCode.MISUSE, 'pcapng writer: sectionHeader() called twice', -1);
    this.started = true;
    const len = 28 + optionsLength(this.shbOpts);
    const out = new Uint8Array(len);
    const v = new DataView(out.buffer);
    const le = this.le;
    v.setUint32(0, BlockType.SHB, le);
    v.setUint32(4, len, le);
    v.setUint32(8, BYTE_ORDER_MAGIC, le);
    v.setUint16(12, 1, le);
    v.setUint16(14, 0, le);
    v.setBigInt64(16, -1n, le); // section length unknown
    writeOptions(out, v, 24, this.shbOpts, le);
    v.setUint32(len - 4, len, le);
    return out;
  }

  /** An Interface Description Block; the new interface's id is the previous interfaceCount. */
  addInterface(options: PcapngInterfaceOptions): Uint8Array {
    if (!this.started) throw new CaptureError(CaptureErrorCode.MISUSE, 'pcapng writer: addInterface() before sectionHeader()', -1);
    const snaplen = options.snaplen ?? 262144;
    if (!Number.isInteger(options.linkType) || options.linkType < 0 || options.linkType > 0xffff) {
      throw new CaptureError(CaptureErrorCode.MISUSE, `pcapng writer: link type ${options.linkType} is not a 16-bit number`, -1);
    }
    if (!Number.isInteger(snaplen) || snaplen < 0 || snaplen > 0xffffffff) {
      throw new CaptureError(CaptureErrorCode.MISUSE, `pcapng writer: snaplen ${snaplen} is not a 32-bit number`, -1);
    }
    const opts: Opt[] = [];
    if (options.name !== undefined) opts.push(stringOpt(2, options.name));
    if (options.description !== undefined) opts.push(stringOpt(3, options.description));
    opts.push({ code: 9, value: Uint8Array.of(9) }); // if_tsresol: 10^-9 s
    const len = 20 + optionsLength(opts);
    const out = new Uint8Array(len);
    const v = new DataView(out.buffer);
    const le = this.le;
    v.setUint32(0, BlockType.IDB, le);
    v.setUint32(4, len, le);
    v.setUint16(8, options.linkType, le);
    v.setUint32(12, snaplen, le);
    writeOptions(out, v, 16, opts, le);
    v.setUint32(len - 4, len, le);
    this.snaplens.push(snaplen);
    return out;
  }

  /** An Enhanced Packet Block on interface p.interfaceId (default 0), with p.comments if given. */
  packet(p: WritablePacket): Uint8Array {
    const ifId = p.interfaceId ?? 0;
    const snaplen = this.snaplens[ifId];
    if (snaplen === undefined) {
      throw new CaptureError(CaptureErrorCode.MISUSE, `pcapng writer: packet on interface ${ifId} but ${this.snaplens.length} were added`, -1);
    }
    // 2^64 ns is about 18446744073 s: the largest second count a 64-bit nanosecond stamp holds.
    const orig = checkWritable(p, snaplen, 18446744072);
    const opts: Opt[] = [];
    for (const c of p.comments ?? []) opts.push(stringOpt(OPT_COMMENT, c));
    const caplen = p.data.length;
    const len = 32 + ((caplen + 3) & ~3) + optionsLength(opts);
    const out = new Uint8Array(len);
    const v = new DataView(out.buffer);
    const le = this.le;
    const { hi, lo } = nanosToTicks(p.tsSec, p.tsNsec);
    v.setUint32(0, BlockType.EPB, le);
    v.setUint32(4, len, le);
    v.setUint32(8, ifId, le);
    v.setUint32(12, hi, le);
    v.setUint32(16, lo, le);
    v.setUint32(20, caplen, le);
    v.setUint32(24, orig, le);
    out.set(p.data, 28);
    writeOptions(out, v, 28 + ((caplen + 3) & ~3), opts, le);
    v.setUint32(len - 4, len, le);
    return out;
  }
}
