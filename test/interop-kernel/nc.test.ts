/**
 * `synack nc` end to end, spawned as a process inside a fresh network namespace (it creates its
 * own TUN device there, `synack0` with 10.77.0.2 for synack and 10.77.0.1 for the kernel, unless
 * told otherwise), against kernel sockets (the kernel agent) in the same namespace:
 *  - data through nc to a kernel echo server and back: 1 MB on stdin comes back on stdout, SHA-256
 *    equal; EOF on stdin is a FIN, and nc exits 0 once the echo server's FIN arrived too (also
 *    with --offload and --gro: TSO/GSO super-packets with the kernel);
 *  - `nc -l`: a kernel client connects; each side's bytes reach the other (also IPv6, -6);
 *  - refused (exit 3, ECONNREFUSED), timed out with -w (exit 5, ETIMEDOUT), reset by the kernel
 *    (exit 4, ECONNRESET), SIGTERM resets the connection (the kernel sees ECONNRESET);
 *  - attaching to an existing persistent device (made with `ip tuntap add`, addressed by the
 *    user) leaves it in place on exit; a missing CAP_NET_ADMIN is exit 2 naming it;
 *  - every --pcap file opens in tshark without malformed frames, bad checksums or expert errors.
 * Each error is one line on stderr. Root only; skipped with the reason otherwise.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTool, run } from '../kernel/netns.js';
import { NC_EXIT } from '../../src/cli/nc.js';
import { REPO, captureProblems, labSkipReason, withLab, within } from './lab.js';

const skip = (await labSkipReason()) ?? false;

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const RUNNER = fileURLToPath(new URL('./nc-runner.ts', import.meta.url));
/** `synack nc` itself once the lead has registered it in main.ts; the same function through a runner until then. */
const NC_ARGV: readonly string[] = readFileSync(MAIN, 'utf8').includes("'./nc.js'") ? [MAIN, 'nc'] : [RUNNER];

interface NcRun {
  readonly code: Promise<number | null>;
  /** SHA-256 and length of stdout so far. */
  stdout(): { bytes: number; sha256: string };
  stderr(): string;
  kill(signal: NodeJS.Signals): void;
  /** Resolves when stderr matches. */
  waitStderr(re: RegExp, ms: number): Promise<void>;
}

/** Spawn `synack nc ARGS` in namespace `ns`; `input` is written to stdin, then stdin is closed (unless `keepStdin`). */
function nc(ns: string, args: readonly string[], input: Uint8Array, opts: { keepStdin?: boolean; timeoutMs?: number; wrapper?: readonly string[] } = {}): NcRun {
  const ip = findTool('ip') ?? 'ip';
  const argv = [...(opts.wrapper ?? []), process.execPath, '--import', 'tsx', ...NC_ARGV, ...args];
  const child = ns === '' ? spawn(argv[0] ?? '', argv.slice(1), { cwd: REPO }) : spawn(ip, ['netns', 'exec', ns, ...argv], { cwd: REPO });
  const hash = createHash('sha256');
  let bytes = 0;
  let err = '';
  const waiters: (() => void)[] = [];
  child.stdout.on('data', (d: Buffer) => {
    hash.update(d);
    bytes += d.length;
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    err += s;
    for (const w of waiters) w();
  });
  child.stdin.on('error', () => undefined);
  child.stdin.write(input);
  if (opts.keepStdin !== true) child.stdin.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  const code = new Promise<number | null>((resolve) =>
    child.on('close', (c) => {
      clearTimeout(timer);
      resolve(c);
    }),
  );
  let digest: string | undefined;
  return {
    code,
    stdout: () => {
      digest ??= hash.digest('hex');
      return { bytes, sha256: digest };
    },
    stderr: () => err,
    kill: (s) => child.kill(s),
    waitStderr: (re, ms) =>
      within(
        new Promise<void>((resolve) => {
          const check = (): void => {
            if (re.test(err)) resolve();
          };
          waiters.push(check);
          check();
        }),
        ms,
        `nc's stderr to match ${re}; it says: ${err}`,
      ),
  };
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** The one line an error exit prints. */
function oneLine(text: string): string {
  const lines = text.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${text}`);
  return lines[0] ?? '';
}

describe('synack nc against the Linux kernel', { skip, concurrency: false, timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'synack-nc-'));

  for (const mode of [[], ['--offload'], ['--gro']] as const) {
    it(`pipes 1 MB through nc${mode.length > 0 ? ` ${mode[0]}` : ''} to a kernel echo server and back: stdout = stdin, exit 0 after both FINs`, async () => {
      await withLab({ capture: false }, async (lab) => {
        const k = await lab.agent();
        k.command({ op: 'listen', id: 'e', host: '0.0.0.0', port: 7100, echo: true });
        await k.event('listening', 'e');
        const input = new Uint8Array(randomBytes(1_000_000));
        const pcap = join(dir, `echo${mode.join('')}.pcap`);
        const p = nc(lab.ns, [...mode, '-v', '--pcap', pcap, '10.77.0.1', '7100'], input);
        assert.equal(await p.code, NC_EXIT.OK, p.stderr());
        assert.deepEqual(p.stdout(), { bytes: input.length, sha256: sha(input) }, 'what came back is what went in');
        const close = await k.event('close', 'e', 10_000);
        assert.deepEqual(close.received, { bytes: input.length, sha256: sha(input) }, 'the kernel received stdin');
        assert.equal(close.hadError, false);
        const cap = await captureProblems(pcap);
        // Every segment is recorded; with GRO the kernel's come as a few large ones.
        assert.ok(cap.frames > (mode[0] === '--gro' ? 1_000_000 / 65536 : 1_000_000 / 1448), `${cap.frames} frames recorded`);
        assert.deepEqual(cap.bad, []);
        if (mode.length > 0) assert.match(p.stderr(), /\(MTU 1500, offload/);
      });
    });
  }

  for (const family of [4, 6] as const) {
    it(`nc -l${family === 6 ? ' -6' : ''}: a kernel client connects; 100 kB in and 1 MB out arrive, exit 0`, async () => {
      await withLab({ capture: false }, async (lab) => {
        const k = await lab.agent();
        const input = new Uint8Array(randomBytes(100_000));
        const pcap = join(dir, `listen${family}.pcap`);
        const p = nc(lab.ns, ['-v', '-l', ...(family === 6 ? ['-6'] : []), '--pcap', pcap, '7200'], input);
        await p.waitStderr(/listening on/, 15_000);
        k.command({ op: 'connect', id: 'c', host: family === 4 ? '10.77.0.2' : 'fd77::2', port: 7200 });
        await k.event('connected', 'c');
        k.command({ op: 'send', id: 'c', bytes: 1_000_000 });
        k.command({ op: 'end', id: 'c' });
        const sent = (await k.event('sent', 'c', 20_000)).sent;
        assert.equal(await p.code, NC_EXIT.OK, p.stderr());
        assert.deepEqual(p.stdout(), sent, "the kernel's 1 MB on stdout");
        const close = await k.event('close', 'c', 10_000);
        assert.deepEqual(close.received, { bytes: input.length, sha256: sha(input) }, "nc's stdin at the kernel");
        assert.match(p.stderr(), /stdin closed: sending FIN/);
        assert.deepEqual((await captureProblems(pcap)).bad, []);
      });
    });
  }

  it('a refused connection is exit 3 with one line naming ECONNREFUSED', async () => {
    await withLab({ capture: false }, async (lab) => {
      const pcap = join(dir, 'refused.pcap');
      const p = nc(lab.ns, ['--pcap', pcap, '10.77.0.1', '7300'], new Uint8Array(0));
      assert.equal(await p.code, NC_EXIT.REFUSED);
      assert.match(oneLine(p.stderr()), /^synack nc: connect to 10\.77\.0\.1 port 7300: connection refused \(ECONNREFUSED\)$/);
      const cap = await captureProblems(pcap);
      assert.deepEqual(cap.bad, []);
    });
  });

  it('no answer at all is exit 5 (ETIMEDOUT) after -w seconds', async () => {
    await withLab({ capture: false }, async (lab) => {
      // 10.77.0.9 is on the device's prefix but nobody's: the kernel (not forwarding) drops the SYNs.
      const t0 = Date.now();
      const p = nc(lab.ns, ['-w', '1.5', '10.77.0.9', '7400'], new Uint8Array(0));
      assert.equal(await p.code, NC_EXIT.TIMED_OUT);
      const took = Date.now() - t0;
      assert.ok(took >= 1500, `gave up after ${took} ms`);
      assert.match(oneLine(p.stderr()), /ETIMEDOUT/);
    });
  });

  it('a reset from the kernel is exit 4 (ECONNRESET)', async () => {
    await withLab({ capture: false }, async (lab) => {
      const k = await lab.agent();
      k.command({ op: 'listen', id: 'r', host: '0.0.0.0', port: 7500 });
      await k.event('listening', 'r');
      const p = nc(lab.ns, ['10.77.0.1', '7500'], new Uint8Array(1000), { keepStdin: true });
      await k.event('connected', 'r');
      k.command({ op: 'reset-after', id: 'r', bytes: 1000 });
      assert.equal(await p.code, NC_EXIT.RESET);
      assert.match(oneLine(p.stderr()), /connection reset by peer \(ECONNRESET\)$/);
    });
  });

  it('SIGTERM resets the connection: the kernel sees ECONNRESET at once', async () => {
    await withLab({ capture: false }, async (lab) => {
      const k = await lab.agent();
      k.command({ op: 'listen', id: 's', host: '0.0.0.0', port: 7600 });
      await k.event('listening', 's');
      const p = nc(lab.ns, ['10.77.0.1', '7600'], new Uint8Array(10), { keepStdin: true });
      await k.event('connected', 's');
      p.kill('SIGTERM');
      assert.equal(await p.code, 143);
      const err = await k.event('error', 's', 5000);
      assert.equal(err.code, 'ECONNRESET');
    });
  });

  it('attaches to an existing persistent device as the user configured it, and leaves it there', async () => {
    await withLab({ capture: false }, async (lab) => {
      const ipt = findTool('ip') ?? 'ip';
      await run([ipt, '-n', lab.ns, 'tuntap', 'add', 'dev', 'sknc1', 'mode', 'tun']);
      await run([ipt, '-n', lab.ns, 'addr', 'add', '10.78.0.1/24', 'dev', 'sknc1']);
      await run([ipt, '-n', lab.ns, 'link', 'set', 'sknc1', 'up']);
      const k = await lab.agent();
      k.command({ op: 'listen', id: 'e', host: '10.78.0.1', port: 7700, echo: true });
      await k.event('listening', 'e');
      const input = new Uint8Array(randomBytes(50_000));
      const p = nc(lab.ns, ['-v', '--tun', 'sknc1', '--addr', '10.78.0.2/24', '10.78.0.1', '7700'], input);
      assert.equal(await p.code, NC_EXIT.OK, p.stderr());
      assert.equal(p.stdout().sha256, sha(input));
      assert.match(p.stderr(), /attached to sknc1/);
      const show = await run([ipt, '-n', lab.ns, '-j', 'addr', 'show', 'dev', 'sknc1']);
      const info = (JSON.parse(show.stdout) as { addr_info: { local: string }[] }[])[0];
      assert.deepEqual(info?.addr_info.map((a) => a.local).filter((a) => a.includes('.')), ['10.78.0.1'], 'the device is still there, as configured');
    });
  });

  it('without CAP_NET_ADMIN: exit 2, one line naming what is missing', async (t) => {
    const setpriv = findTool('ip') !== null ? await run(['setpriv', '--version'], { allowFailure: true }).then((r) => r.code === 0, () => false) : false;
    if (!setpriv) return t.skip('needs setpriv (util-linux)');
    const p = nc('', ['--tun', 'sknc9', '10.77.0.1', '7800'], new Uint8Array(0), { wrapper: ['setpriv', '--inh-caps=-net_admin', '--bounding-set=-net_admin', '--'] });
    assert.equal(await p.code, NC_EXIT.TUN);
    assert.match(oneLine(p.stderr()), /CAP_NET_ADMIN/);
  });

  it('cleans up', () => {
    rmSync(dir, { recursive: true, force: true });
  });
});
