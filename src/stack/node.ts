/**
 * The Node shell of the stack: real `stream.Duplex` sockets and an EventEmitter server over the
 * browser-safe core (socket.ts), so code written for `net.Socket` / `net.Server` runs on synack:
 *
 *   const net = new NodeNet(stack);
 *   const server = net.createServer((sock) => sock.pipe(sock)).listen(7);
 *   const sock = net.connect({ host: '10.0.0.2', port: 7 }, () => sock.end('hello'));
 *
 * Flow control is stream backpressure end to end: `_read` pulls from the engine only while the
 * readable side wants data (so an unread socket lets the engine's receive window close and the
 * peer stops), and `_write` completes only when the engine's bounded send buffer has taken the
 * chunk. Also here: a crypto-backed random source and ISN key for real use (the core takes them
 * injected), and a helper that runs a stack on a real-time scheduler.
 *
 * Invariants: 'close' is emitted once, after 'end'/'finish' or the error; at most one chunk per
 * socket is buffered outside the engine and the Duplex's own high-water marks.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import type { Link } from '../link/link.js';
import { MemoryPair, type MemoryPairOptions } from '../link/memory.js';
import type { TcpConfig } from '../tcp/config.js';
import { RealtimeScheduler } from '../link/scheduler.js';
import { StackDriver } from './driver.js';
import { BrokenPipeError } from './errors.js';
import { Stack, type RandomSource, type StackOptions } from './stack.js';
import type { AddressInfo, ListenArgs, ReadyState, ServerOptions, SocketConnectOptions, TcpServer, TcpSocket } from './socket.js';

/** Random numbers from node:crypto, drawn in batches. */
export class CryptoRandom implements RandomSource {
  private pool = new Uint32Array(0);
  private i = 0;
  nextU32(): number {
    if (this.i >= this.pool.length) {
      const b = randomBytes(1024);
      this.pool = new Uint32Array(b.buffer, b.byteOffset, 256);
      this.i = 0;
    }
    return this.pool[this.i++] as number;
  }
}

/** A stack with crypto randomness and a fresh secret ISN key (MUST-9). */
export function createNodeStack(options: Omit<StackOptions, 'random' | 'isnKey'> & Partial<Pick<StackOptions, 'random' | 'isnKey'>>): Stack {
  return new Stack({ random: new CryptoRandom(), isnKey: new Uint8Array(randomBytes(16)), ...options });
}

/** Run `stack` on the host clock over `links` (interface i on links[i]). */
export function runRealtime(stack: Stack, links: readonly Link[], scheduler = new RealtimeScheduler()): StackDriver {
  return new StackDriver(stack, scheduler, links);
}

export interface RealtimePairOptions {
  /** Addresses of A and B (default 10.0.0.1 and 10.0.0.2). */
  readonly a?: readonly string[];
  readonly b?: readonly string[];
  /** Link options (faults, delay, MTU); the fault generator is seeded (default seed 1). */
  readonly link?: Omit<MemoryPairOptions, 'scheduler'>;
  readonly tcp?: Partial<TcpConfig>;
}

/**
 * Two hosts joined by an in-memory link, running in real time on the host's timers, with the
 * net-style API on each: the Node counterpart of sim.ts's Simulation.
 */
export class RealtimePair {
  readonly scheduler = new RealtimeScheduler();
  readonly pair: MemoryPair;
  readonly a: Stack;
  readonly b: Stack;
  readonly netA: NodeNet;
  readonly netB: NodeNet;
  private readonly drivers: StackDriver[];

  constructor(o: RealtimePairOptions = {}) {
    this.pair = new MemoryPair({ scheduler: this.scheduler, ...(o.link ?? {}) });
    const mtu = this.pair.mtu;
    const clock = (): number => this.scheduler.now();
    const tcp = o.tcp !== undefined ? { tcp: o.tcp } : {};
    this.a = createNodeStack({ name: 'A', interfaces: [{ addresses: o.a ?? ['10.0.0.1'], mtu }], clock, ...tcp });
    this.b = createNodeStack({ name: 'B', interfaces: [{ addresses: o.b ?? ['10.0.0.2'], mtu }], clock, ...tcp });
    this.drivers = [runRealtime(this.a, [this.pair.a], this.scheduler), runRealtime(this.b, [this.pair.b], this.scheduler)];
    this.netA = new NodeNet(this.a);
    this.netB = new NodeNet(this.b);
  }

  close(): void {
    for (const d of this.drivers) d.close();
    this.pair.a.close();
    this.pair.b.close();
  }
}

export interface NodeSocketOptions {
  readonly allowHalfOpen?: boolean;
  readonly readableHighWaterMark?: number;
  readonly writableHighWaterMark?: number;
}

/** net.Socket on synack. */
export class NodeSocket extends Duplex {
  readonly core: TcpSocket;
  private wantRead = false;
  private readEnded = false;
  private finalCb: ((err?: Error | null) => void) | undefined;

  constructor(core: TcpSocket, options: NodeSocketOptions = {}) {
    super({
      allowHalfOpen: options.allowHalfOpen ?? false,
      emitClose: false,
      readableHighWaterMark: options.readableHighWaterMark ?? 64 * 1024,
      writableHighWaterMark: options.writableHighWaterMark ?? 16 * 1024,
    });
    this.core = core;
    core.on('connect', () => {
      this.emit('connect');
      this.emit('ready');
    });
    core.on('readable', () => this.pull());
    core.on('timeout', () => this.emit('timeout'));
    core.on('finish', () => {
      const cb = this.finalCb;
      this.finalCb = undefined;
      cb?.();
    });
    core.on('error', (err) => {
      if (!this.destroyed) this.destroy(err);
    });
    core.on('close', () => {
      // The core is done (graceful end seen, or terminal): make sure the stream finishes too.
      const cb = this.finalCb;
      this.finalCb = undefined;
      cb?.();
      if (!this.readEnded) this.pull();
      if (!this.destroyed && (this.readableEnded || this.readEnded) && (this.writableFinished || this.writableEnded)) return;
      if (!this.destroyed && !core.readableEnded) this.destroy();
    });
  }

  // ---- stream implementation

  override _read(size: number): void {
    this.wantRead = true;
    this.pull(size);
  }

  private pull(size = 64 * 1024): void {
    while (this.wantRead && !this.readEnded) {
      const chunk = this.core.read(size);
      if (chunk === null) {
        if (this.core.readableEnded || this.core.eof) {
          this.readEnded = true;
          this.push(null);
        }
        return;
      }
      if (!this.push(chunk)) this.wantRead = false;
    }
  }

  override _write(chunk: Buffer | Uint8Array, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.core.write(bytes, (err) => cb(err ?? null));
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.core.destroyed) {
      cb();
      return;
    }
    this.finalCb = cb;
    this.core.end();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // destroy(): RST unless both directions already closed gracefully (core.destroy decides).
    if (!this.core.destroyed) this.core.destroy();
    const cb2 = this.finalCb;
    this.finalCb = undefined;
    cb2?.();
    cb(err);
    process.nextTick(() => this.emit('close', err !== null && err !== undefined));
  }

  /** Write after end() is EPIPE here (net.Socket reports ERR_STREAM_WRITE_AFTER_END). */
  override write(chunk: unknown, encoding?: BufferEncoding | ((err?: Error | null) => void), cb?: (err?: Error | null) => void): boolean {
    if (this.writableEnded && !this.destroyed) {
      const done = typeof encoding === 'function' ? encoding : cb;
      const err = new BrokenPipeError({
        syscall: 'write',
        ...(this.remoteAddress !== undefined ? { address: this.remoteAddress } : {}),
        ...(this.remotePort !== undefined ? { port: this.remotePort } : {}),
        detail: 'write after end',
      });
      process.nextTick(() => {
        done?.(err);
        this.emit('error', err);
      });
      return false;
    }
    return typeof encoding === 'function' ? super.write(chunk, encoding) : super.write(chunk, encoding as BufferEncoding, cb);
  }

  // ---- net.Socket surface

  get remoteAddress(): string | undefined {
    return this.core.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.core.remotePort;
  }
  get remoteFamily(): string | undefined {
    return this.core.remoteFamily;
  }
  get localAddress(): string | undefined {
    return this.core.localAddress;
  }
  get localPort(): number | undefined {
    return this.core.localPort;
  }
  get bytesRead(): number {
    return this.core.bytesRead;
  }
  /** Bytes given to write(), including those still buffered (as net.Socket counts them). */
  get bytesWritten(): number {
    return this.core.bytesWritten + this.writableLength;
  }
  get connecting(): boolean {
    return this.core.connecting;
  }
  get pending(): boolean {
    return this.core.pending;
  }
  get readyState(): ReadyState {
    if (this.core.connecting) return 'opening';
    const r = this.readable;
    const w = this.writable;
    if (r && w) return 'open';
    if (r) return 'readOnly';
    if (w) return 'writeOnly';
    return 'closed';
  }

  address(): AddressInfo | Record<string, never> {
    return this.core.address();
  }

  setNoDelay(noDelay = true): this {
    this.core.setNoDelay(noDelay);
    return this;
  }

  setKeepAlive(enable = false, initialDelay = 0): this {
    this.core.setKeepAlive(enable, initialDelay);
    return this;
  }

  setTimeout(ms: number, cb?: () => void): this {
    if (cb !== undefined) {
      if (ms === 0) this.off('timeout', cb);
      else this.once('timeout', cb);
    }
    this.core.setTimeout(ms);
    return this;
  }

  /** end(), then stop reading once everything is handed to the engine. */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }
}

/** net.Server on synack. */
export class NodeServer extends EventEmitter {
  readonly core: TcpServer;
  private readonly socketOptions: NodeSocketOptions;

  constructor(core: TcpServer, options: ServerOptions & NodeSocketOptions = {}) {
    super();
    this.core = core;
    this.socketOptions = { allowHalfOpen: options.allowHalfOpen ?? false };
    core.on('connection', (s) => this.emit('connection', new NodeSocket(s, this.socketOptions)));
    core.on('listening', () => this.emit('listening'));
    core.on('close', () => this.emit('close'));
    core.on('error', (e) => this.emit('error', e));
  }

  listen(port?: number | ListenArgs, cb?: () => void): this {
    this.core.listen(port, cb);
    return this;
  }

  close(cb?: (err?: Error) => void): this {
    this.core.close(cb);
    return this;
  }

  address(): AddressInfo | null {
    return this.core.address();
  }

  get listening(): boolean {
    return this.core.listening;
  }

  getConnections(cb: (err: Error | null, count: number) => void): this {
    this.core.getConnections(cb);
    return this;
  }
}

/** The `net` module's connect/createServer on one stack. */
export class NodeNet {
  constructor(readonly stack: Stack) {}

  connect(options: SocketConnectOptions, onConnect?: () => void): NodeSocket {
    // The core never half-closes on its own; the Duplex does, as net.Socket does.
    const core = this.stack.connect({ ...options, allowHalfOpen: true });
    const s = new NodeSocket(core, { allowHalfOpen: options.allowHalfOpen ?? false });
    if (onConnect !== undefined) s.once('connect', onConnect);
    return s;
  }

  createConnection(options: SocketConnectOptions, onConnect?: () => void): NodeSocket {
    return this.connect(options, onConnect);
  }

  createServer(options?: ServerOptions | ((socket: NodeSocket) => void), handler?: (socket: NodeSocket) => void): NodeServer {
    const o: ServerOptions = typeof options === 'function' ? {} : (options ?? {});
    const h = typeof options === 'function' ? options : handler;
    const core = this.stack.createServer({ ...o, allowHalfOpen: true });
    const server = new NodeServer(core, o);
    if (h !== undefined) server.on('connection', h);
    return server;
  }
}
