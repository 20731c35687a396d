/**
 * `synack ui [FILE] [--port N]`: serves the built page (dist/web, made by `npm run build:web`) on
 * 127.0.0.1 with node:http. With FILE, the file's bytes are served at `capture/<name>` and the
 * printed URL opens it at once; the page parses it with the library, in the browser. Port 0 (the
 * default) picks a free port.
 *
 * Invariants: only loopback is bound; only GET/HEAD of files under the page's directory (and the
 * one capture) are answered, so nothing outside them can be read; requests whose Host is not the
 * loopback address we serve are refused (no DNS rebinding); the server keeps no state per request.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SynackError } from '../errors.js';
import { EXIT, usageError } from './output.js';

const USAGE = `usage: synack ui [FILE] [--port N]

Serves synack's page on http://127.0.0.1:PORT/ : a capture viewer (frame list, field tree, hex
dump, display filters, connections with ladder diagrams) and a live TCP simulator. With FILE the
capture opens at once; it is parsed in your browser, nothing is uploaded anywhere.

options:
  --port N     port to listen on (default 0: any free port)
  -h, --help   this text`;

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.pcap': 'application/vnd.tcpdump.pcap',
  '.pcapng': 'application/octet-stream',
  '.map': 'application/json',
};

const HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
};

/** Where the built page is: dist/web beside dist/src (installed package) or under the repo (tsx). */
export function findPageRoot(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const c of [resolve(here, '../../web'), resolve(here, '../../dist/web')]) {
    if (existsSync(join(c, 'index.html'))) return c;
  }
  return undefined;
}

export interface UiServerOptions {
  /** Directory holding the built page (default: findPageRoot()). */
  readonly root?: string;
  /** A capture to serve and open. */
  readonly file?: string;
  /** 0 (default): a free port. */
  readonly port?: number;
}

export interface UiServer {
  readonly port: number;
  /** The page's URL (with `?open=` when a file was given). */
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** Start the server; resolves once it listens. Throws SynackError for a bad root, file or port. */
export async function startUiServer(o: UiServerOptions = {}): Promise<UiServer> {
  const root = o.root ?? findPageRoot();
  if (root === undefined || !existsSync(join(root, 'index.html'))) {
    throw new SynackError('ERR_SYNACK_UI_NOT_BUILT', "the page is not built (dist/web/index.html is missing); run 'npm run build:web'");
  }
  let capture: { path: string; name: string; size: number } | undefined;
  if (o.file !== undefined) {
    let st;
    try {
      st = statSync(o.file);
    } catch (e) {
      throw new SynackError('ERR_SYNACK_UI_FILE', `cannot read ${o.file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    if (!st.isFile()) throw new SynackError('ERR_SYNACK_UI_FILE', `${o.file} is not a file`);
    capture = { path: resolve(o.file), name: basename(o.file), size: st.size };
  }
  const port = o.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError(`--port wants a number from 0 to 65535, got ${String(port)}`);

  const rootDir = resolve(root);
  let allowedHosts: Set<string> = new Set();
  const server = createServer((req, res) => handle(req, res));

  function send(res: ServerResponse, status: number, text: string): void {
    res.writeHead(status, { ...HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    if (!allowedHosts.has((req.headers.host ?? '').toLowerCase())) return send(res, 403, 'forbidden host\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'method not allowed\n');
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(res, 400, 'bad request\n');
    }
    if (capture !== undefined && path === `/capture/${capture.name}`) {
      return stream(req, res, capture.path, capture.size, 'application/octet-stream', 'no-store');
    }
    if (path.endsWith('/')) path += 'index.html';
    if (path.includes('\0')) return send(res, 400, 'bad request\n');
    const file = normalize(join(rootDir, path));
    if (file !== rootDir && !file.startsWith(rootDir + sep)) return send(res, 404, 'not found\n');
    let st;
    try {
      st = statSync(file);
    } catch {
      return send(res, 404, 'not found\n');
    }
    if (!st.isFile()) return send(res, 404, 'not found\n');
    const type = TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    // Hashed asset names never change; the page itself is revalidated.
    stream(req, res, file, st.size, type, file.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
  }

  function stream(req: IncomingMessage, res: ServerResponse, file: string, size: number, type: string, cache: string): void {
    res.writeHead(200, { ...HEADERS, 'Content-Type': type, 'Content-Length': size, 'Cache-Control': cache });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const s = createReadStream(file);
    s.on('error', () => res.destroy());
    s.pipe(res);
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(e.code === 'EADDRINUSE' ? new SynackError('ERR_SYNACK_UI_PORT', `port ${port} is in use; choose another with --port, or 0 for any free port`) : e);
    });
    server.listen(port, '127.0.0.1', () => resolveListen());
  });
  const actual = (server.address() as AddressInfo).port;
  allowedHosts = new Set([`127.0.0.1:${actual}`, `localhost:${actual}`]);
  const base = `http://127.0.0.1:${actual}/`;
  const url = capture === undefined ? base : `${base}?open=${encodeURIComponent(`capture/${encodeURIComponent(capture.name)}`)}&name=${encodeURIComponent(capture.name)}`;
  return {
    port: actual,
    url,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { port: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    throw usageError(`${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    process.stdout.write(USAGE + '\n');
    return EXIT.OK;
  }
  if (positionals.length > 1) throw usageError(`synack ui takes at most one FILE, got ${positionals.length}\n${USAGE}`);
  let port = 0;
  if (values.port !== undefined) {
    if (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65535) throw usageError(`--port wants a number from 0 to 65535, got '${values.port}'`);
    port = Number(values.port);
  }
  const file = positionals[0];
  const ui = await startUiServer({ port, ...(file !== undefined ? { file } : {}) });
  process.stdout.write(`synack ui: ${ui.url}\n(serving on 127.0.0.1 only; Ctrl-C stops)\n`);
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void ui.close().then(done);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return EXIT.OK;
}
