/**
 * Node adapter for the capture layer: stream a capture file from disk through the push decoder,
 * and write capture chunks to a file. The only file under src/capture that imports node: modules.
 *
 * Invariant: reading holds at most one read chunk (highWaterMark, 1 MiB by default) plus one
 * straddling record at a time, so a multi-gigabyte file is read in constant memory — unless the
 * caller keeps the records (their `data` views pin their chunks).
 */
import { closeSync, createReadStream, createWriteStream, openSync, type WriteStream, writeSync } from 'node:fs';
import { once } from 'node:events';
import { CaptureDecoder } from './decoder.js';
import type { CaptureFormat } from './decoder.js';
import { CaptureError, CaptureErrorCode } from './errors.js';
import { PcapWriter, type PcapWriterOptions, type WritablePacket } from './pcap.js';
import { PcapngWriter, type PcapngInterfaceOptions, type PcapngWriterOptions } from './pcapng.js';
import type { CaptureInterface, CaptureRecord, CaptureSection, DecoderOptions, PcapFileHeader } from './types.js';

export const DEFAULT_READ_CHUNK = 1024 * 1024;

export interface ReadCaptureFileOptions extends DecoderOptions {
  /** Read chunk size in bytes (default 1 MiB). */
  readonly highWaterMark?: number;
  readonly signal?: AbortSignal;
}

export interface CaptureFileSummary {
  readonly format: CaptureFormat | undefined;
  readonly frames: number;
  readonly bytes: number;
  readonly interfaces: readonly CaptureInterface[];
  readonly sections: readonly CaptureSection[];
  readonly pcapHeader: PcapFileHeader | undefined;
}

function summarize(d: CaptureDecoder): CaptureFileSummary {
  return {
    format: d.format,
    frames: d.frames,
    bytes: d.bytesConsumed,
    interfaces: d.interfaces,
    sections: d.sections,
    pcapHeader: d.pcapHeader,
  };
}

/**
 * Stream a capture file through the handlers in `options` (onRecord etc.). Resolves with a summary
 * at end of file; rejects with a CaptureError after delivering every record before the damage, or
 * with the fs error if the file cannot be read.
 */
export async function readCaptureFile(path: string, options: ReadCaptureFileOptions = {}): Promise<CaptureFileSummary> {
  const decoder = new CaptureDecoder(options);
  const stream = createReadStream(path, {
    highWaterMark: options.highWaterMark ?? DEFAULT_READ_CHUNK,
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  });
  try {
    for await (const chunk of stream as AsyncIterable<Uint8Array>) decoder.push(chunk);
  } finally {
    stream.destroy();
  }
  decoder.end();
  return summarize(decoder);
}

/**
 * Stream a capture file as batches of records, one batch per read chunk (no per-record promise).
 * On damage, the records before it are yielded first, then the CaptureError is thrown. The return
 * value (when iterated to the end by hand) is the file summary.
 */
export async function* readCaptureBatches(
  path: string,
  options: Omit<ReadCaptureFileOptions, 'onRecord'> = {},
): AsyncGenerator<CaptureRecord[], CaptureFileSummary, undefined> {
  let batch: CaptureRecord[] = [];
  const decoder = new CaptureDecoder({ ...options, onRecord: (r) => batch.push(r) });
  const stream = createReadStream(path, {
    highWaterMark: options.highWaterMark ?? DEFAULT_READ_CHUNK,
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  });
  let failure: unknown;
  try {
    for await (const chunk of stream as AsyncIterable<Uint8Array>) {
      try {
        decoder.push(chunk);
      } catch (e) {
        failure = e;
      }
      if (batch.length > 0) {
        const out = batch;
        batch = [];
        yield out;
      }
      if (failure !== undefined) throw failure;
    }
  } finally {
    stream.destroy();
  }
  decoder.end();
  return summarize(decoder);
}

export type CaptureFileWriterOptions =
  | ({ readonly format: 'pcap' } & PcapWriterOptions)
  | ({ readonly format: 'pcapng'; readonly interfaces: readonly PcapngInterfaceOptions[] } & PcapngWriterOptions);

/**
 * Writes a pcap or pcapng file. write() returns false when the file stream wants the caller to
 * wait: then `await writer.drain()`. close() flushes and resolves when the file is complete.
 */
export class CaptureFileWriter {
  private readonly stream: WriteStream;
  private readonly encode: (p: WritablePacket) => Uint8Array;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private closed = false;
  private failure: Error | undefined;

  /** Batches smaller writes into ~1 MiB stream writes. */
  static readonly FLUSH_BYTES = 1024 * 1024;

  constructor(path: string, options: CaptureFileWriterOptions) {
    let first: Uint8Array[];
    if (options.format === 'pcap') {
      const w = new PcapWriter(options);
      first = [w.header()];
      this.encode = (p) => w.packet(p);
    } else {
      const w = new PcapngWriter(options);
      first = [w.sectionHeader(), ...options.interfaces.map((i) => w.addInterface(i))];
      this.encode = (p) => w.packet(p);
    }
    this.stream = createWriteStream(path);
    this.stream.on('error', (e) => {
      this.failure = e;
    });
    for (const c of first) this.queue(c);
  }

  /** Queue a packet; false means "await drain() before writing more". */
  write(packet: WritablePacket): boolean {
    if (this.failure !== undefined) throw this.failure;
    if (this.closed) throw new CaptureError(CaptureErrorCode.MISUSE, 'capture file writer: write() after close()', -1);
    this.queue(this.encode(packet));
    if (this.pendingBytes >= CaptureFileWriter.FLUSH_BYTES) return this.flush();
    return true;
  }

  /** Resolves when the stream has room again. */
  async drain(): Promise<void> {
    if (this.stream.writableNeedDrain) await once(this.stream, 'drain');
    if (this.failure !== undefined) throw this.failure;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.flush();
    this.stream.end();
    await once(this.stream, 'finish');
    if (this.failure !== undefined) throw this.failure;
  }

  private queue(chunk: Uint8Array): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
  }

  private flush(): boolean {
    if (this.pending.length === 0) return !this.stream.writableNeedDrain;
    const all = new Uint8Array(this.pendingBytes);
    let at = 0;
    for (const c of this.pending) {
      all.set(c, at);
      at += c.length;
    }
    this.pending = [];
    this.pendingBytes = 0;
    return this.stream.write(all);
  }
}

/** Write already-encoded chunks (from PcapWriter/PcapngWriter) to a file, honouring backpressure. */
export async function writeChunksToFile(path: string, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<void> {
  const stream = createWriteStream(path);
  const failed = new Promise<never>((_, reject) => stream.once('error', reject));
  failed.catch(() => undefined);
  for await (const c of chunks) {
    if (!stream.write(c)) await Promise.race([once(stream, 'drain'), failed]);
  }
  stream.end();
  await Promise.race([once(stream, 'finish'), failed]);
}

/**
 * A synchronous sink of bytes into a file, for writers that hand over encoded chunks as they go
 * (a PcapTap's `write`): chunks are copied, gathered in memory and written in pieces of about
 * `flushBytes`; close() writes the rest and closes the file.
 */
export class BufferedFileSink {
  private readonly fd: number;
  private parts: Uint8Array[] = [];
  private size = 0;

  constructor(
    readonly path: string,
    private readonly flushBytes = 1 << 20,
  ) {
    this.fd = openSync(path, 'w');
  }

  readonly write = (chunk: Uint8Array): void => {
    this.parts.push(chunk.slice());
    this.size += chunk.length;
    if (this.size >= this.flushBytes) this.flush();
  };

  flush(): void {
    for (const p of this.parts) writeSync(this.fd, p);
    this.parts = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
