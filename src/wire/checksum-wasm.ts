/**
 * The internet checksum (RFC 1071) as a WebAssembly SIMD function, assembled from the code below by
 * src/wasm/asm.ts: 16 bytes per step, eight 16-bit words added pairwise into four 32-bit lanes
 * (i32x4.extadd_pairwise_i16x8_u). Used by checksum.ts for long ranges, and embedded in the
 * `synack decode` summary kernel (src/analyze/summary-kernel.ts), which verifies every segment's
 * checksum in place in the read buffer.
 *
 * Invariant: `sum(p, n)` is the folded ones' complement sum of memory[p, p + n) taken as big-endian
 * 16-bit words from p (an odd last byte padded with a zero byte), in [0, 0xffff], and 0 only when
 * every byte is zero — exactly checksum.ts's partial sum of the same bytes. The lanes add the words
 * in the host-independent little-endian order WebAssembly loads them; the folded sum is then
 * byte-swapped back (RFC 1071 2(B): byte order only swaps the folded sum).
 */
import { block, br, br_if, Func, i32, i32x4, i64, if_, Label, loop, Module, ret, v128, type Code } from '../wasm/asm.js';

/** Bytes per SIMD chunk between folds: 4 words per lane per 32 bytes, so lanes stay below 2^31. */
const CHUNK = 1 << 17;

/**
 * The function `sum(p: i32, n: i32) -> i32` described above, for adding to a module. With
 * `bigEndian` false it returns the folded sum of the little-endian words instead (the same sum
 * byte-swapped), for callers that add more little-endian words before they compare with 0xffff,
 * which byte order does not change.
 */
export function checksumFunc(name = 'sum', bigEndian = true): Func {
  const f = new Func(name, ['i32', 'i32'], ['i32']);
  const p = f.param(0);
  const n = f.param(1);
  const end = f.local('i32');
  const blocksEnd = f.local('i32');
  const chunkEnd = f.local('i32');
  const acc = f.local('i64');
  const a = f.local('v128');
  const b = f.local('v128');
  const s = f.local('i64');
  const outer = new Label('outer');
  const outerDone = new Label('outerDone');
  const inner = new Label('inner');
  const innerDone = new Label('innerDone');
  const words = new Label('words');
  const wordsDone = new Label('wordsDone');
  const fold = new Label('fold');
  const foldDone = new Label('foldDone');
  const lanes = (v: Code): Code =>
    i64.add(
      i64.add(i64.extend_i32_u(i32x4.extract_lane(v, 0)), i64.extend_i32_u(i32x4.extract_lane(v, 1))),
      i64.add(i64.extend_i32_u(i32x4.extract_lane(v, 2)), i64.extend_i32_u(i32x4.extract_lane(v, 3))),
    );
  f.body = [
    end.set(i32.add(p.get, n.get)),
    blocksEnd.set(i32.add(p.get, i32.and(n.get, i32.c(~15)))),
    acc.set(i64.c(0)),
    block(outerDone, loop(outer, [
      br_if(outerDone, i32.ge_u(p.get, blocksEnd.get)),
      chunkEnd.set(i32.add(p.get, i32.c(CHUNK))),
      if_(i32.gt_u(chunkEnd.get, blocksEnd.get), chunkEnd.set(blocksEnd.get)),
      a.set(v128.zero()),
      b.set(v128.zero()),
      // 32 bytes a step into two accumulators, then one 16-byte step if the chunk has it.
      block(innerDone, loop(inner, [
        br_if(innerDone, i32.gt_u(i32.add(p.get, i32.c(32)), chunkEnd.get)),
        a.set(i32x4.add(a.get, i32x4.extadd_pairwise_i16x8_u(v128.load(p.get)))),
        b.set(i32x4.add(b.get, i32x4.extadd_pairwise_i16x8_u(v128.load(p.get, 16)))),
        p.set(i32.add(p.get, i32.c(32))),
        br(inner),
      ])),
      if_(i32.lt_u(p.get, chunkEnd.get), [
        a.set(i32x4.add(a.get, i32x4.extadd_pairwise_i16x8_u(v128.load(p.get)))),
        p.set(i32.add(p.get, i32.c(16))),
      ]),
      acc.set(i64.add(acc.get, i64.add(lanes(a.get), lanes(b.get)))),
      br(outer),
    ])),
    // Up to seven words, then an odd last byte (the low byte of a little-endian word).
    block(wordsDone, loop(words, [
      br_if(wordsDone, i32.gt_u(i32.add(p.get, i32.c(2)), end.get)),
      acc.set(i64.add(acc.get, i64.extend_i32_u(i32.load16_u(p.get)))),
      p.set(i32.add(p.get, i32.c(2))),
      br(words),
    ])),
    if_(i32.lt_u(p.get, end.get), acc.set(i64.add(acc.get, i64.extend_i32_u(i32.load8_u(p.get))))),
    // End-around carry until 16 bits remain (a non-zero sum never folds to zero).
    s.set(acc.get),
    block(foldDone, loop(fold, [
      br_if(foldDone, i64.eqz(i64.shr_u(s.get, i64.c(16)))),
      s.set(i64.add(i64.and(s.get, i64.c(0xffff)), i64.shr_u(s.get, i64.c(16)))),
      br(fold),
    ])),
    bigEndian
      ? ret(i32.or(i32.shl(i32.and(i32.wrap_i64(s.get), i32.c(0xff)), i32.c(8)), i32.shr_u(i32.wrap_i64(s.get), i32.c(8))))
      : ret(i32.wrap_i64(s.get)),
  ];
  return f;
}

/** A module instance with the checksum function over its own memory. */
export interface ChecksumEngine {
  readonly memory: WebAssembly.Memory;
  /** The whole memory. */
  readonly bytes: Uint8Array;
  /** See the module comment: the folded sum of memory[p, p + n). */
  readonly sum: (p: number, n: number) => number;
}

/** Memory of the standalone engine: 16 pages (1 MiB), for ranges copied in. */
const ENGINE_PAGES = 16;

let engine: ChecksumEngine | null | undefined;

/** The standalone engine, made on first use; undefined where WebAssembly or its SIMD is missing. */
export function checksumEngine(): ChecksumEngine | undefined {
  if (engine === undefined) engine = makeEngine() ?? null;
  return engine ?? undefined;
}

function makeEngine(): ChecksumEngine | undefined {
  try {
    if (typeof WebAssembly === 'undefined') return undefined;
    const m = new Module(ENGINE_PAGES);
    m.add(checksumFunc(), true);
    const bytes = m.bytes();
    if (!WebAssembly.validate(bytes)) return undefined;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    const memory = instance.exports['memory'] as WebAssembly.Memory;
    return { memory, bytes: new Uint8Array(memory.buffer), sum: instance.exports['sum'] as (p: number, n: number) => number };
  } catch {
    // A browser may refuse synchronous compilation, or a policy may forbid WebAssembly: use JS.
    return undefined;
  }
}
