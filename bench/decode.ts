/**
 * Decode-and-summarise throughput (issue 2): frames per second of `synack decode FILE` against
 * `tshark -r FILE` and `tcpdump -nn -r FILE`, every program writing its one-line-per-frame text to
 * /dev/null, all on the same generated capture (bench/traffic.ts) in the same run.
 *
 * synack is measured in-process (decodeFile, the CLI's own code path, after a warm-up pass; with a
 * breakdown: reading alone, with and without a record object per frame; the general dissect +
 * summaryLine path that -V and --json build on; SummaryWriter's JavaScript byte path, what runs
 * without WebAssembly; and the WebAssembly summary kernel decode takes) and as the real command in
 * a fresh process, start-up included: built to JavaScript by tsc as `npm run build` does (into
 * bench/out/dist, the shipped form), and from source with `node --import tsx` (the dev form, which
 * adds TypeScript loading). Targets, on the built command: synack >= 10x tshark, and not slower
 * than tcpdump.
 */
import { closeSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { dissect } from '../src/analyze/dissect.js';
import { SummaryWriter, summaryLine } from '../src/analyze/summary.js';
import { SummaryKernel } from '../src/analyze/summary-kernel.js';
import { TextBuffer } from '../src/analyze/textbuffer.js';
import { CaptureDecoder } from '../src/capture/decoder.js';
import type { CaptureRecord, DecoderOptions, PacketRef } from '../src/capture/types.js';
import { decodeFile } from '../src/cli/decode.js';
import { LineWriter } from '../src/cli/output.js';
import { type Benchmark, type BenchContext, type BenchRow, best, compileForBench, onPath, si, timeProcess, type ProcessTiming } from './lib.js';
import { ensureTrafficCapture } from './traffic.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const CLI = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const OUT = fileURLToPath(new URL('./out/', import.meta.url));

/** The CLI built into bench/out/dist (only src/cli/main.ts and what it imports); returns main.js. */
export function buildCli(): Promise<string> {
  return compileForBench('src/cli/main.ts', OUT);
}

interface Timing {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly maxRss: number;
}

async function inProcess(run: () => Promise<number>, frames: number, what: string): Promise<Timing> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const n = await run();
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  if (n !== frames) throw new Error(`${what}: ${n} frames, expected ${frames}`);
  return { wallMs, cpuMs: (c.user + c.system) / 1000, maxRss: process.memoryUsage().rss };
}

/**
 * Push the file through the capture layer's decoder the way decodeFile reads it (1 MiB synchronous
 * reads into one buffer); returns the number of records.
 */
function pushFile(path: string, onRecord: (r: CaptureRecord) => void): number {
  return pushFileWith(path, { onRecord });
}

function pushFileWith(path: string, handlers: DecoderOptions, chunk: Uint8Array = new Uint8Array(1 << 20)): number {
  const decoder = new CaptureDecoder(handlers);
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      decoder.push(chunk.subarray(0, n));
    }
    decoder.end();
    return decoder.frames;
  } finally {
    closeSync(fd);
  }
}

/** The file's bytes only: the same synchronous 1 MiB reads, no decoder (the kernel's copy). */
async function bytesOnly(path: string, frames: number): Promise<number> {
  const fd = openSync(path, 'r');
  try {
    const chunk = new Uint8Array(1 << 20);
    while (readSync(fd, chunk, 0, chunk.length, null) > 0);
  } finally {
    closeSync(fd);
  }
  return frames;
}

/** Read only: the capture layer's records, nothing decoded. */
async function readOnly(path: string): Promise<number> {
  let bytes = 0;
  const n = pushFile(path, (r) => {
    bytes += r.capturedLength;
  });
  return bytes >= 0 ? n : -1;
}

/** Read only, as decode reads: packets without record objects (onPacket), into kernel memory. */
async function readPackets(path: string): Promise<number> {
  let bytes = 0;
  const n = pushFileWith(path, { onPacket: (p: PacketRef) => void (bytes += p.capturedLength) }, SummaryKernel.create()?.input);
  return bytes >= 0 ? n : -1;
}

/** Summary lines by SummaryWriter alone (JavaScript, what runs without WebAssembly), not written. */
async function readJsSummaries(path: string): Promise<number> {
  const w = new SummaryWriter('rel');
  const text = new TextBuffer(1 << 17);
  let bytes = 0;
  const n = pushFileWith(path, {
    onPacket: (p: PacketRef) => {
      w.appendPacket(text, p);
      if (text.length >= 1 << 16) {
        bytes += text.length;
        text.clear();
      }
    },
  });
  return bytes >= 0 ? n : -1;
}

/** Summary lines by the WebAssembly kernel (SummaryWriter with it), not written; counts its lines. */
async function readKernelSummaries(path: string, taken: { lines: number }): Promise<number> {
  const kernel = SummaryKernel.create();
  if (kernel === undefined) throw new Error('no WebAssembly SIMD: the summary kernel cannot run');
  const w = new SummaryWriter('rel', kernel);
  const text = kernel.output;
  const n = pushFileWith(
    path,
    {
      onPacket: (p: PacketRef) => {
        w.appendPacket(text, p);
        if (text.length >= 1 << 16) text.clear();
      },
    },
    kernel.input,
  );
  taken.lines = kernel.lines;
  return n;
}

/** Read and dissect every frame (the general path, as -V and --json use); the dissections are dropped. */
async function readDissect(path: string): Promise<number> {
  let keep = 0;
  const n = pushFile(path, (r) => {
    keep += dissect(r).spans.length;
  });
  return keep >= 0 ? n : -1;
}

/** Read, dissect and format each summary line the general way (summaryLine), without writing. */
async function readSummarise(path: string): Promise<number> {
  let chars = 0;
  let first: number | undefined;
  const n = pushFile(path, (r) => {
    first ??= r.timestamp;
    chars += summaryLine(dissect(r), (r.timestamp - first).toFixed(6)).length;
  });
  return chars >= 0 ? n : -1;
}

/**
 * A stream to /dev/null that writes synchronously, as Node's process.stdout does when it is a file
 * or /dev/null (a SyncWriteStream), so the in-process figure has the CLI's output cost.
 */
function devNull(): { stream: Writable; close: () => void } {
  const fd = openSync('/dev/null', 'w');
  const stream = new Writable({
    write(chunk: Uint8Array, _encoding, callback) {
      writeSync(fd, chunk);
      callback();
    },
  });
  // Like process.stdout, it tells its descriptor, so LineWriter can use it as the CLI does.
  Object.defineProperty(stream, 'fd', { value: fd });
  return { stream, close: () => closeSync(fd) };
}

/** The CLI's code path in-process: decodeFile writing to /dev/null. */
async function decodeToNull(path: string, frames: number): Promise<number> {
  const sink = devNull();
  try {
    const code = await decodeFile(path, {}, new LineWriter(sink.stream));
    if (code !== 0) throw new Error(`decodeFile exited ${code}`);
  } finally {
    sink.close();
  }
  return frames;
}

async function bestOf<T extends { readonly wallMs: number }>(ctx: BenchContext, label: string, once: () => Promise<T>): Promise<T> {
  const all: T[] = [];
  for (let i = 0; i < ctx.options.runs; i++) {
    ctx.progress(`decode: ${label}${ctx.options.runs > 1 ? ` (run ${i + 1} of ${ctx.options.runs})` : ''}`);
    all.push(await once());
  }
  return best(all);
}

function cpuNote(frames: number, t: Timing): string {
  const parts: string[] = [];
  if (Number.isFinite(t.cpuMs)) parts.push(`cpu ${(t.cpuMs / 1000).toFixed(2)} s (${si(frames / (t.cpuMs / 1000))}fps)`);
  parts.push(`wall ${(t.wallMs / 1000).toFixed(2)} s`);
  if (Number.isFinite(t.maxRss)) parts.push(`rss ${(t.maxRss / 1e6).toFixed(0)} MB`);
  return parts.join(', ');
}

export const decodeBenchmark: Benchmark = {
  name: 'decode',
  title: 'decode and summarise a capture: synack vs tshark -r vs tcpdump -nn -r (stdout to /dev/null)',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const frames = ctx.options.frames;
    const { path, generated } = await ensureTrafficCapture(frames, ctx.progress);
    const size = statSync(path).size;
    const rows: BenchRow[] = [
      { name: 'capture', value: frames, unit: 'frames', note: `${path}, ${(size / 1e6).toFixed(0)} MB${generated ? ', generated now' : ', cached'}` },
    ];
    const fps = (t: Timing): number => frames / (t.wallMs / 1000);

    // In-process: warm the page cache and the JIT once, then measure each stage.
    ctx.progress('decode: warm-up pass (page cache, JIT)');
    await decodeToNull(path, frames);
    const taken = { lines: 0 };
    const stages: [string, () => Promise<number>, (() => string)?][] = [
      ['file bytes only (readSync, 1 MiB chunks)', () => bytesOnly(path, frames)],
      ['synack read only: a record object per frame (onRecord)', () => readOnly(path)],
      ['synack read only: no record objects (onPacket, as decode reads)', () => readPackets(path)],
      ['synack read + dissect (general path, as -V and --json)', () => readDissect(path)],
      ['synack read + dissect + summaryLine (general path)', () => readSummarise(path)],
      ['synack summaries in JavaScript only (SummaryWriter, not written)', () => readJsSummaries(path)],
      ['synack summaries by the WebAssembly kernel (not written)', () => readKernelSummaries(path, taken), () => `; the kernel wrote ${taken.lines} of ${frames} lines itself`],
      ['synack decode, in-process (WebAssembly kernel, to /dev/null)', () => decodeToNull(path, frames)],
    ];
    let inProc: Timing | undefined;
    for (const [name, run, more] of stages) {
      const t = await bestOf(ctx, name, () => inProcess(run, frames, name));
      rows.push({ name, value: fps(t), unit: 'frames/s', note: cpuNote(frames, t) + (more?.() ?? '') });
      inProc = t;
    }

    // The real command, end to end: built JavaScript (what `npm run build` ships), then from source.
    ctx.progress('decode: building the CLI with tsc into bench/out/dist');
    const built = await buildCli();
    const cliTiming = await bestOf(ctx, 'synack decode (built CLI)', () => timeProcess(process.execPath, [built, 'decode', path], { cwd: REPO }));
    checkExit('synack decode', cliTiming);
    const cliFps = fps(cliTiming);
    rows.push({ name: 'synack decode FILE (CLI, built JS)', value: cliFps, unit: 'frames/s', note: cpuNote(frames, cliTiming) });
    const tsxTiming = await bestOf(ctx, 'synack decode (CLI via tsx)', () => timeProcess(process.execPath, ['--import', 'tsx', CLI, 'decode', path], { cwd: REPO }));
    checkExit('synack decode (tsx)', tsxTiming);
    rows.push({ name: 'synack decode FILE (CLI, node --import tsx)', value: fps(tsxTiming), unit: 'frames/s', note: `includes compiling TypeScript at start-up; ${cpuNote(frames, tsxTiming)}` });

    const tools: [string, string, string[]][] = [
      ['tshark -r FILE', 'tshark', ['-r', path]],
      ['tcpdump -nn -r FILE', 'tcpdump', ['-nn', '-r', path]],
    ];
    const toolTimes = new Map<string, Timing>();
    for (const [name, cmd, args] of tools) {
      if (!onPath(cmd)) {
        rows.push({ name, value: NaN, unit: 'frames/s', note: `${cmd} not installed` });
        continue;
      }
      const t = await bestOf(ctx, name, () => timeProcess(cmd, args));
      checkExit(name, t);
      toolTimes.set(cmd, t);
      rows.push({ name, value: fps(t), unit: 'frames/s', ratio: cliFps / fps(t), note: `ratio = synack built CLI ÷ this; ${cpuNote(frames, t)}` });
    }

    // Targets, by wall time (what a user waits) and by CPU time (steadier when other work shares
    // the machine: a loaded 2-core box stretches every wall time).
    for (const [cmd, want] of [['tshark', 10], ['tcpdump', 1]] as const) {
      const theirs = toolTimes.get(cmd);
      if (theirs === undefined) continue;
      rows.push(target(`synack CLI vs ${cmd}, wall`, theirs.wallMs / cliTiming.wallMs, want));
      if (Number.isFinite(theirs.cpuMs) && Number.isFinite(cliTiming.cpuMs)) rows.push(target(`synack CLI vs ${cmd}, cpu`, theirs.cpuMs / cliTiming.cpuMs, want));
      if (inProc !== undefined) rows.push(target(`synack in-process vs ${cmd}, wall`, theirs.wallMs / inProc.wallMs, want));
    }
    return rows;
  },
};

function target(name: string, ratio: number, want: number): BenchRow {
  return { name, value: ratio, unit: 'x', note: `target >= ${want}x: ${ratio >= want ? 'met' : 'MISSED'}` };
}

function checkExit(name: string, t: ProcessTiming): void {
  if (t.status !== 0) throw new Error(`${name} exited ${t.status}: ${t.stderr.trim().slice(-500)}`);
}
