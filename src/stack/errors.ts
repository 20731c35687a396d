/**
 * Errors of the socket API, shaped like Node's system errors so code written against net.Socket
 * keeps working: `code` is the errno name ('ECONNREFUSED', ...), `errno` the negative Linux number
 * Node uses, `syscall` the operation, and `address`/`port` when known. Messages follow Node's
 * format: "connect ECONNREFUSED 10.0.0.2:80".
 *
 * Every class extends SynackError, so `err.code` is stable for callers and the CLI. Every code but
 * ECONNABORTED (a plain SocketError) has a class of its own that fixes the code and the name.
 */
import { SynackError } from '../errors.js';

export type SocketErrorCode =
  | 'ECONNREFUSED'
  | 'ECONNRESET'
  | 'ETIMEDOUT'
  | 'EADDRINUSE'
  | 'EADDRNOTAVAIL'
  | 'ENETUNREACH'
  | 'EPIPE'
  | 'ENOTFOUND'
  | 'ECONNABORTED';

/** Negative errno values as Node reports them on Linux (ENOTFOUND is a getaddrinfo error). */
const ERRNO: Record<SocketErrorCode, number> = {
  ECONNREFUSED: -111,
  ECONNRESET: -104,
  ETIMEDOUT: -110,
  EADDRINUSE: -98,
  EADDRNOTAVAIL: -99,
  ENETUNREACH: -101,
  EPIPE: -32,
  ENOTFOUND: -3008,
  ECONNABORTED: -103,
};

export interface SocketErrorDetails {
  readonly syscall: string;
  readonly address?: string;
  readonly port?: number;
  /** Extra words after the standard message. */
  readonly detail?: string;
}

export class SocketError extends SynackError {
  declare readonly code: SocketErrorCode;
  readonly errno: number;
  readonly syscall: string;
  readonly address: string | undefined;
  readonly port: number | undefined;

  constructor(code: SocketErrorCode, d: SocketErrorDetails) {
    const where = d.address !== undefined ? ` ${d.address}${d.port !== undefined ? `:${d.port}` : ''}` : '';
    super(code, `${d.syscall} ${code}${where}${d.detail !== undefined ? ` (${d.detail})` : ''}`);
    this.name = 'SocketError';
    this.errno = ERRNO[code];
    this.syscall = d.syscall;
    this.address = d.address;
    this.port = d.port;
  }
}

/**
 * The base of the classes below, which differ only in their code and name: a SocketError with
 * that code, built from the details alone. Each class still is a class of its own (instanceof,
 * `constructor.name`); `name` is set from a string, so it survives minified browser bundles.
 */
function fixedCode<C extends SocketErrorCode>(code: C, name: string): new (d: SocketErrorDetails) => SocketError & { readonly code: C } {
  return class extends SocketError {
    declare readonly code: C;
    constructor(d: SocketErrorDetails) {
      super(code, d);
      this.name = name;
    }
  };
}

/** The peer answered our SYN with a RST: nothing listens there (RFC 9293 3.10.7.3). */
export class ConnectionRefusedError extends fixedCode('ECONNREFUSED', 'ConnectionRefusedError') {}

/** A RST arrived on a synchronized connection (RFC 9293 3.10.7.4). */
export class ConnectionResetError extends fixedCode('ECONNRESET', 'ConnectionResetError') {}

/** Retransmissions, keep-alives or the user timeout gave up (RFC 9293 MUST-20, 3.10.8). */
export class TimedOutError extends fixedCode('ETIMEDOUT', 'TimedOutError') {}

/** The port (or 4-tuple) is taken. */
export class AddressInUseError extends fixedCode('EADDRINUSE', 'AddressInUseError') {}

/** No local address or free ephemeral port for the connection. */
export class AddressNotAvailableError extends fixedCode('EADDRNOTAVAIL', 'AddressNotAvailableError') {}

/** No interface of the destination's address family. */
export class NetworkUnreachableError extends fixedCode('ENETUNREACH', 'NetworkUnreachableError') {}

/** Write after end(), or after the connection went away. */
export class BrokenPipeError extends fixedCode('EPIPE', 'BrokenPipeError') {}

/** The host is not an IP address literal (this stack has no resolver). */
export class HostNotFoundError extends fixedCode('ENOTFOUND', 'HostNotFoundError') {}
