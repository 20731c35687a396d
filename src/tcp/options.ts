/**
 * TCP option helpers for the engine: find the options it understands in a segment's option list and
 * build the lists it sends. Options are received in any segment and unknown kinds are ignored
 * (RFC 9293 3.1, MUST-5, MUST-6); the list comes from the codec in wire order, so alignment never
 * matters here (MUST-64). The codec pads the emitted list with zeros (MUST-69).
 *
 * Invariant: every function is total on any option list, including duplicates (the first wins, as
 * in Linux) and out-of-range values (clamped by the caller where the RFC says so).
 */
import type { TcpOption } from '../wire/tcp.js';

// The finders live with the codec (src/wire/tcp.ts); the engine uses them through this module.
export { findMss, findSackBlocks, findTimestamps, findWindowScale, hasSackPermitted } from '../wire/tcp.js';

/** Bytes one option takes on the wire (kind + length + value). */
export function optionLength(o: TcpOption): number {
  switch (o.name) {
    case 'eol':
    case 'nop':
      return 1;
    case 'mss':
      return 4;
    case 'wscale':
      return 3;
    case 'sackPermitted':
      return 2;
    case 'sack':
      return 2 + 8 * o.blocks.length;
    case 'timestamps':
      return 10;
    case 'unknown':
      return 2 + o.data.length;
  }
}

/** Bytes an option list takes in the header, padded to a multiple of 4 (RFC 9293 3.1). */
export function optionsLength(options: readonly TcpOption[]): number {
  let n = 0;
  for (const o of options) n += optionLength(o);
  return (n + 3) & ~3;
}

export const NOP: TcpOption = { kind: 1, name: 'nop' };

/** What the engine offers in its SYN or SYN-ACK. */
export interface SynOptionParams {
  readonly mss: number;
  /** Our window-scale shift, or undefined to not offer window scaling. */
  readonly windowScale: number | undefined;
  readonly sackPermitted: boolean;
  /** TSval/TSecr, or undefined to not offer timestamps. */
  readonly timestamps: { readonly tsval: number; readonly tsecr: number } | undefined;
}

/**
 * The SYN option list in the order Linux uses (MSS, SACK-permitted, timestamps, NOP, window scale),
 * which packs into 20 bytes with everything present. The MSS option is always sent (MAY-3).
 */
export function synOptions(p: SynOptionParams): TcpOption[] {
  const out: TcpOption[] = [{ kind: 2, name: 'mss', mss: p.mss }];
  if (p.sackPermitted && p.timestamps) {
    out.push({ kind: 4, name: 'sackPermitted' });
    out.push({ kind: 8, name: 'timestamps', tsval: p.timestamps.tsval, tsecr: p.timestamps.tsecr });
  } else if (p.timestamps) {
    out.push(NOP, NOP, { kind: 8, name: 'timestamps', tsval: p.timestamps.tsval, tsecr: p.timestamps.tsecr });
  } else if (p.sackPermitted) {
    out.push(NOP, NOP, { kind: 4, name: 'sackPermitted' });
  }
  if (p.windowScale !== undefined) out.push(NOP, { kind: 3, name: 'wscale', shift: p.windowScale });
  return out;
}
