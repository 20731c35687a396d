/**
 * Format-sniffing front end: a push decoder that reads either pcap or pcapng, chosen by the first
 * four bytes, and a one-call decodeCapture() for bytes already in memory.
 *
 * Invariant: the same records, in the same order, whatever the chunking of the input; a
 * CaptureError is delivered after every record that precedes the damage, and is sticky.
 */
import { CaptureError, CaptureErrorCode } from './errors.js';
import { PcapDecoder, describeMagic } from './pcap.js';
import { PcapngDecoder } from './pcapng.js';
import type {
  CaptureInterface,
  CaptureRecord,
  CaptureSection,
  DecoderOptions,
  InterfaceStatistics,
  NameResolutionBlock,
  PcapFileHeader,
} from './types.js';

export type CaptureFormat = 'pcap' | 'pcapng';

/** The format announced by a file's first four bytes, or undefined if neither. */
export function detectFormat(first4: Uint8Array): CaptureFormat | undefined {
  if (first4.length < 4) return undefined;
  const m = (((first4[0] ?? 0) << 24) | ((first4[1] ?? 0) << 16) | ((first4[2] ?? 0) << 8) | (first4[3] ?? 0)) >>> 0;
  if (m === 0xa1b2c3d4 || m === 0xd4c3b2a1 || m === 0xa1b23c4d || m === 0x4d3cb2a1) return 'pcap';
  if (m === 0x0a0d0d0a) return 'pcapng';
  return undefined;
}

/**
 * Push decoder for pcap and pcapng. Feed chunks with push(); records are handed to
 * options.onRecord (and metadata to the other handlers) before push() returns; call end() at end
 * of file. Records' `data` are subarrays of the pushed chunks: do not reuse a chunk's memory while
 * you keep its records.
 */
export class CaptureDecoder {
  private inner: PcapDecoder | PcapngDecoder | undefined;
  private readonly head = new Uint8Array(4);
  private headLen = 0;
  private failure: CaptureError | undefined;
  private readonly options: DecoderOptions;

  constructor(options: DecoderOptions = {}) {
    this.options = options;
  }

  get format(): CaptureFormat | undefined {
    return this.inner === undefined ? undefined : this.inner instanceof PcapDecoder ? 'pcap' : 'pcapng';
  }

  /** File-wide interface list (pcap: the one interface its header describes). */
  get interfaces(): readonly CaptureInterface[] {
    return this.inner?.interfaces ?? [];
  }

  /** pcapng sections so far (empty for pcap). */
  get sections(): readonly CaptureSection[] {
    return this.inner instanceof PcapngDecoder ? this.inner.sections : [];
  }

  get pcapHeader(): PcapFileHeader | undefined {
    return this.inner instanceof PcapDecoder ? this.inner.header : undefined;
  }

  /** Packets delivered so far. */
  get frames(): number {
    return this.inner?.frames ?? 0;
  }

  /** Bytes of the file framed into complete records/blocks so far. */
  get bytesConsumed(): number {
    return this.inner?.bytesConsumed ?? 0;
  }

  push(chunk: Uint8Array): void {
    if (this.inner !== undefined) {
      this.inner.push(chunk);
      return;
    }
    if (this.failure !== undefined) throw this.failure;
    const take = Math.min(4 - this.headLen, chunk.length);
    this.head.set(chunk.subarray(0, take), this.headLen);
    this.headLen += take;
    if (this.headLen < 4) return;
    const format = detectFormat(this.head);
    if (format === undefined) {
      const m = new DataView(this.head.buffer).getUint32(0, false);
      this.failure = new CaptureError(CaptureErrorCode.BAD_MAGIC, `capture: ${describeMagic(m)}`, 0);
      throw this.failure;
    }
    const inner = format === 'pcap' ? new PcapDecoder(this.options) : new PcapngDecoder(this.options);
    this.inner = inner;
    inner.push(this.head.slice());
    inner.push(chunk.subarray(take));
  }

  end(): void {
    if (this.inner !== undefined) {
      this.inner.end();
      return;
    }
    if (this.failure !== undefined) throw this.failure;
    const what = this.headLen === 0 ? 'empty file' : `file of ${this.headLen} bytes is too short for any capture format`;
    this.failure = new CaptureError(CaptureErrorCode.TRUNCATED_HEADER, `capture: truncated file header: ${what}`, 0);
    throw this.failure;
  }
}

/** Everything in a capture file, and the error that stopped reading, if any. */
export interface CaptureContents {
  readonly format: CaptureFormat | undefined;
  readonly records: CaptureRecord[];
  readonly interfaces: readonly CaptureInterface[];
  readonly sections: readonly CaptureSection[];
  readonly pcapHeader: PcapFileHeader | undefined;
  readonly names: NameResolutionBlock[];
  readonly statistics: InterfaceStatistics[];
  /** Set when the file is damaged; `records` then holds every record before the damage. */
  readonly error: CaptureError | undefined;
}

/**
 * Decode a whole capture held in memory. Never throws a CaptureError: a damaged file gives the
 * records before the damage and `error`. Records are zero-copy subarrays of `bytes`.
 */
export function decodeCapture(bytes: Uint8Array, options: { readonly strictSnaplen?: boolean } = {}): CaptureContents {
  const records: CaptureRecord[] = [];
  const names: NameResolutionBlock[] = [];
  const statistics: InterfaceStatistics[] = [];
  const decoder = new CaptureDecoder({
    ...options,
    onRecord: (r) => records.push(r),
    onNameResolution: (n) => names.push(n),
    onStatistics: (s) => statistics.push(s),
  });
  let error: CaptureError | undefined;
  try {
    decoder.push(bytes);
    decoder.end();
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    error = e;
  }
  return {
    format: decoder.format,
    records,
    interfaces: decoder.interfaces,
    sections: decoder.sections,
    pcapHeader: decoder.pcapHeader,
    names,
    statistics,
    error,
  };
}
