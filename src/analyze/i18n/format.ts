/**
 * Number formatting shared by the languages of `synack explain` and of ladder diagrams: a duration
 * split into a value and a unit (each language writes its own decimal separator and unit names), a
 * percentage, milliseconds with three decimals, a TTL that may be unknown.
 *
 * Invariant: the value is the duration rounded to at most three decimals in its unit, trailing
 * zeros removed, with '.' as the decimal separator; never "NaN" (non-finite input gives "0").
 */

export interface DurationParts {
  readonly value: string;
  readonly unit: 'µs' | 'ms' | 's';
}

function trim(x: string): string {
  return x.includes('.') ? x.replace(/0+$/, '').replace(/\.$/, '') : x;
}

/** Seconds as a value and unit: 0.000037 -> 37 µs, 0.7085 -> 708.5 ms, 2.5 -> 2.5 s. */
export function durationParts(seconds: number): DurationParts {
  const s = Number.isFinite(seconds) && seconds > 0 ? seconds : 0;
  if (s < 0.001) return { value: trim((s * 1e6).toFixed(1)), unit: 'µs' };
  if (s < 1) return { value: trim((s * 1e3).toFixed(3)), unit: 'ms' };
  return { value: trim(s.toFixed(3)), unit: 's' };
}

/** A share in percent with one decimal ('.' separator). */
export function percent(part: number, whole: number): string {
  return ((100 * part) / Math.max(1, whole)).toFixed(1);
}

/** Seconds as milliseconds with three decimals ("708.400"), with the language's decimal separator. */
export function millis(seconds: number, decimalComma = false): string {
  const v = (seconds * 1000).toFixed(3);
  return decimalComma ? v.replace('.', ',') : v;
}

/** A TTL, or a dash when none was seen. */
export function ttlText(t: number | null): string {
  return t === null ? '–' : String(t);
}
