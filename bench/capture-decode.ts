/**
 * Capture decoder benchmark: decode a 1M-frame pcap and pcapng file from disk (page cache) with
 * readCaptureFile and compare with tshark reading the same file. Not a unit test: timings vary.
 *
 * Usage: node --import tsx bench/capture-decode.ts [frames=1000000] [--tshark]
 * The files are generated once in the OS temp dir (sk-capture-bench-*.pcap/.pcapng, ~100 MB each).
 */
import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { CaptureFileWriter, readCaptureFile } from '../src/capture/node.js';

const frames = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const withTshark = process.argv.includes('--tshark');

async function generate(path: string, format: 'pcap' | 'pcapng'): Promise<void> {
  if (existsSync(path)) return;
  const w =
    format === 'pcap'
      ? new CaptureFileWriter(path, { format: 'pcap', linkType: 1, nanosecond: true })
      : new CaptureFileWriter(path, { format: 'pcapng', interfaces: [{ linkType: 1, name: 'bench0' }] });
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
}

async function timeOurs(path: string): Promise<number> {
  let n = 0;
  let bytes = 0;
  const t0 = process.hrtime.bigint();
  await readCaptureFile(path, {
    onRecord: (r) => {
      n++;
      bytes += r.capturedLength;
    },
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (n !== frames) throw new Error(`decoded ${n} frames, expected ${frames}`);
  console.log(`synack ${path.endsWith('ng') ? 'pcapng' : 'pcap  '}: ${frames} frames, ${(bytes / 1e6).toFixed(0)} MB in ${ms.toFixed(0)} ms (${((frames / ms) * 1000 / 1e6).toFixed(2)} M frames/s)`);
  return ms;
}

function timeTool(cmd: string, args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'ignore'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} failed`);
  console.log(`${cmd} ${args.slice(0, -1).join(' ')}: ${ms.toFixed(0)} ms`);
  return ms;
}

for (const format of ['pcap', 'pcapng'] as const) {
  const path = join(tmpdir(), `sk-capture-bench-${frames}.${format}`);
  await generate(path, format);
  console.log(`${path}: ${(statSync(path).size / 1e6).toFixed(0)} MB`);
  await timeOurs(path); // warm the page cache and the JIT
  const ours = await timeOurs(path);
  const heap = process.memoryUsage();
  console.log(`  rss ${(heap.rss / 1e6).toFixed(0)} MB, heap used ${(heap.heapUsed / 1e6).toFixed(0)} MB`);
  if (withTshark) {
    const ts = timeTool('tshark', ['-n', '-T', 'fields', '-e', 'frame.len', '-r', path]);
    const ci = timeTool('capinfos', ['-c', path]);
    console.log(`  tshark / synack = ${(ts / ours).toFixed(1)}x, capinfos -c / synack = ${(ci / ours).toFixed(1)}x`);
  }
}
