/**
 * Internet checksum throughput (RFC 1071), the largest single cost of `synack decode` (every TCP
 * segment is verified): src/wire's checksumAdd against a WebAssembly SIMD prototype that sums 16
 * bytes per step with i32x4.extadd_pairwise_i16x8_u, reading the bytes in place (a buffer inside
 * the module's memory, as a read buffer would be) or after copying them in. Ranges are 1460 bytes
 * (a full Ethernet MSS) and 40 bytes (an ACK's header), over a 1 MiB buffer like the decoder's read
 * chunk. The prototype is checked against checksumAdd on random ranges before it is timed.
 *
 * The prototype lives here, not in src/wire: it sizes what moving the checksum to WASM would win.
 */
import { checksumAdd } from '../src/wire/checksum.js';
import { type Benchmark, type BenchContext, type BenchRow } from './lib.js';
import { mulberry32 } from './traffic.js';

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function section(id: number, body: readonly number[]): number[] {
  return [id, ...leb(body.length), ...body];
}

function name(s: string): number[] {
  return [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
}

/**
 * The module: imports memory env.mem; exports sum(p, blocks), which adds the 8 little-endian 16-bit
 * words of each 16-byte block at p, p+16, ... into four 32-bit lanes and stores the lanes at
 * address 0. Lanes cannot overflow below 2^15 blocks (each step adds at most 2 * 0xffff).
 */
function simdModule(): Uint8Array<ArrayBuffer> {
  const code = [
    1, 1, 0x7b, // one local: v128 accumulator (local 2)
    0x20, 0x00, 0x20, 0x01, 0x41, 0x04, 0x74, 0x6a, 0x21, 0x01, // local1 = p + blocks * 16 (the end)
    0x02, 0x40, 0x03, 0x40, // block, loop
    0x20, 0x00, 0x20, 0x01, 0x4f, 0x0d, 0x01, // if p >= end: break
    0x20, 0x02, 0x20, 0x00, 0xfd, 0x00, 0x00, 0x00, // acc, v128.load p
    0xfd, 0x7f, // i32x4.extadd_pairwise_i16x8_u
    0xfd, 0xae, 0x01, // i32x4.add
    0x21, 0x02, // acc =
    0x20, 0x00, 0x41, 0x10, 0x6a, 0x21, 0x00, // p += 16
    0x0c, 0x00, 0x0b, 0x0b, // br loop, end, end
    0x41, 0x00, 0x20, 0x02, 0xfd, 0x0b, 0x00, 0x00, // v128.store 0, acc
    0x0b,
  ];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 2, 0x7f, 0x7f, 0]),
    ...section(2, [1, ...name('env'), ...name('mem'), 0x02, 0x00, 0x20]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...name('sum'), 0x00, 0]),
    ...section(10, [1, ...leb(code.length), ...code]),
  ]);
}

interface Simd {
  /** A 1 MiB buffer inside the module's memory. */
  readonly arena: Uint8Array;
  /** checksumAdd's contract for bytes anywhere; in place when they are in `arena`'s memory. */
  add(sum: number, b: Uint8Array, start: number, end: number): number;
}

function simd(): Simd | undefined {
  if (typeof WebAssembly === 'undefined' || !WebAssembly.validate(simdModule())) return undefined;
  const memory = new WebAssembly.Memory({ initial: 48 });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(simdModule()), { env: { mem: memory } });
  const sum = instance.exports['sum'] as (p: number, blocks: number) => void;
  const lanes = new Uint32Array(memory.buffer, 0, 4);
  const staging = new Uint8Array(memory.buffer, 65536, 1 << 20);
  const arena = new Uint8Array(memory.buffer, 65536 + (1 << 20) + 16, 1 << 20);
  const fold = (s: number): number => {
    while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
    return s;
  };
  return {
    arena,
    add(initial, b, start, end) {
      let base = b.byteOffset + start;
      if (b.buffer !== memory.buffer) {
        staging.set(b.subarray(start, end));
        base = staging.byteOffset;
      }
      const len = end - start;
      const blocks = len >>> 4;
      sum(base, blocks);
      let s = 0;
      for (let i = 0; i < 4; i++) {
        const x = lanes[i] as number;
        s += (x & 0xffff) + (x >>> 16);
      }
      // The lanes summed little-endian words: swap to network order (RFC 1071 2(B)).
      s = fold(s);
      s = ((s & 0xff) << 8) | (s >>> 8);
      for (let i = start + blocks * 16; i < end; i += 2) s += ((b[i] as number) << 8) | (i + 1 < end ? (b[i + 1] as number) : 0);
      return fold(s + initial);
    },
  };
}

function gbps(bytes: number, ms: number): number {
  return bytes / 1e9 / (ms / 1000);
}

export const checksumBenchmark: Benchmark = {
  name: 'checksum',
  title: 'RFC 1071 checksum: src/wire checksumAdd vs a WebAssembly SIMD prototype (in place, copied in)',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const engine = simd();
    const rng = mulberry32(0xc0ffee);
    const plain = new Uint8Array(1 << 20);
    for (let i = 0; i < plain.length; i++) plain[i] = Math.floor(rng() * 256);
    if (engine !== undefined) engine.arena.set(plain);
    // Same answers first, on random ranges of every alignment and length.
    if (engine !== undefined) {
      for (let k = 0; k < 20000; k++) {
        const start = Math.floor(rng() * (plain.length - 4000));
        const end = start + Math.floor(rng() * 4000);
        const seed = Math.floor(rng() * 0x10000);
        const want = checksumAdd(seed, plain, start, end);
        if (engine.add(seed, engine.arena, start, end) !== want || engine.add(seed, plain, start, end) !== want) {
          throw new Error(`SIMD prototype disagrees with checksumAdd on [${start}, ${end})`);
        }
      }
    }
    const rows: BenchRow[] = [];
    const rounds = Math.max(1, Math.round(ctx.options.frames / 4000));
    for (const size of [1460, 40]) {
      const per = Math.floor(plain.length / (size + 14));
      const measure = (f: (b: Uint8Array, s: number, e: number) => number, b: Uint8Array): number => {
        let sink = 0;
        const c0 = process.cpuUsage();
        for (let r = 0; r < rounds; r++) for (let i = 0, at = 14; i < per; i++, at += size + 14) sink += f(b, at, at + size);
        const c = process.cpuUsage(c0);
        if (sink < 0) throw new Error('unreachable');
        return (c.user + c.system) / 1000;
      };
      const bytes = rounds * per * size;
      ctx.progress(`checksum: ${size}-byte ranges, ${(bytes / 1e9).toFixed(1)} GB each way`);
      const wire = measure((b, s, e) => checksumAdd(0, b, s, e), plain);
      rows.push({ name: `wire checksumAdd, ${size}-byte ranges`, value: gbps(bytes, wire), unit: 'GB/s (cpu)' });
      if (engine === undefined) {
        rows.push({ name: `WASM SIMD, ${size}-byte ranges`, value: NaN, unit: 'GB/s (cpu)', note: 'WebAssembly SIMD not available' });
        continue;
      }
      const inPlace = measure((b, s, e) => engine.add(0, b, s, e), engine.arena);
      rows.push({ name: `WASM SIMD in place, ${size}-byte ranges`, value: gbps(bytes, inPlace), unit: 'GB/s (cpu)', ratio: wire / inPlace, note: 'ratio = speed-up over checksumAdd' });
      const copied = measure((b, s, e) => engine.add(0, b, s, e), plain);
      rows.push({ name: `WASM SIMD copied in, ${size}-byte ranges`, value: gbps(bytes, copied), unit: 'GB/s (cpu)', ratio: wire / copied, note: 'ratio = speed-up over checksumAdd' });
    }
    return rows;
  },
};
