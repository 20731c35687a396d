/**
 * The kernel side of the interop tests: a long-lived Node process run inside a test's network
 * namespace (`ip netns exec NS node --import tsx kernel-agent.ts`), holding ordinary `net` sockets,
 * i.e. the Linux kernel's TCP (window scaling, SACK, timestamps on by default). Every segment the
 * kernel side puts on the TUN device is made by the kernel; this script only decides when to
 * connect, listen, write, shut down (FIN) or reset (RST).
 *
 * Protocol: one JSON command per stdin line, one JSON event per stdout line (see AgentCommand and
 * AgentEvent). Every connection has the id given by `connect` or by `listen` (the first connection
 * a listener accepts gets the listener's id; later ones are refused by closing the listener).
 * Sent and received bytes are hashed (SHA-256) as they go, so the test compares digests instead of
 * megabytes.
 *
 * Invariant: the process exits on its own at `--max-ms` (a watchdog, default 120 s) or when stdin
 * closes, whatever its sockets are doing; it never outlives the test that started it.
 */
import { createHash, randomFillSync, type Hash } from 'node:crypto';
import net from 'node:net';
import { createInterface } from 'node:readline';

export type AgentCommand =
  /** `echo`: everything received is written back, and the peer's FIN answered with ours once it is all out. */
  | { readonly op: 'listen'; readonly id: string; readonly host: string; readonly port: number; readonly allowHalfOpen?: boolean; readonly echo?: boolean }
  | { readonly op: 'connect'; readonly id: string; readonly host: string; readonly port: number; readonly allowHalfOpen?: boolean }
  /** Write `bytes` random bytes (in 64 KiB chunks, honouring backpressure); 'sent' when the kernel has taken them all. */
  | { readonly op: 'send'; readonly id: string; readonly bytes: number }
  /** shutdown(SHUT_WR) once every queued write is done: our FIN; reading goes on. 'finish' follows. */
  | { readonly op: 'end'; readonly id: string }
  /** SO_LINGER {1, 0} + close(): the kernel sends RST (RFC 9293 3.10.5 ABORT). */
  | { readonly op: 'reset'; readonly id: string }
  /** Reset as soon as `bytes` bytes have been received. */
  | { readonly op: 'reset-after'; readonly id: string; readonly bytes: number }
  /** Stop reading (the kernel's receive window closes) / read again. */
  | { readonly op: 'pause'; readonly id: string }
  | { readonly op: 'resume'; readonly id: string }
  | { readonly op: 'exit' };

export interface Digest {
  readonly bytes: number;
  readonly sha256: string;
}

export type AgentEvent =
  | { readonly event: 'ready' }
  | { readonly event: 'listening'; readonly id: string; readonly port: number }
  | { readonly event: 'connected'; readonly id: string; readonly localPort: number; readonly remoteAddress: string; readonly remotePort: number }
  | { readonly event: 'sent'; readonly id: string; readonly sent: Digest }
  | { readonly event: 'finish'; readonly id: string }
  /** The peer's FIN: everything before it was read. */
  | { readonly event: 'eof'; readonly id: string; readonly received: Digest }
  | { readonly event: 'error'; readonly id: string; readonly code: string; readonly message: string }
  | { readonly event: 'close'; readonly id: string; readonly hadError: boolean; readonly sent: Digest; readonly received: Digest }
  | { readonly event: 'bad-command'; readonly line: string; readonly message: string };

const CHUNK = 64 * 1024;

function emit(e: AgentEvent): void {
  process.stdout.write(`${JSON.stringify(e)}\n`);
}

function errCode(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return 'EUNKNOWN';
}

class Conn {
  private readonly sentHash: Hash = createHash('sha256');
  private readonly recvHash: Hash = createHash('sha256');
  private sentBytes = 0;
  private recvBytes = 0;
  private sentDigest: string | undefined;
  private recvDigest: string | undefined;
  private resetAfter = Infinity;
  /** Sends queued behind each other: 'send' then 'end' keep their order. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly id: string,
    readonly sock: net.Socket,
  ) {
    sock.on('data', (d: Buffer) => {
      this.recvBytes += d.length;
      this.recvHash.update(d);
      if (this.recvBytes >= this.resetAfter && !sock.destroyed) sock.resetAndDestroy();
    });
    sock.on('end', () => emit({ event: 'eof', id, received: this.received() }));
    sock.on('error', (err) => emit({ event: 'error', id, code: errCode(err), message: err.message }));
    sock.on('close', (hadError) => emit({ event: 'close', id, hadError, sent: this.sent(), received: this.received() }));
  }

  sent(): Digest {
    this.sentDigest ??= this.sentHash.digest('hex');
    return { bytes: this.sentBytes, sha256: this.sentDigest };
  }

  received(): Digest {
    this.recvDigest ??= this.recvHash.digest('hex');
    return { bytes: this.recvBytes, sha256: this.recvDigest };
  }

  send(bytes: number): void {
    this.chain = this.chain.then(
      () =>
        new Promise<void>((resolve) => {
          let left = bytes;
          const pump = (): void => {
            while (left > 0 && !this.sock.destroyed) {
              const n = Math.min(CHUNK, left);
              const buf = randomFillSync(Buffer.allocUnsafe(n));
              left -= n;
              this.sentBytes += n;
              this.sentHash.update(buf);
              const last = left === 0;
              const ok = this.sock.write(buf, last ? () => {
                emit({ event: 'sent', id: this.id, sent: this.sent() });
                resolve();
              } : undefined);
              if (!ok && !last) {
                this.sock.once('drain', pump);
                return;
              }
            }
            if (this.sock.destroyed) resolve();
          };
          if (bytes === 0) {
            emit({ event: 'sent', id: this.id, sent: this.sent() });
            resolve();
          } else pump();
        }),
    );
  }

  end(): void {
    this.chain = this.chain.then(() => {
      this.sock.end(() => emit({ event: 'finish', id: this.id }));
    });
  }

  resetWhen(bytes: number): void {
    this.resetAfter = bytes;
    if (this.recvBytes >= bytes && !this.sock.destroyed) this.sock.resetAndDestroy();
  }
}

const conns = new Map<string, Conn>();
const servers = new Map<string, net.Server>();

function handle(cmd: AgentCommand): void {
  switch (cmd.op) {
    case 'listen': {
      const server = net.createServer({ allowHalfOpen: cmd.allowHalfOpen ?? true }, (sock) => {
        // One connection per listener; closing it makes the kernel refuse later SYNs.
        server.close();
        conns.set(cmd.id, new Conn(cmd.id, sock));
        if (cmd.echo === true) sock.pipe(sock);
        emit({ event: 'connected', id: cmd.id, localPort: sock.localPort ?? 0, remoteAddress: sock.remoteAddress ?? '', remotePort: sock.remotePort ?? 0 });
      });
      servers.set(cmd.id, server);
      server.on('error', (err) => emit({ event: 'error', id: cmd.id, code: errCode(err), message: err.message }));
      server.listen({ host: cmd.host, port: cmd.port }, () => {
        const a = server.address();
        emit({ event: 'listening', id: cmd.id, port: typeof a === 'object' && a !== null ? a.port : cmd.port });
      });
      return;
    }
    case 'connect': {
      const sock = net.connect({ host: cmd.host, port: cmd.port, allowHalfOpen: cmd.allowHalfOpen ?? true });
      conns.set(cmd.id, new Conn(cmd.id, sock));
      sock.on('connect', () =>
        emit({ event: 'connected', id: cmd.id, localPort: sock.localPort ?? 0, remoteAddress: sock.remoteAddress ?? '', remotePort: sock.remotePort ?? 0 }),
      );
      return;
    }
    case 'exit':
      process.exit(0);
  }
  const c = conns.get(cmd.id);
  if (c === undefined) throw new Error(`no connection '${cmd.id}'`);
  switch (cmd.op) {
    case 'send':
      c.send(cmd.bytes);
      return;
    case 'end':
      c.end();
      return;
    case 'reset':
      c.sock.resetAndDestroy();
      return;
    case 'reset-after':
      c.resetWhen(cmd.bytes);
      return;
    case 'pause':
      c.sock.pause();
      return;
    case 'resume':
      c.sock.resume();
      return;
  }
}

function main(): void {
  const i = process.argv.indexOf('--max-ms');
  const maxMs = i >= 0 ? Number(process.argv[i + 1]) : 120_000;
  setTimeout(() => process.exit(3), Number.isFinite(maxMs) && maxMs > 0 ? maxMs : 120_000).unref();
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (line.trim() === '') return;
    try {
      handle(JSON.parse(line) as AgentCommand);
    } catch (err) {
      emit({ event: 'bad-command', line, message: err instanceof Error ? err.message : String(err) });
    }
  });
  // The test went away: so do we.
  rl.on('close', () => process.exit(0));
  // Keep running until told otherwise, even with no socket open.
  setInterval(() => undefined, 1 << 30);
  emit({ event: 'ready' });
}

main();
