/**
 * TCP header (RFC 9293 section 3.1): flags, options, and the repr shared by the codec and the engine.
 *
 * The repr is a plain value: `seq`, `ack` are raw 32-bit numbers; `window` is the raw 16-bit field
 * (unscaled); `options` keeps every option in wire order, unknown kinds as raw bytes, so that
 * emit(parse(x)) reproduces x.
 *
 * (Types only so far; the view, parse and emit are being written.)
 */

/** Flag bits as they sit in the low 9 bits of bytes 12-13 (AE is RFC 9293's former NS bit). */
export const TcpFlag = {
  FIN: 0x001,
  SYN: 0x002,
  RST: 0x004,
  PSH: 0x008,
  ACK: 0x010,
  URG: 0x020,
  ECE: 0x040,
  CWR: 0x080,
  AE: 0x100,
} as const;

export interface SackBlock {
  readonly left: number;
  readonly right: number;
}

/** One TCP option. Names are also the `name` values in `synack decode --json`. */
export type TcpOption =
  | { readonly kind: 0; readonly name: 'eol' }
  | { readonly kind: 1; readonly name: 'nop' }
  | { readonly kind: 2; readonly name: 'mss'; readonly mss: number }
  | { readonly kind: 3; readonly name: 'wscale'; readonly shift: number }
  | { readonly kind: 4; readonly name: 'sackPermitted' }
  | { readonly kind: 5; readonly name: 'sack'; readonly blocks: readonly SackBlock[] }
  | { readonly kind: 8; readonly name: 'timestamps'; readonly tsval: number; readonly tsecr: number }
  | { readonly kind: number; readonly name: 'unknown'; readonly data: Uint8Array };

/** A TCP segment as a plain value. */
export interface TcpRepr {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  /** OR of TcpFlag bits (9 bits). */
  readonly flags: number;
  /** The raw 16-bit window field, before any window-scale shift. */
  readonly window: number;
  readonly urgentPointer: number;
  readonly options: readonly TcpOption[];
  readonly payload: Uint8Array;
}
