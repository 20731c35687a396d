/**
 * TCP option helpers for the engine: find the options it understands in a segment's option list and
 * build the lists it sends. Options are received in any segment and unknown kinds are ignored
 * (RFC 9293 3.1, MUST-5, MUST-6); the list comes from the codec in wire order, so alignment never
 * matters here (MUST-64). The codec pads the emitted list with zeros (MUST-69).
 *
 * Invariant: every function is total on any option list, including duplicates (the first wins, as
 * in Linux) and out-of-range values (clamped by the caller where the RFC says so).
 */
import { buildTcpOptions, tcpOptionsLength, type TcpOption } from '../wire/tcp.js';

// The finders live with the codec (src/wire/tcp.ts); the engine uses them through this module.
export { findMss, findSackBlocks, findTimestamps, findWindowScale, hasSackPermitted } from '../wire/tcp.js';

/** Bytes an option list takes in the header, padded to a multiple of 4 (RFC 9293 3.1). */
export function optionsLength(options: readonly TcpOption[]): number {
  return (tcpOptionsLength(options) + 3) & ~3;
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
  return buildTcpOptions({
    mss: p.mss,
    sackPermitted: p.sackPermitted,
    ...(p.timestamps !== undefined ? { timestamps: p.timestamps } : {}),
    ...(p.windowScale !== undefined ? { windowScale: p.windowScale } : {}),
  });
}
