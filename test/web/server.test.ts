/**
 * `synack ui`'s server (src/cli/ui.ts) without a browser: it serves the page and the one capture
 * it was given, byte for byte, on loopback only, and nothing else: no path outside the page's
 * directory, no other methods, no foreign Host header (DNS rebinding). Bad arguments give one clear
 * error.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SynackError } from '../../src/errors.js';
import { main, startUiServer, type UiServer } from '../../src/cli/ui.js';
import { REPO } from './browser.js';

const SEED = join(REPO, 'test/fixtures/kb172983.pcap');

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(port: number, path: string, o: { method?: string; host?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: o.method ?? 'GET', headers: { host: o.host ?? `127.0.0.1:${port}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('synack ui server', () => {
  let dir: string;
  let ui: UiServer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sk-ui-server-'));
    const root = join(dir, 'web');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>page</title>');
    writeFileSync(join(root, 'assets', 'app-1234.js'), 'console.log(1)');
    writeFileSync(join(dir, 'secret.txt'), 'secret');
    const file = join(dir, 'my capture?.pcap');
    writeFileSync(file, readFileSync(SEED));
    ui = await startUiServer({ root, file });
  });
  after(async () => {
    await ui?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens on loopback and links to the capture', () => {
    assert.match(ui.url, /^http:\/\/127\.0\.0\.1:\d+\/\?open=capture%2Fmy%2520capture%253F\.pcap&name=my%20capture%3F\.pcap$/);
    const addr = ui.server.address();
    assert.ok(addr !== null && typeof addr === 'object' && addr.address === '127.0.0.1');
  });

  it('serves the page and its assets with their types', async () => {
    const page = await get(ui.port, '/');
    assert.equal(page.status, 200);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
    assert.equal(page.body.toString(), '<!doctype html><title>page</title>');
    const js = await get(ui.port, '/assets/app-1234.js');
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.match(String(js.headers['cache-control']), /immutable/);
  });

  it('serves the capture byte for byte at the linked path', async () => {
    const open = new URL(ui.url).searchParams.get('open') ?? '';
    const r = await get(ui.port, `/${open}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, readFileSync(SEED));
    assert.equal(r.headers['cache-control'], 'no-store');
    const head = await get(ui.port, `/${open}`, { method: 'HEAD' });
    assert.equal(head.headers['content-length'], String(readFileSync(SEED).length));
    assert.equal(head.body.length, 0);
  });

  it('answers nothing outside the page directory', async () => {
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/../../secret.txt', '/..%2fsecret.txt', '/nope.html', '/assets/', '/%00']) {
      const r = await get(ui.port, p);
      assert.ok(r.status === 404 || r.status === 400, `${p}: ${r.status}`);
      assert.ok(!r.body.toString().includes('secret'), p);
    }
  });

  it('refuses other methods and foreign Host headers', async () => {
    assert.equal((await get(ui.port, '/', { method: 'POST' })).status, 405);
    assert.equal((await get(ui.port, '/', { host: 'evil.example:80' })).status, 403);
    assert.equal((await get(ui.port, '/', { host: `localhost:${ui.port}` })).status, 200);
  });

  it('says clearly what is wrong with its arguments', async () => {
    await assert.rejects(startUiServer({ root: join(dir, 'nowhere') }), (e: unknown) => e instanceof SynackError && /not built/.test(e.message));
    await assert.rejects(startUiServer({ root: join(dir, 'web'), file: join(dir, 'missing.pcap') }), (e: unknown) => e instanceof SynackError && /cannot read .*missing\.pcap: ENOENT/.test(e.message));
    await assert.rejects(startUiServer({ root: join(dir, 'web'), file: dir }), (e: unknown) => e instanceof SynackError && /is not a file/.test(e.message));
    await assert.rejects(startUiServer({ root: join(dir, 'web'), port: ui.port }), (e: unknown) => e instanceof SynackError && /port \d+ is in use/.test(e.message));
    await assert.rejects(main(['--port', '70000']), (e: unknown) => e instanceof SynackError && e.code === 'ERR_SYNACK_USAGE');
    await assert.rejects(main(['a.pcap', 'b.pcap']), (e: unknown) => e instanceof SynackError && /at most one FILE/.test(e.message));
  });
});
