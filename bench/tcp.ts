/**
 * TCP benchmarks (issue 4), as modules for the runner (bench/lib.ts's Benchmark contract):
 *
 *  - tcp-bulk: bulk transfer between two synack engines in one process through the IPv4/TCP codec
 *    with both checksums, MSS 1460 and MSS 65495, beside the unavoidable work on the same bytes in
 *    the same run (two copies, two checksums); Gbit/s and the ratio. 1 GiB per MSS by default;
 *    SYNACK_BULK_BYTES=64M (or any size with K/M/G) for quick runs.
 *    Then the same transfer through the whole stack an embedder uses: two Stacks (src/stack) over
 *    the in-memory link (MemoryPair) with the driver and the Node-style sockets.
 *  - tcp-engine: the same bulk transfer between the engines alone (no codec, no checksum): what
 *    the engine itself costs per segment.
 *  - tcp-handshakes: complete connection lifetimes (connect, accept, close) per second, engine only
 *    and through the codec.
 *  - tcp-memory: heap bytes per idle established connection, 100,000 connections.
 *
 * Each measurement runs in a child process on JavaScript compiled by tsc (into bench/out/tcp), so
 * the numbers are those of the shipped form, not of tsx's per-module wrappers (which make
 * cross-module calls 2-3x slower). SYNACK_BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the bulk
 * children there (node --cpu-prof).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Benchmark, type BenchContext, type BenchRow, compileForBench } from './lib.js';
import { ENGINE_CASES, type BulkResult, type HandshakeResult, type MemoryResult } from './tcp-work.js';

const OUT = fileURLToPath(new URL('./out/tcp/', import.meta.url));

let built: Promise<string> | undefined;

/** bench/tcp-worker.ts (and what it imports) built into bench/out/tcp, once; returns the worker path. */
function buildWorker(ctx: BenchContext): Promise<string> {
  built ??= (async () => {
    ctx.progress('tcp: compiling the worker with tsc into bench/out/tcp');
    return compileForBench('bench/tcp-worker.ts', OUT);
  })();
  return built;
}

/** Run node with `args`; resolves stdout. With `tolerant`, a non-zero exit (tsc type errors elsewhere) is not an error. */
function run(args: readonly string[], tolerant = false): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      if (err && !tolerant) reject(new Error(`${args.join(' ')}: ${stderr.trim().split('\n').slice(-3).join(' ') || err.message}`));
      else resolve(stdout);
    });
  });
}

async function measure<T>(ctx: BenchContext, nodeArgs: readonly string[], args: readonly string[]): Promise<T> {
  const worker = await buildWorker(ctx);
  const out = await run([...nodeArgs, worker, ...args]);
  return JSON.parse(out.trim().split('\n').at(-1) ?? '') as T;
}

/** '64M' -> 67108864; plain numbers are bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)i?b?$/i.exec(text.trim());
  if (!m) throw new Error(`SYNACK_BULK_BYTES: not a size: '${text}'`);
  const unit = { '': 1, k: 1 << 10, m: 1 << 20, g: 1 << 30 }[(m[2] ?? '').toLowerCase()] ?? 1;
  const n = Math.round(Number(m[1]) * unit);
  if (n < 1 << 20) throw new Error(`SYNACK_BULK_BYTES: at least 1M, got '${text}'`);
  return n;
}

function gbps(bytes: number, ms: number): number {
  return (bytes * 8) / (ms / 1000) / 1e9;
}

function sizeText(n: number): string {
  return n >= 1 << 30 ? `${n / (1 << 30)} GiB` : `${n / (1 << 20)} MiB`;
}

export const tcpBulkBenchmark: Benchmark = {
  name: 'tcp-bulk',
  title: 'TCP bulk transfer between two engines through the IPv4/TCP codec (checksums), vs. the unavoidable work',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const env = process.env['SYNACK_BULK_BYTES'];
    const total = env === undefined ? 1 << 30 : parseSize(env);
    const prof = process.env['SYNACK_BENCH_CPU_PROF'];
    const nodeArgs = prof === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${prof}`];
    const rows: BenchRow[] = [];
    for (const mtu of [1500, 65535]) {
      const mss = mtu - 40;
      let best: (BulkResult & { unavoidableMs: number }) | undefined;
      for (let r = 0; r < Math.max(1, ctx.options.runs); r++) {
        ctx.progress(`tcp-bulk: MSS ${mss}, ${sizeText(total)}, run ${r + 1}`);
        const res = await measure<BulkResult & { unavoidableMs: number }>(ctx, nodeArgs, ['bulk', String(total), String(mtu)]);
        if (!best || res.ms < best.ms) best = res;
      }
      if (!best) continue;
      const stack = gbps(best.bytes, best.ms);
      const bound = gbps(total, best.unavoidableMs);
      const ratio = stack / bound;
      const targets = mss === 1460 ? ` (targets >= 5 Gbit/s and > 50%: ${stack >= 5 ? 'met' : 'missed'} / ${ratio > 0.5 ? 'met' : 'missed'})` : '';
      rows.push({
        name: `MSS ${mss}: synack, engine + codec`,
        value: stack,
        unit: 'Gbit/s',
        ratio,
        note: `ratio = synack / unavoidable work${targets}; ${best.segments} data segments, ${best.acks} ACKs, ${best.retransmissions} retransmissions, ${sizeText(total)}, 1 MiB buffers`,
      });
      rows.push({ name: `MSS ${mss}: unavoidable work`, value: bound, unit: 'Gbit/s', note: 'the same bytes copied twice and checksummed twice, segment by segment, same process' });
      // The whole path an embedder gets: two Stacks, the in-memory link, the driver, sockets.
      type StacksResult = BulkResult & { floorMs: number; zeroCopyFloorMs: number };
      let whole: StacksResult | undefined;
      let floorMs = Infinity;
      let zeroCopyFloorMs = Infinity;
      for (let r = 0; r < Math.max(1, ctx.options.runs); r++) {
        ctx.progress(`tcp-bulk: MSS ${mss}, two Stacks over the in-memory link, run ${r + 1}`);
        const res = await measure<StacksResult>(ctx, nodeArgs, ['stacks', String(total), String(mtu)]);
        if (!whole || res.ms < whole.ms) whole = res;
        floorMs = Math.min(floorMs, res.floorMs);
        zeroCopyFloorMs = Math.min(zeroCopyFloorMs, res.zeroCopyFloorMs);
      }
      if (whole !== undefined) {
        const g = gbps(whole.bytes, whole.ms);
        rows.push({
          name: `MSS ${mss}: two Stacks, in-memory link, sockets`,
          value: g,
          unit: 'Gbit/s',
          ratio: g / bound,
          note: `ratio = stacks / unavoidable work (same bound as above)${mss === 1460 ? ` (targets >= 5 Gbit/s and > 50%: ${g >= 5 ? 'met' : 'missed'} / ${g / bound > 0.5 ? 'met' : 'missed'})` : ''}; ${whole.segments} packets A->B, ${whole.acks} B->A, ${whole.retransmissions} retransmissions; receive batches of 16 packets / 32 KiB (the driver's GRO-like default)`,
        });
        // What no TCP logic could beat under today's contracts, and under a zero-copy redesign.
        const floor = gbps(total, floorMs);
        rows.push({
          name: `MSS ${mss}: floor of this design, no TCP logic`,
          value: floor,
          unit: 'Gbit/s',
          ratio: floor / bound,
          note: 'per segment only what the stack path must do under its contracts: copy into the send ring, a fresh packet from the allocator, IPv4+TCP headers, copy out of the ring, checksum; headers read, both checksums verified, copy into the receive ring, read out in 64 KiB chunks (4 copies, 2 checksums); stacks reach ' + `${((100 * floorMs) / whole.ms).toFixed(0)}% of it`,
        });
        const zc = gbps(total, zeroCopyFloorMs);
        rows.push({
          name: `MSS ${mss}: floor of a zero-copy design, no TCP logic`,
          value: zc,
          unit: 'Gbit/s',
          ratio: zc / bound,
          note: 'as the floor above, but the sender copies from the application buffer straight into packets and the receiver hands out views of the payloads (1 copy, 2 checksums, a fresh packet per segment)',
        });
      }
    }
    return rows;
  },
};

export const tcpHandshakeBenchmark: Benchmark = {
  name: 'tcp-handshakes',
  title: 'TCP connection lifetimes per second (connect, accept, three-way handshake, close both ways)',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const n = 200_000;
    const rows: BenchRow[] = [];
    for (const codec of [false, true]) {
      let best: HandshakeResult | undefined;
      for (let r = 0; r < Math.max(1, ctx.options.runs); r++) {
        ctx.progress(`tcp-handshakes: ${codec ? 'through the codec' : 'engines only'}, run ${r + 1}`);
        const res = await measure<HandshakeResult>(ctx, [], ['handshakes', String(n), codec ? '1' : '0']);
        if (!best || res.ms < best.ms) best = res;
      }
      if (!best) continue;
      const rate = best.connections / (best.ms / 1000);
      rows.push({
        name: codec ? 'engines + IPv4/TCP codec' : 'engines only',
        value: rate,
        unit: 'conn/s',
        note: `${best.connections} lifetimes of ${(best.segments / best.connections).toFixed(0)} segments each (target >= 100,000/s: ${rate >= 100_000 ? 'met' : 'missed'})`,
      });
    }
    return rows;
  },
};

export const tcpMemoryBenchmark: Benchmark = {
  name: 'tcp-memory',
  title: 'TCP memory: heap per idle established connection (100,000 connections, no data buffered)',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    ctx.progress('tcp-memory: 100,000 idle established connections');
    const r = await measure<MemoryResult>(ctx, ['--expose-gc'], ['memory', '100000']);
    return [
      {
        name: 'bytes per idle established connection',
        value: r.bytesPerConnection,
        unit: 'B',
        note: `${r.connections} engines (50,000 pairs), heap growth after full GCs ${(r.heapBytes / (1 << 20)).toFixed(1)} MiB (target < 2 KiB: ${r.bytesPerConnection < 2048 ? 'met' : 'missed'})`,
      },
    ];
  },
};

export const tcpEngineBenchmark: Benchmark = {
  name: 'tcp-engine',
  title: 'TCP engine bulk transfer between two in-process engines (no codec), Gbit/s of payload',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const total = 512 << 20;
    const rows: BenchRow[] = [];
    for (let i = 0; i < ENGINE_CASES.length; i++) {
      const c = ENGINE_CASES[i]!;
      let best: BulkResult | undefined;
      for (let r = 0; r < Math.max(1, ctx.options.runs); r++) {
        ctx.progress(`tcp-engine: ${c.name}, run ${r + 1}`);
        const res = await measure<BulkResult>(ctx, [], ['engine', String(total), String(i)]);
        if (!best || res.ms < best.ms) best = res;
      }
      if (!best) continue;
      rows.push({
        name: c.name,
        value: gbps(best.bytes, best.ms),
        unit: 'Gbit/s',
        note: `${Math.round(best.segments / (best.ms / 1000))} data segments/s, ${best.acks} ACKs, ${sizeText(total)}`,
      });
    }
    return rows;
  },
};
