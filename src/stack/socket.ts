/**
 * The Node-style socket API on top of the stack, browser-safe (an event emitter, no node:stream):
 * `TcpSocket` behaves like net.Socket and `TcpServer` like net.Server, so the browser UI and the
 * Node shell (src/stack/node.ts, which wraps these in real Duplex streams) share one
 * implementation.
 *
 * TcpSocket events: 'connect', 'ready', 'data' (Uint8Array), 'end', 'finish', 'close' (hadError),
 * 'error', 'drain', 'timeout', 'readable' (pull mode: data or EOF can be read with read()).
 * Semantics, as in Node:
 *  - write() queues and returns false above the high-water mark ('drain' follows); data goes into
 *    the engine's bounded send buffer as it frees up;
 *  - end() half-closes (FIN after the queued data, RFC 9293 3.10.4); reading goes on;
 *  - with allowHalfOpen false (the default) the socket ends its side when the peer's FIN arrives;
 *  - 'data' flows once a 'data' listener is added or resume() is called; pause() stops taking
 *    bytes from the engine, so its receive window closes and the peer is held back (no unbounded
 *    buffering here);
 *  - destroy() aborts with RST (RFC 9293 3.10.5) unless both directions are already closed, in
 *    which case the connection finishes on its own; destroySoon() ends and then stops reading
 *    (the kernel's close());
 *  - errors: ECONNREFUSED, ECONNRESET, ETIMEDOUT, EADDRINUSE, EADDRNOTAVAIL, ENETUNREACH, EPIPE
 *    (write after end), ENOTFOUND (host not an address literal); 'error' is followed by
 *    'close'(true).
 * Callbacks run inside the stack's flush, not synchronously from the call that caused them (the
 * one exception: in pull mode the read() that finds the end of the stream emits 'end').
 *
 * Invariants: 'close' is emitted exactly once and last; 'end' at most once and only after all data
 * was delivered; bytes are delivered in order, each exactly once.
 */
import { SynackError } from '../errors.js';
import type { TcpConfig } from '../tcp/config.js';
import type { TcpInfo } from '../tcp/connection.js';
import type { TcpCounters, TcpEvent } from '../tcp/events.js';
import { TcpState } from '../tcp/state.js';
import { familyName, formatAddress, parseAddress, type IpAddress } from './address.js';
import { Emitter } from './emitter.js';
import { PacketAllocator } from './slab.js';
import {
  BrokenPipeError,
  ConnectionRefusedError,
  ConnectionResetError,
  HostNotFoundError,
  SocketError,
  TimedOutError,
} from './errors.js';
import type { ConnectionOwner, Listener, Stack, StackConnection } from './stack.js';

/** Default write high-water mark (Node's for sockets). */
export const WRITE_HIGH_WATER_MARK = 16 * 1024;
/** Largest chunk handed to one 'data' event. */
const READ_CHUNK = 64 * 1024;

/**
 * Chunks handed to 'data' and read() are carved from shared slabs (as Node's Buffer pool does for
 * small buffers): a typed array of its own costs a calloc and a GC finalizer, several times the copy
 * of a segment's worth of bytes. A chunk is the caller's to keep; its slab is never reused.
 */
const chunks = new PacketAllocator();

function readChunk(conn: { readonly readableBytes: number; readInto(dst: Uint8Array): number }, max: number): Uint8Array {
  const out = chunks.alloc(Math.min(max, conn.readableBytes));
  conn.readInto(out);
  return out;
}

export type ReadyState = 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed';

export interface SocketEvents {
  connect: [];
  ready: [];
  data: [Uint8Array];
  readable: [];
  end: [];
  finish: [];
  close: [boolean];
  error: [Error];
  drain: [];
  timeout: [];
}

export interface SocketConnectOptions {
  /** An IPv4 or IPv6 address literal (there is no resolver). */
  readonly host: string;
  readonly port: number;
  readonly localAddress?: string;
  readonly localPort?: number;
  readonly allowHalfOpen?: boolean;
  readonly noDelay?: boolean;
  readonly keepAlive?: boolean;
  readonly keepAliveInitialDelay?: number;
  /** Idle timeout in ms ('timeout' event), as socket.setTimeout. */
  readonly timeout?: number;
  /** Engine settings for this connection. */
  readonly tcp?: Partial<TcpConfig>;
}

export interface SocketOptions {
  readonly allowHalfOpen?: boolean;
}

export interface AddressInfo {
  readonly address: string;
  readonly family: 'IPv4' | 'IPv6';
  readonly port: number;
}

interface PendingWrite {
  data: Uint8Array;
  readonly cb: ((err?: Error | null) => void) | undefined;
}

const encoder = new TextEncoder();

function toBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? encoder.encode(data) : data;
}

export class TcpSocket extends Emitter<SocketEvents> implements ConnectionOwner {
  readonly allowHalfOpen: boolean;
  /** True until the handshake completes (or fails). */
  connecting = false;
  destroyed = false;
  bytesRead = 0;
  bytesWritten = 0;
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  remoteFamily: 'IPv4' | 'IPv6' | undefined;
  localAddress: string | undefined;
  localPort: number | undefined;

  private binding: StackConnection | undefined;
  private flowing: boolean | null = null;
  private writeQueue: PendingWrite[] = [];
  private queuedBytes = 0;
  private needDrain = false;
  private ending = false;
  private finished = false;
  private finAcked = false;
  private endEmitted = false;
  private engineDone = false;
  private closeEmitted = false;
  private readableSignalled = false;
  private timeoutMs = 0;
  private lastActivity = 0;
  private noDelay: boolean | undefined;
  private keepAlive: { enable: boolean; delay: number } | undefined;
  private readonly host: Pick<Stack, 'defer' | 'now' | 'openConnection'>;

  /** @internal use stack.connect() or a server's 'connection' event. */
  constructor(host: Pick<Stack, 'defer' | 'now' | 'openConnection'>, options: SocketOptions = {}, binding?: StackConnection) {
    super();
    this.host = host;
    this.allowHalfOpen = options.allowHalfOpen ?? false;
    if (binding !== undefined) this.bind(binding);
  }

  // ------------------------------------------------------------------------------------------
  // Connecting

  /** @internal */
  connect(o: SocketConnectOptions, onConnect?: () => void): this {
    if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) {
      throw new SynackError('ERR_SOCKET_BAD_PORT', `port should be >= 1 and < 65536, got ${String(o.port)}`);
    }
    if (onConnect !== undefined) this.once('connect', onConnect);
    if (o.timeout !== undefined) this.setTimeout(o.timeout);
    if (o.noDelay !== undefined) this.noDelay = o.noDelay;
    if (o.keepAlive === true) this.keepAlive = { enable: true, delay: o.keepAliveInitialDelay ?? 0 };
    this.connecting = true;
    const remote = parseAddress(o.host);
    if (remote === undefined) {
      this.failSoon(new HostNotFoundError({ syscall: 'getaddrinfo', address: o.host, detail: 'not an IP address literal; this stack has no resolver' }));
      return this;
    }
    let local: IpAddress | undefined;
    if (o.localAddress !== undefined) {
      local = parseAddress(o.localAddress);
      if (local === undefined) throw new SynackError('ERR_INVALID_IP_ADDRESS', `invalid local address: ${o.localAddress}`);
    }
    try {
      const b = this.host.openConnection({
        remoteAddress: remote,
        remotePort: o.port,
        ...(local !== undefined ? { localAddress: local } : {}),
        ...(o.localPort !== undefined ? { localPort: o.localPort } : {}),
        ...(o.tcp !== undefined ? { tcp: o.tcp } : {}),
      });
      this.bind(b);
    } catch (err) {
      if (err instanceof SocketError) this.failSoon(err);
      else throw err;
    }
    return this;
  }

  private bind(b: StackConnection): void {
    this.binding = b;
    this.remoteAddress = formatAddress(b.remoteAddress);
    this.remotePort = b.remotePort;
    this.remoteFamily = familyName(b.remoteAddress);
    this.localAddress = formatAddress(b.localAddress);
    this.localPort = b.localPort;
    this.lastActivity = b.now();
    if (this.noDelay !== undefined) b.conn.setNoDelay(this.noDelay);
    if (this.keepAlive !== undefined) this.applyKeepAlive();
    b.attach(this);
    if (this.timeoutMs > 0) this.armTimer();
  }

  private failSoon(err: Error): void {
    this.host.defer(() => this.finalize(err));
  }

  // ------------------------------------------------------------------------------------------
  // Status

  /** Node's readyState. */
  get readyState(): ReadyState {
    if (this.connecting) return 'opening';
    const r = this.readable;
    const w = this.writable;
    if (r && w) return 'open';
    if (r) return 'readOnly';
    if (w) return 'writeOnly';
    return 'closed';
  }

  get readable(): boolean {
    return !this.destroyed && !this.endEmitted && this.binding !== undefined;
  }

  get writable(): boolean {
    return !this.destroyed && !this.ending && this.binding !== undefined;
  }

  /** True before the connection is established (Node's `pending`). */
  get pending(): boolean {
    return this.binding === undefined || this.connecting;
  }

  /** Bytes queued in this socket, not yet accepted by the engine's send buffer. */
  get writableLength(): number {
    return this.queuedBytes;
  }

  /** Bytes received and not yet read. */
  get readableLength(): number {
    return this.binding?.conn.readableBytes ?? 0;
  }

  get readableFlowing(): boolean | null {
    return this.flowing;
  }

  get writableEnded(): boolean {
    return this.ending;
  }

  /** The peer's FIN arrived and every byte before it was read. */
  get readableEnded(): boolean {
    return this.endEmitted;
  }

  /** The engine's connection state (CLOSED when there is none). */
  get tcpState(): TcpState {
    return this.binding?.conn.state ?? TcpState.Closed;
  }

  address(): AddressInfo | Record<string, never> {
    const b = this.binding;
    if (b === undefined) return {};
    return { address: formatAddress(b.localAddress), family: familyName(b.localAddress), port: b.localPort };
  }

  /** The engine's STATUS snapshot (RFC 9293 3.10.6), or undefined before binding. */
  tcpInfo(): TcpInfo | undefined {
    return this.binding?.conn.info();
  }

  /** The engine's counters (segments, retransmissions, drops by reason). */
  get tcpCounters(): TcpCounters | undefined {
    return this.binding?.conn.counters;
  }

  // ------------------------------------------------------------------------------------------
  // Writing

  /** Queue data; false when the caller should wait for 'drain'. */
  write(data: Uint8Array | string, cb?: (err?: Error | null) => void): boolean {
    if (this.destroyed || this.ending || this.binding === undefined) {
      const err = new BrokenPipeError({ syscall: 'write', ...this.peer(), detail: this.ending ? 'write after end' : 'socket is closed' });
      this.host.defer(() => {
        cb?.(err);
        if (!this.closeEmitted) this.emit('error', err);
      });
      return false;
    }
    const bytes = toBytes(data);
    this.bytesWritten += bytes.length;
    this.touch();
    this.writeQueue.push({ data: bytes, cb });
    this.queuedBytes += bytes.length;
    this.pump();
    const ok = this.queuedBytes < WRITE_HIGH_WATER_MARK;
    if (!ok) this.needDrain = true;
    return ok;
  }

  /** Half-close: FIN after everything written so far. */
  end(data?: Uint8Array | string | (() => void), cb?: () => void): this {
    if (typeof data === 'function') {
      cb = data;
      data = undefined;
    }
    if (data !== undefined && !this.ending) this.write(data);
    if (cb !== undefined) this.once('finish', cb);
    if (this.ending || this.destroyed) return this;
    this.ending = true;
    this.pump();
    return this;
  }

  /** Move queued writes into the engine; shut down once everything is in and the handshake is done. */
  private pump(): void {
    const b = this.binding;
    if (b === undefined || this.destroyed) return;
    const conn = b.conn;
    let moved = false;
    while (this.writeQueue.length > 0) {
      const w = this.writeQueue[0] as PendingWrite;
      let n: number;
      try {
        n = w.data.length === 0 ? 0 : conn.send(w.data);
      } catch (err) {
        this.finalize(this.engineError(err, 'write'));
        return;
      }
      if (n > 0) moved = true;
      this.queuedBytes -= n;
      if (n < w.data.length) {
        w.data = w.data.subarray(n);
        break;
      }
      this.writeQueue.shift();
      if (w.cb !== undefined) {
        const cb = w.cb;
        this.host.defer(() => cb(null));
      }
    }
    if (moved) b.kick();
    if (this.writeQueue.length === 0) {
      if (this.needDrain) {
        this.needDrain = false;
        this.host.defer(() => {
          if (!this.destroyed) this.emit('drain');
        });
      }
      const st = conn.state;
      if (this.ending && !this.finished && st !== TcpState.SynSent && st !== TcpState.Listen) {
        // RFC 9293 3.10.4: CLOSE in SYN-SENT would delete the connection; Node's end() waits for
        // the connection instead, so the shutdown is issued once ESTABLISHED.
        this.finished = true;
        conn.shutdown();
        b.kick();
        this.host.defer(() => {
          if (!this.closeEmitted) this.emit('finish');
        });
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Reading

  pause(): this {
    this.flowing = false;
    return this;
  }

  resume(): this {
    if (this.flowing === true) return this;
    this.flowing = true;
    this.host.defer(() => this.onReadable());
    return this;
  }

  isPaused(): boolean {
    return this.flowing === false;
  }

  /**
   * Pull mode: up to `max` bytes, or null when nothing is readable now. At the end of the stream it
   * returns null and emits 'end' once.
   */
  read(max = READ_CHUNK): Uint8Array | null {
    const b = this.binding;
    if (b === undefined || this.destroyed) return null;
    this.readableSignalled = false;
    const conn = b.conn;
    if (conn.readableBytes > 0) {
      const chunk = readChunk(conn, Math.max(1, max));
      this.bytesRead += chunk.length;
      this.touch();
      b.kick(); // reading may open the window (a window update)
      return chunk;
    }
    if (conn.eof) this.emitEnd();
    return null;
  }

  /** True when the peer's FIN arrived and all data has been read. */
  get eof(): boolean {
    const c = this.binding?.conn;
    return c !== undefined && c.eof;
  }

  protected override listenerAdded(event: keyof SocketEvents): void {
    if (event === 'data' && this.flowing === null) this.resume();
  }

  private onReadable(): void {
    const b = this.binding;
    if (b === undefined || this.destroyed) return;
    const conn = b.conn;
    if (this.flowing === true) {
      let took = false;
      while (this.flowing === true && !this.destroyed && conn.readableBytes > 0) {
        const chunk = readChunk(conn, READ_CHUNK);
        took = true;
        this.bytesRead += chunk.length;
        this.touch();
        this.emit('data', chunk);
      }
      if (took) b.kick();
      if (this.flowing === true && conn.eof) this.emitEnd();
    } else if ((conn.readableBytes > 0 || conn.eof) && !this.readableSignalled) {
      this.readableSignalled = true;
      this.emit('readable');
    }
    this.maybeClose();
  }

  private emitEnd(): void {
    if (this.endEmitted || this.destroyed) return;
    this.endEmitted = true;
    this.emit('end');
    if (!this.allowHalfOpen) this.end();
    this.maybeClose();
  }

  // ------------------------------------------------------------------------------------------
  // Closing

  /**
   * Abort: RST (RFC 9293 3.10.5), queued data discarded, 'error' (when `err` is given) and 'close'.
   * When both directions are already closed (our FIN sent, the peer's FIN read), no RST: the
   * connection finishes on its own.
   */
  destroy(err?: Error): this {
    if (this.destroyed) return this;
    const b = this.binding;
    if (b !== undefined) {
      const graceful = this.finished && this.endEmitted;
      if (graceful || b.conn.isClosed) b.release();
      else b.abort();
    }
    this.finalize(err ?? null);
    return this;
  }

  /** End, and once everything is handed to the engine stop reading and let the connection finish. */
  destroySoon(): void {
    if (this.destroyed) return;
    const closeRead = (): void => {
      const b = this.binding;
      if (b === undefined || this.destroyed) return;
      // The kernel's close(): FIN queued; data arriving from now on is answered with RST (SHLD-3).
      b.conn.close(b.now());
      b.kick();
      b.release();
      this.finalize(null);
    };
    if (this.finished) this.host.defer(closeRead);
    else {
      this.once('finish', closeRead);
      this.end();
    }
  }

  /** Terminal: release the connection (if any), fail queued writes, emit 'error' and 'close'. */
  private finalize(err: Error | null): void {
    if (this.closeEmitted) return;
    this.closeEmitted = true;
    this.destroyed = true;
    this.connecting = false;
    const b = this.binding;
    if (b !== undefined) {
      b.setTimer(Infinity);
      if (!b.conn.isClosed) b.release();
    }
    const pending = this.writeQueue;
    this.writeQueue = [];
    this.queuedBytes = 0;
    // As in Node, 'error' and 'close' come after the call that caused them has returned.
    this.host.defer(() => {
      if (pending.length > 0) {
        const perr = err ?? new BrokenPipeError({ syscall: 'write', ...this.peer(), detail: 'socket closed with data queued' });
        for (const w of pending) w.cb?.(perr);
      }
      if (err !== null) this.emit('error', err);
      this.emit('close', err !== null);
    });
  }

  private maybeClose(): void {
    if (this.closeEmitted) return;
    const writeDone = this.finAcked || this.engineDone;
    if (this.endEmitted && this.finished && writeDone) this.finalize(null);
    else if (this.engineDone && this.endEmitted && this.binding?.conn.isClosed) this.finalize(null);
  }

  private peer(): { address?: string; port?: number } {
    return {
      ...(this.remoteAddress !== undefined ? { address: this.remoteAddress } : {}),
      ...(this.remotePort !== undefined ? { port: this.remotePort } : {}),
    };
  }

  private engineError(err: unknown, syscall: string): Error {
    if (err instanceof SynackError) {
      const d = { syscall, ...this.peer() };
      switch (err.code) {
        case 'ERR_SYNACK_CONN_REFUSED':
          return new ConnectionRefusedError({ ...d, syscall: 'connect' });
        case 'ERR_SYNACK_CONN_RESET':
          return new ConnectionResetError(d);
        case 'ERR_SYNACK_TIMED_OUT':
          return new TimedOutError(d);
        default:
          return new BrokenPipeError({ ...d, detail: err.message });
      }
    }
    return err instanceof Error ? err : new Error(String(err));
  }

  // ------------------------------------------------------------------------------------------
  // Options

  /** Nagle off (true, the default argument) or on (MUST-17). */
  setNoDelay(noDelay = true): this {
    this.noDelay = noDelay;
    this.binding?.conn.setNoDelay(noDelay);
    // Nagle off may let queued data go now: flush (and re-read the engine's deadline).
    this.binding?.kick();
    return this;
  }

  /** Keep-alives (MAY-5, MUST-24); `initialDelay` ms of idleness before the first probe (0: the engine's default). */
  setKeepAlive(enable = false, initialDelay = 0): this {
    this.keepAlive = { enable, delay: initialDelay };
    this.applyKeepAlive();
    return this;
  }

  private applyKeepAlive(): void {
    const b = this.binding;
    const k = this.keepAlive;
    if (b === undefined || k === undefined) return;
    b.conn.setKeepAlive(k.enable, k.delay > 0 ? k.delay : undefined, b.now());
    b.kick();
  }

  /** Emit 'timeout' after `ms` without activity (0 disables). The socket stays open. */
  setTimeout(ms: number, cb?: () => void): this {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new SynackError('ERR_OUT_OF_RANGE', `timeout must be a finite number >= 0, got ${ms}`);
    this.timeoutMs = ms;
    if (cb !== undefined) {
      if (ms === 0) this.off('timeout', cb);
      else this.once('timeout', cb);
    }
    if (this.binding !== undefined) {
      this.lastActivity = this.binding.now();
      this.armTimer();
    }
    return this;
  }

  private touch(): void {
    const b = this.binding;
    if (b === undefined) return;
    this.lastActivity = b.now();
    if (this.timeoutMs > 0 && b.appTimerAt === Infinity) this.armTimer();
  }

  private armTimer(): void {
    const b = this.binding;
    if (b === undefined || this.destroyed) return;
    b.setTimer(this.timeoutMs > 0 ? this.lastActivity + this.timeoutMs : Infinity);
  }

  /** @internal ConnectionOwner */
  onTimer(now: number): void {
    if (this.destroyed || this.timeoutMs <= 0) return;
    const due = this.lastActivity + this.timeoutMs;
    if (now >= due) {
      // Once per idle period; activity re-arms it (as Node's socket timeout).
      this.emit('timeout');
    } else {
      this.binding?.setTimer(due);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Engine events

  /** @internal ConnectionOwner */
  handleEvent(e: TcpEvent): void {
    if (this.closeEmitted) return;
    switch (e.type) {
      case 'connected':
        if (this.connecting) {
          this.connecting = false;
          this.touch();
          this.emit('connect');
          this.emit('ready');
        }
        this.pump();
        return;
      case 'readable':
        this.onReadable();
        return;
      case 'peer-closed':
        this.onReadable();
        return;
      case 'writable':
        this.pump();
        return;
      case 'fin-acked':
        this.finAcked = true;
        this.maybeClose();
        return;
      case 'closed':
        this.engineDone = true;
        this.onReadable();
        this.maybeClose();
        if (!this.closeEmitted && (this.binding?.conn.readableBytes ?? 0) === 0) {
          // Closed without our help (our own abort, or a TIME-WAIT that ran out before 'end'):
          // nothing more will come.
          if (this.binding?.conn.eof === true) this.emitEnd();
          this.finalize(null);
        }
        return;
      case 'reset': {
        const d = { ...this.peer() };
        this.finalize(e.reason === 'refused' ? new ConnectionRefusedError({ syscall: 'connect', ...d }) : new ConnectionResetError({ syscall: 'read', ...d }));
        return;
      }
      case 'timed-out':
        this.finalize(new TimedOutError({ syscall: this.connecting ? 'connect' : 'read', ...this.peer(), detail: e.reason }));
        return;
      default:
        return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Server

export interface ServerOptions {
  /** Default false: sockets end their side when the peer's FIN arrives. */
  readonly allowHalfOpen?: boolean;
  /** Engine settings for accepted connections. */
  readonly tcp?: Partial<TcpConfig>;
  /** Half-open plus not-yet-accepted connections (default: the stack's, 128). */
  readonly backlog?: number;
}

export interface ListenArgs {
  readonly port?: number;
  readonly host?: string;
  readonly backlog?: number;
}

export interface ServerEvents {
  connection: [TcpSocket];
  listening: [];
  close: [];
  error: [Error];
}

export class TcpServer extends Emitter<ServerEvents> {
  private listener: Listener | undefined;
  private readonly sockets = new Set<TcpSocket>();
  private closing = false;
  private closeEmitted = false;

  /** @internal use stack.createServer() */
  constructor(
    private readonly stack: Stack,
    private readonly options: ServerOptions,
    handler?: (socket: TcpSocket) => void,
  ) {
    super();
    if (handler !== undefined) this.on('connection', handler);
  }

  get listening(): boolean {
    return this.listener !== undefined && !this.listener.closed;
  }

  /** listen(port?, cb?) or listen({ port, host, backlog }, cb?). 'listening' or 'error' (EADDRINUSE) follows. */
  listen(port?: number | ListenArgs, cb?: () => void): this {
    const args: ListenArgs = typeof port === 'object' ? port : port !== undefined ? { port } : {};
    if (cb !== undefined) this.once('listening', cb);
    if (this.listener !== undefined) throw new SynackError('ERR_SERVER_ALREADY_LISTEN', 'listen() called on a server that is already listening');
    let address: IpAddress | undefined;
    if (args.host !== undefined) {
      address = parseAddress(args.host);
      if (address === undefined) throw new SynackError('ERR_INVALID_IP_ADDRESS', `invalid listen address: ${args.host}`);
    }
    try {
      const backlog = args.backlog ?? this.options.backlog;
      const l = this.stack.listen({
        ...(args.port !== undefined ? { port: args.port } : {}),
        ...(address !== undefined ? { address } : {}),
        ...(backlog !== undefined ? { backlog } : {}),
        ...(this.options.tcp !== undefined ? { tcp: this.options.tcp } : {}),
      });
      this.listener = l;
      l.onAcceptable = () => this.acceptAll();
      this.stack.defer(() => this.emit('listening'));
    } catch (err) {
      if (err instanceof SocketError) this.stack.defer(() => this.emit('error', err));
      else throw err;
    }
    return this;
  }

  private acceptAll(): void {
    const l = this.listener;
    if (l === undefined) return;
    for (let b = l.accept(); b !== undefined; b = l.accept()) {
      const s = new TcpSocket(this.stack, { allowHalfOpen: this.options.allowHalfOpen ?? false }, b);
      this.sockets.add(s);
      s.once('close', () => {
        this.sockets.delete(s);
        this.maybeEmitClose();
      });
      this.emit('connection', s);
    }
  }

  /** Stop accepting; 'close' once every accepted socket has closed. Pending handshakes are reset. */
  close(cb?: (err?: Error) => void): this {
    if (cb !== undefined) this.once('close', () => cb());
    if (this.closing) return this;
    this.closing = true;
    this.listener?.close();
    this.stack.defer(() => this.maybeEmitClose());
    return this;
  }

  private maybeEmitClose(): void {
    if (this.closing && !this.closeEmitted && this.sockets.size === 0) {
      this.closeEmitted = true;
      this.emit('close');
    }
  }

  address(): AddressInfo | null {
    const l = this.listener;
    if (l === undefined || l.closed) return null;
    const a = l.address;
    if (a === undefined) return { address: '::', family: 'IPv6', port: l.port };
    return { address: formatAddress(a), family: familyName(a), port: l.port };
  }

  /** Number of accepted sockets not yet closed. */
  get connectionCount(): number {
    return this.sockets.size;
  }

  getConnections(cb: (err: Error | null, count: number) => void): this {
    this.stack.defer(() => cb(null, this.sockets.size));
    return this;
  }
}
