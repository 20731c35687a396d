/**
 * Internet checksum throughput (RFC 1071), once the largest single cost of `synack decode` (every
 * TCP segment is verified): the JavaScript sum (checksumAddJs, what runs without WebAssembly),
 * checksumAdd (JavaScript below 512 bytes, the WebAssembly SIMD engine of src/wire/checksum-wasm.ts
 * above, the bytes copied into its memory), and the engine on bytes already in its memory (as the
 * decode summary kernel sums segments in its read buffer). Ranges are 1460 bytes (a full Ethernet
 * MSS), 512 and 40 bytes (an ACK's header), over a buffer like the decoder's read chunk. The
 * engine is checked against the JavaScript sum on random ranges before it is timed.
 */
import { checksumAdd, checksumAddJs } from '../src/wire/checksum.js';
import { checksumEngine } from '../src/wire/checksum-wasm.js';
import { type Benchmark, type BenchContext, type BenchRow } from './lib.js';
import { mulberry32 } from './traffic.js';

function gbps(bytes: number, ms: number): number {
  return bytes / 1e9 / (ms / 1000);
}

export const checksumBenchmark: Benchmark = {
  name: 'checksum',
  title: 'RFC 1071 checksum: JavaScript vs checksumAdd (WebAssembly SIMD copied in) vs the SIMD engine in place',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const engine = checksumEngine();
    const rng = mulberry32(0xc0ffee);
    // checksumAdd copies its ranges to the start of the engine's memory (at most half of it), so
    // the in-place data lives in the upper half.
    const size = 1 << 19;
    const plain = new Uint8Array(size);
    for (let i = 0; i < plain.length; i++) plain[i] = Math.floor(rng() * 256);
    const base = engine === undefined ? 0 : engine.bytes.length - size;
    const inPlace = (): void => engine?.bytes.set(plain, base);
    if (engine !== undefined) {
      inPlace();
      for (let k = 0; k < 20000; k++) {
        const start = Math.floor(rng() * (plain.length - 4000));
        const end = start + Math.floor(rng() * 4000);
        const want = checksumAddJs(0, plain, start, end);
        if (engine.sum(base + start, end - start) !== want || checksumAdd(0, plain, start, end) !== want) {
          throw new Error(`WebAssembly checksum disagrees with the JavaScript one on [${start}, ${end})`);
        }
      }
    }
    const rows: BenchRow[] = [];
    const rounds = Math.max(1, Math.round(ctx.options.frames / 2000));
    for (const len of [1460, 512, 40]) {
      const per = Math.floor(plain.length / (len + 14));
      const measure = (f: (s: number, e: number) => number): number => {
        let sink = 0;
        const c0 = process.cpuUsage();
        for (let r = 0; r < rounds; r++) for (let i = 0, at = 14; i < per; i++, at += len + 14) sink += f(at, at + len);
        const c = process.cpuUsage(c0);
        if (sink < 0) throw new Error('unreachable');
        return (c.user + c.system) / 1000;
      };
      const bytes = rounds * per * len;
      ctx.progress(`checksum: ${len}-byte ranges, ${(bytes / 1e9).toFixed(1)} GB each way`);
      const js = measure((s, e) => checksumAddJs(0, plain, s, e));
      rows.push({ name: `JavaScript (checksumAddJs), ${len}-byte ranges`, value: gbps(bytes, js), unit: 'GB/s (cpu)' });
      const wire = measure((s, e) => checksumAdd(0, plain, s, e));
      rows.push({ name: `checksumAdd, ${len}-byte ranges`, value: gbps(bytes, wire), unit: 'GB/s (cpu)', ratio: js / wire, note: `ratio = speed-up over JavaScript${len >= 512 ? '; WebAssembly, copied in' : '; JavaScript below 512 bytes'}` });
      if (engine === undefined) {
        rows.push({ name: `WebAssembly SIMD in place, ${len}-byte ranges`, value: NaN, unit: 'GB/s (cpu)', note: 'WebAssembly SIMD not available' });
        continue;
      }
      inPlace();
      const wasm = measure((s, e) => engine.sum(base + s, e - s));
      rows.push({ name: `WebAssembly SIMD in place, ${len}-byte ranges`, value: gbps(bytes, wasm), unit: 'GB/s (cpu)', ratio: js / wasm, note: 'ratio = speed-up over JavaScript (the decode kernel sums this way)' });
    }
    return rows;
  },
};
