/**
 * TunDevice.open's errors name what is missing. The conditions are made real rather than mocked:
 * the addon path points nowhere; CAP_NET_ADMIN is dropped from a root child with setpriv (the
 * kernel then refuses TUNSETIFF with EPERM); /dev/net/tun is hidden under a tmpfs in a private
 * mount namespace (open gives ENOENT); existing devices are made with `ip tuntap add`. Each case
 * runs in a child process so the parent's addon cache and namespace stay untouched.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SynackError } from '../../src/errors.js';
import { TunDevice, TunErrorCode } from '../../src/link/tun.js';
import { REPO, TUN_MODULE, TunNetns, runNode, tunSkipReason } from './util.js';

// Root, CAP_NET_ADMIN, iproute2 and network namespaces, or the plain reason they are missing.
const skip = await tunSkipReason();

/** Child code: try `expr` (awaited); print {ok, code, message} as one JSON line. */
function probe(expr: string, prelude = ''): string {
  return `import { TunDevice, openPacketPair, tunUnavailableReason, hasNetAdmin } from ${JSON.stringify(TUN_MODULE)};
${prelude}
const out = { reason: tunUnavailableReason() ?? null, netAdmin: hasNetAdmin() };
try { const r = await (${expr}); out.ok = true; out.value = r; }
catch (e) { out.ok = false; out.code = e.code; out.message = e.message; }
console.log(JSON.stringify(out));
process.exit(0);`;
}

interface Probe {
  ok: boolean;
  code?: string;
  message?: string;
  value?: unknown;
  reason: string | null;
  netAdmin: boolean;
}

async function runProbe(code: string, opts: Parameters<typeof runNode>[1] = {}): Promise<Probe> {
  const r = await runNode(code, opts);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  assert.ok(line.startsWith('{'), `child gave no result (exit ${r.code}): ${r.stderr.slice(0, 800)}`);
  return JSON.parse(line) as Probe;
}

async function rejectsWith(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof SynackError, `not a SynackError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  });
}

describe('TunDevice.open: bad options are refused before anything is opened', () => {
  it('refuses names the kernel would refuse (dev_valid_name: 1..15 bytes, no / : or space)', async () => {
    for (const name of ['', 'a'.repeat(16), 'a/b', 'a:b', 'a b', '.', '..', '-x']) {
      await rejectsWith(TunDevice.open({ name }), TunErrorCode.INVALID, /bad TUN device name/);
    }
  });
  it('refuses an MTU outside 68..65535 (RFC 791: every host takes 68)', async () => {
    for (const mtu of [0, 67, 65536, 1500.5, Number.NaN]) {
      await rejectsWith(TunDevice.open({ mtu }), TunErrorCode.INVALID, /bad MTU/);
    }
  });
  it('refuses malformed addresses, routes and peers', async () => {
    await rejectsWith(TunDevice.open({ address: 'banana' }), TunErrorCode.INVALID, /bad address 'banana'/);
    await rejectsWith(TunDevice.open({ address: '10.0.0.1/33' }), TunErrorCode.INVALID, /bad address/);
    await rejectsWith(TunDevice.open({ address: 'fd00::1/129' }), TunErrorCode.INVALID, /bad address/);
    await rejectsWith(TunDevice.open({ address: '-10.0.0.1' }), TunErrorCode.INVALID, /bad address/);
    await rejectsWith(TunDevice.open({ address: '10.0.0.1/24', peer: 'fd00::2' }), TunErrorCode.INVALID, /same family/);
    await rejectsWith(TunDevice.open({ routes: ['10.1.0.0/16'], up: false }), TunErrorCode.INVALID, /routes need the device up/);
    await rejectsWith(TunDevice.open({ netns: '-n' }), TunErrorCode.INVALID, /bad network namespace/);
  });
});

describe('TunDevice.open without the addon', () => {
  it('says the addon is not built and how to build it; the rest of synack still imports and works', async () => {
    const r = await runProbe(
      probe(
        'TunDevice.open({ name: "sktunx" })',
        `import * as synack from ${JSON.stringify(`${REPO}src/index.ts`)};
         if (synack.wire.formatIpv4Address(0x0a000001) !== '10.0.0.1') throw new Error('wire broken');
         try { openPacketPair(); throw new Error('no error'); } catch (e) { if (e.code !== 'ERR_SYNACK_TUN_ADDON') throw e; }`,
      ),
      { env: { SYNACK_TUN_ADDON: '/nonexistent/synack_tun.node' } },
    );
    assert.equal(r.ok, false);
    assert.equal(r.code, TunErrorCode.ADDON);
    assert.match(r.message ?? '', /^the native TUN addon is not built: run npm run build:native; error was: not found at \/nonexistent\/synack_tun\.node$/);
    assert.match(r.reason ?? '', /native TUN addon is not built/);
  });

  it('quotes the loader when the file is there but is not a loadable addon', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sk-tun-addon-'));
    const fake = join(dir, 'synack_tun.node');
    writeFileSync(fake, 'not an ELF shared object\n');
    const r = await runProbe(probe('TunDevice.open({ name: "sktunx" })'), { env: { SYNACK_TUN_ADDON: fake } }).finally(() =>
      rmSync(dir, { recursive: true, force: true }),
    );
    assert.equal(r.code, TunErrorCode.ADDON);
    assert.match(r.message ?? '', /^the native TUN addon is not built: run npm run build:native; error was .*(ELF|invalid|too short)/i);
  });
});

describe('TunDevice.open on a host that cannot', () => {
  it('needs CAP_NET_ADMIN: a root child without it gets EPERM from TUNSETIFF', { skip: skip ?? false }, async (t) => {
    if (!(await hasSetpriv())) return t.skip('needs setpriv (util-linux)');
    const r = await runProbe(probe(`TunDevice.open({ name: 'sktunperm${process.pid % 100000}' })`), {
      wrapper: ['setpriv', '--inh-caps=-net_admin', '--bounding-set=-net_admin', '--'],
    });
    assert.equal(r.netAdmin, false);
    assert.equal(r.ok, false);
    assert.equal(r.code, TunErrorCode.PERMISSION);
    assert.match(r.message ?? '', /needs CAP_NET_ADMIN \(run as root\)/);
    assert.match(r.message ?? '', /EPERM|not permitted/i);
    assert.equal(r.reason, 'needs CAP_NET_ADMIN (run as root)');
  });

  it('needs /dev/net/tun: with it hidden, the error says the kernel has no TUN support', { skip: skip ?? false }, async (t) => {
    if (!(await hasUnshare())) return t.skip('needs unshare (util-linux)');
    const r = await runProbe(probe(`TunDevice.open({ name: 'sktunnodev' })`), {
      wrapper: ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount -t tmpfs sk-tun-none /dev/net && exec "$@"', 'sh'],
    });
    assert.equal(r.ok, false);
    assert.equal(r.code, TunErrorCode.UNSUPPORTED);
    assert.match(r.message ?? '', /the kernel has no TUN support: \/dev\/net\/tun is missing/);
    assert.equal(r.reason, 'the kernel has no TUN support: /dev/net/tun is missing');
  });
});

describe('TunDevice.open with existing devices', () => {
  let ns: TunNetns | undefined;
  before(async () => {
    if (skip !== null) return;
    ns = await TunNetns.create();
    await ns.ip(['tuntap', 'add', 'dev', 'skpersist', 'mode', 'tun']);
    await ns.ip(['tuntap', 'add', 'dev', 'sktap', 'mode', 'tap']);
  });
  after(async () => {
    await ns?.destroy();
  });

  it('attaches to a persistent TUN device, which survives close', { skip: skip ?? false }, async () => {
    assert.ok(ns !== undefined);
    const r = await runProbe(
      probe(`TunDevice.open({ name: 'skpersist', address: '10.98.0.1/24', mtu: 1400 }).then((d) => { const v = { created: d.created, name: d.name, mtu: d.mtu }; d.close(); return v; })`),
      { netns: ns.name },
    );
    assert.equal(r.ok, true, r.message);
    assert.deepEqual(r.value, { created: false, name: 'skpersist', mtu: 1400 });
    const link = await ns.ip(['-j', 'addr', 'show', 'dev', 'skpersist']);
    const [info] = JSON.parse(link.stdout) as { mtu: number; addr_info: { local: string; prefixlen: number }[] }[];
    assert.equal(info?.mtu, 1400);
    assert.ok(info?.addr_info.some((a) => a.local === '10.98.0.1' && a.prefixlen === 24));
  });

  it('says so when the device is already attached to someone else (EBUSY)', { skip: skip ?? false }, async () => {
    assert.ok(ns !== undefined);
    const r = await runProbe(probe(`TunDevice.open({ name: 'skpersist', up: false }).then(() => TunDevice.open({ name: 'skpersist', up: false }))`), {
      netns: ns.name,
    });
    assert.equal(r.ok, false);
    assert.equal(r.code, TunErrorCode.BUSY);
    assert.match(r.message ?? '', /TUN device skpersist: it is in use by another process/);
  });

  it('refuses to attach to a TAP device of that name (EINVAL)', { skip: skip ?? false }, async () => {
    assert.ok(ns !== undefined);
    const r = await runProbe(probe(`TunDevice.open({ name: 'sktap', up: false })`), { netns: ns.name });
    assert.equal(r.ok, false);
    assert.equal(r.code, TunErrorCode.INVALID);
    assert.match(r.message ?? '', /exists but is not a single-queue TUN device/);
  });

  it('removes a device it created when configuring it fails, and quotes ip', { skip: skip ?? false }, async () => {
    assert.ok(ns !== undefined);
    const r = await runProbe(probe(`TunDevice.open({ name: 'skfail', netns: 'sk-tun-no-such-namespace' })`), { netns: ns.name });
    assert.equal(r.ok, false);
    assert.equal(r.code, TunErrorCode.CONFIG);
    assert.match(r.message ?? '', /^ip link set dev skfail netns sk-tun-no-such-namespace: /);
    const show = await ns.ip(['link', 'show', 'dev', 'skfail'], { allowFailure: true });
    assert.notEqual(show.code, 0, 'skfail still exists');
  });
});

async function hasSetpriv(): Promise<boolean> {
  const { run } = await import('../kernel/netns.js');
  return run(['setpriv', '--version'], { allowFailure: true, timeoutMs: 5000 }).then(
    (r) => r.code === 0,
    () => false,
  );
}

async function hasUnshare(): Promise<boolean> {
  const { run } = await import('../kernel/netns.js');
  return run(['unshare', '--version'], { allowFailure: true, timeoutMs: 5000 }).then(
    (r) => r.code === 0,
    () => false,
  );
}
