/**
 * Test helpers for the TUN device tests (Node-only test code; root for the namespace parts):
 *
 *   tunSkipReason()      why these tests cannot run here (addon, CAP_NET_ADMIN, ip, netns), or null
 *   TunNetns.create()    a network namespace `sk-tun-<pid>-<hex>`; destroy() removes it (bounded);
 *                        stale ones from a dead creator pid are swept on the next create
 *   runNode(code, opts)  an ES module snippet in a fresh node (with tsx), optionally inside a
 *                        namespace or under a wrapper command (setpriv, unshare), bounded in time
 *   echo packet builders (IPv4/ICMP, IPv6/ICMPv6, IPv4/UDP) made with src/wire's emitters
 *
 * Invariant: every namespace made here is gone after destroy(); every child is killed at its timeout.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { findTool, run, type RunResult } from '../kernel/netns.js';
import { tunUnavailableReason } from '../../src/link/tun.js';
import { IPV4_DEFAULTS, IpProtocol, emitIpv4, ipv4Address } from '../../src/wire/ipv4.js';
import { IPV6_DEFAULTS, emitIpv6, ipv6Address } from '../../src/wire/ipv6.js';
import { Icmpv4Type, Icmpv6Type, emitIcmpv4, emitIcmpv6 } from '../../src/wire/icmp.js';
import { emitUdp } from '../../src/wire/udp.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const TUN_MODULE = fileURLToPath(new URL('../../src/link/tun.ts', import.meta.url));

function ipPath(): string {
  const p = findTool('ip');
  if (p === null) throw new Error('ip not found (Debian package iproute2)');
  return p;
}

let probe: Promise<string | null> | undefined;

/** Why the kernel tests cannot run here (a plain reason for t.skip), or null. */
export function tunSkipReason(): Promise<string | null> {
  probe ??= (async () => {
    if (process.platform !== 'linux') return `needs Linux, this is ${process.platform}`;
    const why = tunUnavailableReason();
    if (why !== undefined) return why;
    if (findTool('ip') === null) return 'needs ip (apt-get install iproute2)';
    const name = `sk-tun-${process.pid}-${randomBytes(3).toString('hex')}`;
    try {
      await run([ipPath(), 'netns', 'add', name], { timeoutMs: 5000 });
    } catch (e) {
      return `cannot create network namespaces: ${e instanceof Error ? e.message : String(e)}`;
    }
    await run([ipPath(), 'netns', 'del', name], { timeoutMs: 5000, allowFailure: true });
    return null;
  })();
  return probe;
}

/** Removes `sk-tun-<pid>-*` namespaces whose creating process is gone. */
async function sweepStale(): Promise<void> {
  const r = await run([ipPath(), 'netns', 'list'], { timeoutMs: 5000, allowFailure: true });
  for (const line of r.stdout.split('\n')) {
    const m = /^(sk-tun-(\d+)-[0-9a-f]+)\b/.exec(line.trim());
    if (m?.[1] === undefined || m[2] === undefined) continue;
    const pid = Number(m[2]);
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (e) {
      alive = (e as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!alive) await run([ipPath(), 'netns', 'del', m[1]], { timeoutMs: 5000, allowFailure: true });
  }
}

export class TunNetns {
  private constructor(readonly name: string) {}

  static async create(): Promise<TunNetns> {
    await sweepStale();
    const ns = new TunNetns(`sk-tun-${process.pid}-${randomBytes(3).toString('hex')}`);
    await run([ipPath(), 'netns', 'add', ns.name], { timeoutMs: 5000 });
    return ns;
  }

  /** `ip -n NS ARGS...` */
  ip(args: readonly string[], opts: { allowFailure?: boolean } = {}): Promise<RunResult> {
    return run([ipPath(), '-n', this.name, ...args], { timeoutMs: 5000, ...opts });
  }

  /** Deletes the namespace (and every device in it). Idempotent. */
  async destroy(): Promise<void> {
    await run([ipPath(), 'netns', 'del', this.name], { timeoutMs: 5000, allowFailure: true });
  }
}

export interface RunNodeOptions {
  /** Run inside this network namespace (`ip netns exec`). */
  readonly netns?: string;
  /** Commands put in front of node (e.g. ['setpriv', '--bounding-set=-net_admin', '--']). */
  readonly wrapper?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

/**
 * Runs `code` (an ES module; it may import TS files by absolute path) in a fresh node with tsx.
 * Resolves with its output whatever the exit status.
 */
export function runNode(code: string, opts: RunNodeOptions = {}): Promise<RunResult> {
  const argv: string[] = [];
  if (opts.netns !== undefined) argv.push(ipPath(), 'netns', 'exec', opts.netns);
  if (opts.wrapper !== undefined) argv.push(...opts.wrapper);
  argv.push('env', ...Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`));
  argv.push(process.execPath, '--import', 'tsx', '--input-type=module', '-e', code);
  return run(argv, { timeoutMs: opts.timeoutMs ?? 15_000, allowFailure: true, cwd: REPO });
}

// ---------------------------------------------------------------------------------------------
// Packets

/** An IPv4 ICMP echo request (RFC 792): id, seq, payload. */
export function icmpv4Echo(src: string, dst: string, id: number, seq: number, payload: Uint8Array): Uint8Array {
  const icmpLen = 8 + payload.length;
  const buf = new Uint8Array(20 + icmpLen);
  emitIpv4({ ...IPV4_DEFAULTS, src: ipv4Address(src), dst: ipv4Address(dst), protocol: IpProtocol.ICMP, payloadLength: icmpLen, identification: seq & 0xffff }, buf);
  emitIcmpv4({ type: Icmpv4Type.ECHO_REQUEST, code: 0, rest: ((id & 0xffff) << 16) | (seq & 0xffff), payload }, buf.subarray(20));
  return buf;
}

/** An IPv6 ICMPv6 echo request (RFC 4443 4.1). */
export function icmpv6Echo(src: string, dst: string, id: number, seq: number, payload: Uint8Array): Uint8Array {
  const icmpLen = 8 + payload.length;
  const buf = new Uint8Array(40 + icmpLen);
  const ip = { ...IPV6_DEFAULTS, src: ipv6Address(src), dst: ipv6Address(dst), nextHeader: 58, payloadLength: icmpLen };
  emitIpv6(ip, buf);
  emitIcmpv6({ type: Icmpv6Type.ECHO_REQUEST, code: 0, rest: ((id & 0xffff) << 16) | (seq & 0xffff), payload }, buf.subarray(40), ip);
  return buf;
}

/** An IPv4 UDP datagram. */
export function udpv4(src: string, srcPort: number, dst: string, dstPort: number, payload: Uint8Array): Uint8Array {
  const udpLen = 8 + payload.length;
  const buf = new Uint8Array(20 + udpLen);
  const ip = { ...IPV4_DEFAULTS, src: ipv4Address(src), dst: ipv4Address(dst), protocol: IpProtocol.UDP, payloadLength: udpLen };
  emitIpv4(ip, buf);
  emitUdp({ srcPort, dstPort, payload }, buf.subarray(20), ip);
  return buf;
}

/** Resolves when `cond()` holds (checked every few ms), rejects after `ms` saying `what`. */
export function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const tick = (): void => {
      if (cond()) resolve();
      else if (Date.now() - start > ms) reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      else setTimeout(tick, 5);
    };
    tick();
  });
}
