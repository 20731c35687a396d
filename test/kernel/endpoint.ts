/**
 * A kernel TCP endpoint for capture scenarios: run inside a network namespace with
 * `ip netns exec NS node --import tsx test/kernel/endpoint.ts '<json EndpointConfig>'`.
 *
 * Node's `net` module is a thin layer over the kernel's sockets, so every segment in the capture is
 * made by the Linux TCP stack (kernel defaults: window scaling, SACK, timestamps). This script only
 * decides *when* to write, end (FIN), or reset (RST).
 *
 * Protocol with the parent: one JSON object per stdout line (`EndpointEvent`). The script always
 * ends with exactly one `done` or `failed` event and exits; it never outlives `timeoutMs`.
 */
import net from 'node:net';
import dgram from 'node:dgram';

export type ServerMode =
  /** Read until the peer's FIN, then close our side (FIN). */
  | 'sink'
  /** Write without pause until the connection breaks (used for the abort scenario). */
  | 'source'
  /** allowHalfOpen: read the request until the peer's FIN, then send `bytes` and end. */
  | 'respond-after-eof';

export type ClientMode =
  /** Write `bytes`, end (FIN), read until the server's FIN. */
  | 'upload'
  /** Read until `abortAfter` bytes arrived, then socket.resetAndDestroy() (RST). */
  | 'abort'
  /** allowHalfOpen: write `bytes` as a request, end (FIN) first, read the response to its end. */
  | 'half-close'
  /** Connect to a port with no listener; expects ECONNREFUSED. */
  | 'refused'
  /** Send one UDP datagram of `bytes` (larger than the MTU, so the kernel fragments it). */
  | 'udp-datagram';

export type EndpointConfig =
  | {
      readonly role: 'server';
      readonly mode: ServerMode;
      readonly host: string;
      readonly port: number;
      readonly bytes: number;
      readonly timeoutMs: number;
    }
  | {
      readonly role: 'client';
      readonly mode: ClientMode;
      readonly host: string;
      readonly port: number;
      readonly localHost: string;
      readonly localPort: number;
      readonly bytes: number;
      readonly abortAfter: number;
      readonly timeoutMs: number;
    };

export type EndpointEvent =
  | { readonly event: 'listening'; readonly port: number }
  | { readonly event: 'connected'; readonly localPort: number; readonly remotePort: number }
  | {
      readonly event: 'done';
      readonly sent: number;
      readonly received: number;
      /** errno code seen by the application, if any (ECONNREFUSED, ECONNRESET, EPIPE). */
      readonly error: string | null;
    }
  | { readonly event: 'failed'; readonly message: string };

function emit(e: EndpointEvent): void {
  process.stdout.write(`${JSON.stringify(e)}\n`);
}

let finished = false;
function finish(e: EndpointEvent): void {
  if (finished) return;
  finished = true;
  emit(e);
  // Let stdout drain, then exit even if a socket is still lingering.
  setTimeout(() => process.exit(e.event === 'done' ? 0 : 1), 20).unref();
}

function errCode(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return String(err);
}

const CHUNK = 64 * 1024;
/** A deterministic, non-constant payload pattern (so a capture shows real bytes). */
function chunk(size: number, offset: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (offset + i) * 31 & 0xff;
  return b;
}

/** Writes `total` bytes respecting backpressure, then calls `done`. */
function writeAll(sock: net.Socket, total: number, onWritten: (n: number) => void, done: () => void): void {
  let sent = 0;
  const pump = (): void => {
    while (sent < total) {
      const n = Math.min(CHUNK, total - sent);
      const ok = sock.write(chunk(n, sent));
      sent += n;
      onWritten(n);
      if (!ok) {
        sock.once('drain', pump);
        return;
      }
    }
    done();
  };
  pump();
}

function runServer(cfg: Extract<EndpointConfig, { role: 'server' }>): void {
  let sent = 0;
  let received = 0;
  let error: string | null = null;
  const server = net.createServer({ allowHalfOpen: cfg.mode === 'respond-after-eof' }, (sock) => {
    server.close(); // one connection per scenario
    sock.on('data', (d: Buffer) => {
      received += d.length;
    });
    sock.on('error', (err) => {
      error ??= errCode(err);
    });
    sock.on('close', () => finish({ event: 'done', sent, received, error }));
    switch (cfg.mode) {
      case 'sink':
        sock.on('end', () => sock.end());
        break;
      case 'respond-after-eof':
        sock.on('end', () => writeAll(sock, cfg.bytes, (n) => (sent += n), () => sock.end()));
        break;
      case 'source': {
        const pump = (): void => {
          while (!sock.destroyed && sock.writable) {
            const ok = sock.write(chunk(CHUNK, sent));
            sent += CHUNK;
            if (!ok) {
              sock.once('drain', pump);
              return;
            }
          }
        };
        sock.on('end', () => sock.end());
        pump();
        break;
      }
    }
  });
  server.on('error', (err) => finish({ event: 'failed', message: `server: ${errCode(err)} ${String(err)}` }));
  server.listen({ host: cfg.host, port: cfg.port }, () => {
    const addr = server.address();
    emit({ event: 'listening', port: typeof addr === 'object' && addr !== null ? addr.port : cfg.port });
  });
}

function runClient(cfg: Extract<EndpointConfig, { role: 'client' }>): void {
  let sent = 0;
  let received = 0;
  let error: string | null = null;

  if (cfg.mode === 'udp-datagram') {
    const sock = dgram.createSocket(net.isIPv6(cfg.host) ? 'udp6' : 'udp4');
    sock.bind({ address: cfg.localHost, port: cfg.localPort }, () => {
      sock.send(chunk(cfg.bytes, 0), cfg.port, cfg.host, (err) => {
        if (err) error = errCode(err);
        else sent = cfg.bytes;
        sock.close(() => finish({ event: 'done', sent, received, error }));
      });
    });
    sock.on('error', (err) => finish({ event: 'failed', message: `udp: ${errCode(err)}` }));
    return;
  }

  const sock = net.connect({
    host: cfg.host,
    port: cfg.port,
    localAddress: cfg.localHost,
    localPort: cfg.localPort,
    allowHalfOpen: cfg.mode === 'half-close',
  });
  sock.on('connect', () => {
    emit({ event: 'connected', localPort: sock.localPort ?? 0, remotePort: sock.remotePort ?? 0 });
    switch (cfg.mode) {
      case 'upload':
        writeAll(sock, cfg.bytes, (n) => (sent += n), () => sock.end());
        break;
      case 'half-close':
        // RFC 9293 3.6: our FIN closes only our sending direction; we keep receiving.
        writeAll(sock, cfg.bytes, (n) => (sent += n), () => sock.end());
        break;
      case 'abort':
      case 'refused':
        break;
    }
  });
  sock.on('data', (d: Buffer) => {
    received += d.length;
    if (cfg.mode === 'abort' && received >= cfg.abortAfter && !sock.destroyed) {
      sock.resetAndDestroy(); // SO_LINGER {on, 0} + close: the kernel sends RST (RFC 9293 3.10.5 ABORT)
    }
  });
  sock.on('error', (err) => {
    error ??= errCode(err);
  });
  sock.on('close', () => finish({ event: 'done', sent, received, error }));
}

function main(): void {
  const raw = process.argv[2];
  if (raw === undefined) {
    finish({ event: 'failed', message: 'usage: endpoint.ts <json config>' });
    return;
  }
  let cfg: EndpointConfig;
  try {
    cfg = JSON.parse(raw) as EndpointConfig;
  } catch (err) {
    finish({ event: 'failed', message: `bad config: ${String(err)}` });
    return;
  }
  setTimeout(() => finish({ event: 'failed', message: `timed out after ${cfg.timeoutMs} ms` }), cfg.timeoutMs).unref();
  // Keep the process alive until the timeout fires even if no handle is open.
  const keepAlive = setInterval(() => undefined, 1000);
  process.on('exit', () => clearInterval(keepAlive));
  if (cfg.role === 'server') runServer(cfg);
  else runClient(cfg);
}

main();
