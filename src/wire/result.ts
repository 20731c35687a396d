/**
 * Results and errors of the wire codecs.
 *
 * Parsing never throws on bad input: every `parseX` returns a `ParseResult`, either the value or a
 * `WireError` carrying a stable `code`, a one-line message and the byte `offset` (relative to the
 * start of the bytes that were handed to the parser) where the problem sits. Emitting throws a
 * `WireError` only on programmer error (a repr field out of range, a buffer too small).
 */
import { SynackError } from '../errors.js';

/** Stable error codes of the wire layer. Callers switch on these; messages may change. */
export const WireErrorCode = {
  /** The bytes end before the header, or before what a length field promises. */
  TRUNCATED: 'ERR_SYNACK_WIRE_TRUNCATED',
  /** A version field that is not the protocol's (IPv4 packet with version 6, ...). */
  BAD_VERSION: 'ERR_SYNACK_WIRE_BAD_VERSION',
  /** A header-length field below the minimum (IPv4 IHL < 5, TCP data offset < 5, ...). */
  BAD_HEADER_LENGTH: 'ERR_SYNACK_WIRE_BAD_HEADER_LENGTH',
  /** A total/payload length field that contradicts the header (IPv4 total length < IHL*4, UDP length < 8). */
  BAD_LENGTH: 'ERR_SYNACK_WIRE_BAD_LENGTH',
  /** A checksum that does not verify. */
  BAD_CHECKSUM: 'ERR_SYNACK_WIRE_BAD_CHECKSUM',
  /** An option with an illegal length (RFC 9293 MUST-7), or an option list that cannot be walked. */
  BAD_OPTION: 'ERR_SYNACK_WIRE_BAD_OPTION',
  /** An IPv6 extension-header chain that breaks a rule of RFC 8200 (hop-by-hop not first, ...). */
  BAD_EXTENSION_HEADER: 'ERR_SYNACK_WIRE_BAD_EXTENSION_HEADER',
  /** Text that is not an address of the expected family. */
  BAD_ADDRESS: 'ERR_SYNACK_WIRE_BAD_ADDRESS',
  /** emit: the buffer is smaller than `bufferLength(repr)`. */
  BUFFER_TOO_SMALL: 'ERR_SYNACK_WIRE_BUFFER_TOO_SMALL',
  /** emit: a repr field is out of the range its wire field can hold. */
  INVALID_REPR: 'ERR_SYNACK_WIRE_INVALID_REPR',
} as const;

export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode];

/** A problem in packet bytes (or in a repr handed to emit), with where it is. */
export class WireError extends SynackError {
  declare readonly code: WireErrorCode;
  /** Byte offset of the problem from the start of the parsed bytes; -1 when not about bytes. */
  readonly offset: number;
  constructor(code: WireErrorCode, message: string, offset: number) {
    super(code, message);
    this.name = 'WireError';
    this.offset = offset;
  }

  /** The same error seen from an enclosing buffer that starts `by` bytes earlier. */
  shifted(by: number): WireError {
    return by === 0 || this.offset < 0 ? this : new WireError(this.code, this.message, this.offset + by);
  }
}

export type ParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: WireError };

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function fail(code: WireErrorCode, message: string, offset: number): { readonly ok: false; readonly error: WireError } {
  return { ok: false, error: new WireError(code, message, offset) };
}

/** Unwrap a result or throw its error (for callers that treat bad input as exceptional). */
export function unwrap<T>(r: ParseResult<T>): T {
  if (r.ok) return r.value;
  throw r.error;
}
