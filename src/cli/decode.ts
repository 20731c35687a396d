/**
 * `synack decode FILE`: every frame of a pcap/pcapng file, as a summary line (default), the field
 * tree (-V), the hex dump (-x), or JSON Lines (--json). Streams the file in constant memory and
 * respects stdout backpressure. A damaged file prints every frame before the damage, then one
 * error line naming the byte offset, and exits 2.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { CaptureError } from '../capture/errors.js';
import { CaptureDecoder } from '../capture/decoder.js';
import type { CaptureRecord, PacketRef } from '../capture/types.js';
import { dissect, type Dissection } from '../analyze/dissect.js';
import { fieldTree, treeLines } from '../analyze/fieldtree.js';
import { hexdumpLines } from '../analyze/hexdump.js';
import { SummaryWriter, summaryLine, type TimeMode } from '../analyze/summary.js';
import { SummaryKernel } from '../analyze/summary-kernel.js';
import { TextBuffer } from '../analyze/textbuffer.js';
import { EXIT, LineWriter, parseFileCommand, unreadableFile, usageError } from './output.js';
import { parseFrameRanges, type FrameRanges } from './ranges.js';

const USAGE = `usage: synack decode FILE [options]

Decode a pcap or pcapng capture frame by frame.

options:
  -V, --verbose        the field tree of every layer (values in decimal and hex, checksums checked)
  -x, --hex            add a hex dump of every frame (offsets, bytes, ASCII)
      --json           JSON Lines: one object per frame (see docs/decode-json.md)
      --frames LIST    only these frames: 1-3,7,10-
      --port N         only frames whose TCP or UDP source or destination port is N
      --time MODE      rel (seconds since the first frame, default), abs (seconds since the epoch),
                       delta (since the previous frame shown)
  -h, --help           this text`;

export type { TimeMode };

export async function main(argv: string[]): Promise<number> {
  const args = parseFileCommand('decode', USAGE, argv, {
    verbose: { type: 'boolean', short: 'V' },
    hex: { type: 'boolean', short: 'x' },
    json: { type: 'boolean' },
    frames: { type: 'string' },
    port: { type: 'string' },
    time: { type: 'string' },
  });
  if (args === undefined) return EXIT.OK;
  const { file, values } = args;
  const frames: FrameRanges | undefined = values.frames === undefined ? undefined : parseFrameRanges(values.frames);
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError(`--port wants a number 0-65535, got '${values.port}'`);
  }
  const mode = (values.time ?? 'rel') as TimeMode;
  if (!['rel', 'abs', 'delta'].includes(mode)) throw usageError(`--time is rel, abs or delta, got '${values.time}'`);

  const options: DecodeOptions = {
    verbose: values.verbose === true,
    hex: values.hex === true,
    json: values.json === true,
    time: mode,
    ...(frames !== undefined ? { frames } : {}),
    ...(port !== undefined ? { port } : {}),
  };
  return decodeFile(file, options, new LineWriter());
}

/** Read size: the decoder gets the file in chunks of this many bytes. */
const READ_CHUNK = 1 << 20;
/** Summary bytes are written out whenever this many are waiting. */
const FLUSH_BYTES = 1 << 16;

export interface DecodeOptions {
  readonly verbose?: boolean;
  readonly hex?: boolean;
  readonly json?: boolean;
  readonly frames?: FrameRanges;
  readonly port?: number;
  readonly time?: TimeMode;
}

/**
 * Decode `file` into `out` as `synack decode` does (the CLI calls this after parsing flags; the
 * benchmark calls it in-process). Resolves with the exit code; damage and unreadable files are
 * reported on stderr, other errors are thrown.
 */
export async function decodeFile(file: string, options: DecodeOptions, out: LineWriter): Promise<number> {
  const { frames, port } = options;
  const mode = options.time ?? 'rel';
  const verbose = options.verbose === true;
  const hexdump = options.hex === true;
  const json = options.json === true;
  let first: number | undefined;
  let previous: number | undefined;

  // The summary alone (the default) is written as bytes by SummaryWriter: plain TCP segments are
  // formatted straight from the frame, without a dissection object or strings.
  const summaryOnly = !json && !verbose && !hexdump && port === undefined;
  // With WebAssembly, the summary kernel writes those lines: the file is read into its memory and
  // the lines are made there (summary-kernel.ts); frames it does not take go to SummaryWriter.
  const kernel = summaryOnly ? SummaryKernel.create() : undefined;
  const summaries = new SummaryWriter(mode, kernel);
  const text = kernel?.output ?? new TextBuffer(1 << 17);

  // Summaries: packets without record objects (onPacket), lines as bytes.
  const summarise = (p: PacketRef): void => {
    if (frames !== undefined && !frames.has(p.frame)) return;
    summaries.appendPacket(text, p);
    if (text.length >= FLUSH_BYTES) {
      // Within a read chunk: written now (files, /dev/null) or queued on the stream, whose
      // backpressure is awaited after the chunk.
      void out.write(text.view());
      text.clear();
    }
  };

  const show = (r: CaptureRecord): void => {
    if (frames !== undefined && !frames.has(r.frame)) return;
    const d = dissect(r);
    if (port !== undefined && !hasPort(d, port)) return;
    if (json) {
      out.line(JSON.stringify(d.json));
      return;
    }
    first ??= r.timestamp;
    const t = mode === 'abs' ? r.timestamp : mode === 'rel' ? r.timestamp - first : r.timestamp - (previous ?? r.timestamp);
    previous = r.timestamp;
    out.line(summaryLine(d, t.toFixed(6)));
    if (verbose) for (const l of treeLines(fieldTree(d))) out.line(l);
    if (hexdump) for (const l of hexdumpLines(r.data)) out.line(l);
    if (verbose || hexdump) out.line('');
  };

  // Records are handled as the push decoder meets them (no batch of record objects kept alive),
  // from one read buffer used over and over: nothing keeps a record's bytes after show() returns.
  const decoder = new CaptureDecoder(summaryOnly ? { onPacket: summarise } : { onRecord: show });
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const chunk = kernel?.input ?? new Uint8Array(READ_CHUNK);
    let stopped = false;
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      decoder.push(chunk.subarray(0, n));
      await out.write(text.view());
      text.clear();
      await out.flush();
      if (frames !== undefined && frames.max !== undefined && decoder.frames >= frames.max) {
        stopped = true;
        break;
      }
    }
    // A file cut inside a record is reported, unless --frames already ended the walk before it.
    if (!stopped) decoder.end();
  } catch (e) {
    await out.write(text.view());
    await out.flush();
    if (e instanceof CaptureError) {
      process.stderr.write(`synack: ${file}: ${e.message}\n`);
      return EXIT.BAD_INPUT;
    }
    const why = unreadableFile(e);
    if (why !== undefined) {
      process.stderr.write(`synack: ${file}: ${why}\n`);
      return EXIT.BAD_INPUT;
    }
    throw e;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  await out.write(text.view());
  await out.flush();
  return EXIT.OK;
}

function hasPort(d: Dissection, port: number): boolean {
  const l4 = d.json.tcp ?? d.json.udp;
  return l4 !== undefined && (l4.srcPort === port || l4.dstPort === port);
}
