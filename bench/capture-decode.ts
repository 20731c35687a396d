/**
 * Capture decoder benchmark: read a 1M-frame pcap and pcapng file from disk (page cache) with
 * readCaptureFile, records only (nothing dissected), and compare with tshark printing one field
 * per frame and with capinfos -c on the same files. Timings vary; this is not a unit test.
 *
 * The files are generated once in the OS temp dir (sk-capture-bench-N.pcap/.pcapng): Ethernet/IPv4
 * shaped frames of 60..1514 bytes in a bulk-transfer size cycle (the bytes are not real packets;
 * the capture layer does not look inside them).
 */
import { existsSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureFileWriter, readCaptureFile } from '../src/capture/node.js';
import { type Benchmark, type BenchContext, type BenchRow, best, onPath, si, timeProcess } from './lib.js';

async function generate(path: string, format: 'pcap' | 'pcapng', frames: number): Promise<void> {
  if (existsSync(path)) return;
  const partial = `${path}.${process.pid}.partial`;
  const w =
    format === 'pcap'
      ? new CaptureFileWriter(partial, { format: 'pcap', linkType: 1, nanosecond: true })
      : new CaptureFileWriter(partial, { format: 'pcapng', interfaces: [{ linkType: 1, name: 'bench0' }] });
  // Ethernet/IPv4/TCP-shaped frames of 60..1514 bytes, sizes cycling like a bulk transfer with ACKs.
  const sizes = [66, 1514, 1514, 66, 1514, 60, 590, 1514];
  const payloads = sizes.map((n) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = (i * 7 + n) & 0xff;
    b[12] = 0x08;
    b[13] = 0x00;
    return b;
  });
  for (let i = 0; i < frames; i++) {
    const data = payloads[i % payloads.length] ?? new Uint8Array(60);
    if (!w.write({ tsSec: 1_700_000_000 + Math.floor(i / 1000), tsNsec: (i % 1000) * 1000, data })) await w.drain();
  }
  await w.close();
  renameSync(partial, path);
}

async function timeOurs(path: string, frames: number): Promise<{ wallMs: number; bytes: number }> {
  let n = 0;
  let bytes = 0;
  const t0 = process.hrtime.bigint();
  await readCaptureFile(path, {
    onRecord: (r) => {
      n++;
      bytes += r.capturedLength;
    },
  });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (n !== frames) throw new Error(`decoded ${n} frames, expected ${frames}`);
  return { wallMs, bytes };
}

export const captureDecodeBenchmark: Benchmark = {
  name: 'capture-read',
  title: 'capture layer only: readCaptureFile over pcap and pcapng vs tshark -T fields and capinfos -c',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const frames = ctx.options.frames;
    const rows: BenchRow[] = [];
    for (const format of ['pcap', 'pcapng'] as const) {
      const path = join(tmpdir(), `sk-capture-bench-${frames}.${format}`);
      ctx.progress(`capture-read: ${path}`);
      await generate(path, format, frames);
      await timeOurs(path, frames); // warm the page cache and the JIT
      const runs: { wallMs: number; bytes: number }[] = [];
      for (let i = 0; i < ctx.options.runs; i++) runs.push(await timeOurs(path, frames));
      const ours = best(runs);
      const heap = process.memoryUsage();
      const fps = frames / (ours.wallMs / 1000);
      rows.push({
        name: `synack readCaptureFile ${format}`,
        value: fps,
        unit: 'frames/s',
        note: `${(statSync(path).size / 1e6).toFixed(0)} MB, ${si((ours.bytes / ours.wallMs) * 1000)}B/s, rss ${(heap.rss / 1e6).toFixed(0)} MB`,
      });
      const tools: [string, string, string[]][] = [
        [`tshark -T fields -e frame.len ${format}`, 'tshark', ['-n', '-T', 'fields', '-e', 'frame.len', '-r', path]],
        [`capinfos -c ${format}`, 'capinfos', ['-c', path]],
      ];
      for (const [name, cmd, args] of tools) {
        if (!onPath(cmd)) continue;
        ctx.progress(`capture-read: ${name}`);
        const t = await timeProcess(cmd, args);
        if (t.status !== 0) throw new Error(`${cmd} exited ${t.status}: ${t.stderr.trim().slice(-300)}`);
        const theirs = frames / (t.wallMs / 1000);
        rows.push({ name, value: theirs, unit: 'frames/s', ratio: fps / theirs, note: 'ratio = synack ÷ this' });
      }
    }
    return rows;
  },
};
