/**
 * Exact conversion between pcapng 64-bit timestamps (two 32-bit halves counting units of
 * 1/base^exponent seconds, if_tsresol) and whole seconds plus nanoseconds.
 *
 * Invariant: results are exact integers — floor(ticks / unitsPerSec) seconds and
 * floor(remainder * 1e9 / unitsPerSec) nanoseconds — computed without ever forming a double above
 * 2^53 (16-bit long division); resolutions beyond 2^37 units per second fall back to BigInt.
 * Seconds themselves are exact while below 2^53 (year ~285 million).
 */
import type { TimestampResolution } from './types.js';

const TWO16 = 0x10000;
const TWO32 = 0x100000000;

/** Precomputed conversion for one interface's resolution. */
export interface TickConverter {
  readonly unitsPerSec: number;
  /** Convert ticks (hi, lo) and store the result in `out`. */
  convert(hi: number, lo: number, out: { sec: number; nsec: number }): void;
}

/** The if_tsresol option byte: MSB clear = 10^-n seconds, MSB set = 2^-n seconds (n = low 7 bits). */
export function resolutionFromByte(b: number): TimestampResolution {
  return (b & 0x80) !== 0 ? { base: 2, exponent: b & 0x7f } : { base: 10, exponent: b };
}

export function makeTickConverter(res: TimestampResolution): TickConverter {
  const unitsBig = BigInt(res.base) ** BigInt(res.exponent);
  const unitsPerSec = Number(unitsBig);
  if (unitsPerSec <= 2 ** 37) {
    const u = unitsPerSec;
    // nanoseconds from a remainder r < u: exact multiply when u divides 1e9, or when r * 1e9 stays
    // below 2^53 (u <= 2^23); otherwise BigInt.
    const nsMul = 1e9 % u === 0 ? 1e9 / u : 0;
    const small = u <= 2 ** 23;
    return {
      unitsPerSec,
      convert(hi, lo, out) {
        // 64-bit by <=37-bit long division in 16-bit digits: every partial stays below 2^53.
        let r = hi >>> 16;
        const q3 = Math.floor(r / u);
        r = (r - q3 * u) * TWO16 + (hi & 0xffff);
        const q2 = Math.floor(r / u);
        r = (r - q2 * u) * TWO16 + (lo >>> 16);
        const q1 = Math.floor(r / u);
        r = (r - q1 * u) * TWO16 + (lo & 0xffff);
        const q0 = Math.floor(r / u);
        r -= q0 * u;
        out.sec = ((q3 * TWO16 + q2) * TWO16 + q1) * TWO16 + q0;
        out.nsec =
          nsMul !== 0 ? r * nsMul : small ? Math.floor((r * 1e9) / u) : Number((BigInt(r) * 1_000_000_000n) / unitsBig);
      },
    };
  }
  return {
    unitsPerSec,
    convert(hi, lo, out) {
      const t = (BigInt(hi) << 32n) | BigInt(lo);
      const r = t % unitsBig;
      out.sec = Number(t / unitsBig);
      out.nsec = Number((r * 1_000_000_000n) / unitsBig);
    },
  };
}

/** Split sec * 1e9 + nsec (0 <= sec < 2^39, 0 <= nsec < 1e9) into 32-bit halves of a nanosecond count. */
export function nanosToTicks(sec: number, nsec: number): { hi: number; lo: number } {
  const sh = Math.floor(sec / TWO16);
  const sl = sec - sh * TWO16;
  const x = sl * 1e9 + nsec; // < 2^47
  const y = sh * 1e9; // counts units of 2^16; < 2^53 for sec < 2^39
  const yHi = Math.floor(y / TWO16);
  const t = (y - yHi * TWO16) * TWO16 + x; // < 2^48
  const carry = Math.floor(t / TWO32);
  return { hi: yHi + carry, lo: t - carry * TWO32 };
}
