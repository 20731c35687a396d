/**
 * The interop lab: synack on a TUN device, the Linux kernel's TCP on the other side of it.
 *
 *   const lab = await TunLab.create({ mtu: 1500 });
 *   // synack (this process)       TUN device sk0 in namespace sk-ik-<pid>-<hex>       kernel agent
 *   // 10.91.0.2, fd91::2   <->   kernel side 10.91.0.1/24, fd91::1/64   <->   net sockets in the ns
 *   const k = await lab.agent();          // the kernel endpoint (kernel-agent.ts) inside the ns
 *   const sock = lab.net.connect({ host: lab.kernel(4), port: 5001 });
 *   ...
 *   await lab.destroy();                  // agent killed, device and namespace gone, capture flushed
 *
 * The TUN device is created by this process and moved into the namespace (the fd keeps working),
 * so the kernel endpoint and everything it sends live there, and nothing touches the host's own
 * network. A routed lab (`routed: true`) puts the kernel endpoint one hop further, for loss in
 * both directions:
 *
 *   synack 10.91.0.2 <-TUN sk0-> [ns: 10.91.0.1 | forwarding | 10.92.0.1] <-veth-> [ns-k: 10.92.0.2]
 *          fd91::2                     fd91::1                 fd92::1                  fd92::2
 * Every packet crossing the device is recorded (PcapTap, LINKTYPE_RAW) to a pcap file
 * that `checkCapture()` hands to tshark.
 *
 * Invariant: after destroy() the agent process, the device and the namespace are gone, whatever
 * state the test left them in; every wait here is bounded. Namespaces named `sk-ik-<pid>-*` whose
 * creator is dead are swept on the next create.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BufferedFileSink } from '../../src/capture/node.js';
import { TunDevice, tunUnavailableReason } from '../../src/link/tun.js';
import { CaptureRecorder, PcapTap } from '../../src/link/tap.js';
import { RealtimeScheduler } from '../../src/link/scheduler.js';
import type { Link } from '../../src/link/link.js';
import type { StackDriver } from '../../src/stack/driver.js';
import { NodeNet, createNodeStack, runRealtime, type NodeSocket } from '../../src/stack/node.js';
import type { Stack } from '../../src/stack/stack.js';
import type { TcpConfig } from '../../src/tcp/config.js';
import { findTool, run, type RunResult } from '../kernel/netns.js';
import { BAD_TCP_CHECKSUM } from '../interop/tshark.js';
import type { AgentCommand, AgentEvent, Digest } from './kernel-agent.js';

export type { Digest } from './kernel-agent.js';
export type Family = 4 | 6;
/** Who opens the connection: synack (connect) to a kernel listener, or a kernel connect() to synack. */
export type Role = 'synack-client' | 'kernel-client';
export const ROLES: readonly Role[] = ['synack-client', 'kernel-client'];

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
const AGENT = fileURLToPath(new URL('./kernel-agent.ts', import.meta.url));

/** Addresses (RFC 1918 / RFC 4193 ranges nobody else here uses). */
export const LAB_ADDRESSES = {
  kernel4: '10.91.0.1',
  synack4: '10.91.0.2',
  kernel6: 'fd91::1',
  synack6: 'fd91::2',
} as const;
export const DEVICE = 'sk0';
/** Routed labs: the veth link between the TUN's namespace (the router) and the kernel endpoint's. */
export const ROUTED_ADDRESSES = {
  router4: '10.92.0.1',
  far4: '10.92.0.2',
  router6: 'fd92::1',
  far6: 'fd92::2',
} as const;

/**
 * The far namespace `<ns>-k` and a veth pair (vk0 in `ns`, vk1 there), with forwarding on in `ns`
 * and default routes back through it. Offloads off on both ends (as test/kernel/netns.ts does): no
 * GSO/GRO super-packets, so a netfilter drop in the router loses one segment, not forty.
 */
/**
 * No IPv6 duplicate address detection on the interfaces made in `ns` from now on: their link-local
 * addresses are usable at once instead of after about a second, during which the first packets
 * wait for neighbour discovery (a SYN then goes again at the 1 s initial RTO, which changes what a
 * test sees: ECN drops off a retransmitted SYN).
 */
async function noDad(ns: string): Promise<void> {
  await run([tool('ip'), 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.conf.all.accept_dad=0'], { timeoutMs: 5000 });
}

async function setupRouted(ns: string): Promise<void> {
  const ip = tool('ip');
  const far = `${ns}-k`;
  const A = ROUTED_ADDRESSES;
  await run([ip, 'netns', 'add', far], { timeoutMs: 5000 });
  await noDad(far);
  await run([ip, '-n', far, 'link', 'set', 'lo', 'up']);
  await run([ip, 'link', 'add', 'vk0', 'netns', ns, 'type', 'veth', 'peer', 'name', 'vk1', 'netns', far]);
  await run([ip, '-n', ns, 'addr', 'add', `${A.router4}/24`, 'dev', 'vk0']);
  await run([ip, '-n', ns, '-6', 'addr', 'add', `${A.router6}/64`, 'dev', 'vk0', 'nodad']);
  await run([ip, '-n', far, 'addr', 'add', `${A.far4}/24`, 'dev', 'vk1']);
  await run([ip, '-n', far, '-6', 'addr', 'add', `${A.far6}/64`, 'dev', 'vk1', 'nodad']);
  const ethtool = findTool('ethtool');
  for (const [n, dev] of [[ns, 'vk0'], [far, 'vk1']] as const) {
    if (ethtool !== null) await run([ip, 'netns', 'exec', n, ethtool, '-K', dev, 'tso', 'off', 'gso', 'off', 'gro', 'off', 'tx', 'off', 'rx', 'off']);
    await run([ip, '-n', n, 'link', 'set', dev, 'up']);
  }
  await run([ip, 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
  await run([ip, '-n', far, 'route', 'add', 'default', 'via', A.router4]);
  await run([ip, '-n', far, '-6', 'route', 'add', 'default', 'via', A.router6]);
  // Carrier on both ends before the first SYN (bounded).
  const deadline = Date.now() + 5000;
  for (const [n, dev] of [[ns, 'vk0'], [far, 'vk1']] as const) {
    for (;;) {
      const r = await run([ip, '-n', n, '-j', 'link', 'show', 'dev', dev]);
      if ((JSON.parse(r.stdout) as { operstate?: string }[])[0]?.operstate === 'UP') break;
      if (Date.now() > deadline) throw new Error(`${n}/${dev} did not come up`);
      await sleep(20);
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function tool(name: 'ip' | 'ss' | 'nft' | 'tshark'): string {
  const p = findTool(name);
  if (p === null) throw new Error(`${name} not found`);
  return p;
}

let probe: Promise<string | null> | undefined;

/** Why the lab cannot run here (for `describe(..., { skip })`), or null. */
export function labSkipReason(): Promise<string | null> {
  probe ??= (async () => {
    if (process.platform !== 'linux') return `needs Linux, this is ${process.platform}`;
    const why = tunUnavailableReason();
    if (why !== undefined) return why;
    const missing = (['ip', 'ss', 'nft', 'tshark'] as const).filter((t) => findTool(t) === null);
    if (missing.length > 0) return `needs ${missing.join(', ')} (apt-get install iproute2 nftables tshark)`;
    const name = `sk-ik-${process.pid}-${randomBytes(3).toString('hex')}`;
    try {
      await run([tool('ip'), 'netns', 'add', name], { timeoutMs: 5000 });
    } catch (e) {
      return `cannot create network namespaces: ${e instanceof Error ? e.message : String(e)}`;
    }
    await run([tool('ip'), 'netns', 'del', name], { timeoutMs: 5000, allowFailure: true });
    return null;
  })();
  return probe;
}

/** Removes `sk-ik-<pid>-*` namespaces left by a process that is gone. */
async function sweepStale(): Promise<void> {
  const r = await run([tool('ip'), 'netns', 'list'], { timeoutMs: 5000, allowFailure: true });
  for (const line of r.stdout.split('\n')) {
    const m = /^(sk-ik-(\d+)-[0-9a-f]+(?:-k)?)(?:\s|$)/.exec(line.trim());
    if (m?.[1] === undefined || m[2] === undefined) continue;
    let alive = true;
    try {
      process.kill(Number(m[2]), 0);
    } catch (e) {
      alive = (e as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!alive) await run([tool('ip'), 'netns', 'del', m[1]], { timeoutMs: 5000, allowFailure: true });
  }
}

// ---------------------------------------------------------------------------------------------
// The kernel agent

/** The agent process in the namespace; events are kept in order, waits are bounded. */
export class KernelAgent {
  readonly events: AgentEvent[] = [];
  stderr = '';
  exited = false;
  private partial = '';
  private waiters = new Set<() => boolean>();
  private readonly exitPromise: Promise<void>;

  constructor(private readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      const parts = (this.partial + s).split('\n');
      this.partial = parts.pop() ?? '';
      for (const line of parts) {
        try {
          this.events.push(JSON.parse(line) as AgentEvent);
        } catch {
          this.stderr += `non-JSON line: ${line}\n`;
        }
      }
      this.poke();
    });
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      if (this.stderr.length < 100_000) this.stderr += s;
    });
    child.stdin?.on('error', () => undefined);
    this.exitPromise = new Promise((resolve) => {
      child.on('close', () => {
        this.exited = true;
        this.poke();
        resolve();
      });
    });
  }

  command(cmd: AgentCommand): void {
    this.child.stdin?.write(`${JSON.stringify(cmd)}\n`);
  }

  private poke(): void {
    for (const w of [...this.waiters]) if (w()) this.waiters.delete(w);
  }

  /** The first event (from the start) that `pick` accepts; rejects on timeout or exit. */
  waitFor<T>(pick: (e: AgentEvent) => T | undefined, what: string, ms = 10_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`kernel agent: no ${what} within ${ms} ms; events: ${this.tail()}`));
      }, ms);
      const check = (): boolean => {
        for (const e of this.events) {
          const v = pick(e);
          if (v !== undefined) {
            clearTimeout(timer);
            resolve(v);
            return true;
          }
        }
        if (this.exited) {
          clearTimeout(timer);
          reject(new Error(`kernel agent exited before ${what}; events: ${this.tail()}`));
          return true;
        }
        return false;
      };
      if (!check()) this.waiters.add(check);
    });
  }

  /** Shorthand: the first event of `type` for connection `id`. */
  event<K extends AgentEvent['event']>(type: K, id: string, ms = 10_000): Promise<Extract<AgentEvent, { event: K }>> {
    return this.waitFor((e) => (e.event === type && 'id' in e && e.id === id ? (e as Extract<AgentEvent, { event: K }>) : undefined), `'${type}' for ${id}`, ms);
  }

  /** Events of `type` for `id` seen so far. */
  seen(type: AgentEvent['event'], id: string): boolean {
    return this.events.some((e) => e.event === type && 'id' in e && e.id === id);
  }

  private tail(): string {
    return `${JSON.stringify(this.events.slice(-8))}${this.stderr !== '' ? `; stderr: ${this.stderr.slice(-500)}` : ''}`;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    this.child.stdin?.end();
    const t = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await this.exitPromise;
    clearTimeout(t);
  }
}

// ---------------------------------------------------------------------------------------------
// The lab

export interface LabOptions {
  /** Device MTU (default 1500). */
  readonly mtu?: number;
  /** Engine settings for synack's connections. */
  readonly tcp?: Partial<TcpConfig>;
  /** Record the link to a pcap file (default true). */
  readonly capture?: boolean;
  /**
   * Put the kernel endpoint one hop away: in a second namespace joined by a veth pair to the TUN's
   * namespace, which forwards (see the module comment). Needed for loss of the kernel's segments.
   */
  readonly routed?: boolean;
  /** TSO/GSO offload on the TUN device (TunOpenOptions.offload), and GRO with it (TunOpenOptions.gro). */
  readonly offload?: boolean;
  readonly gro?: boolean;
}

export interface SsInfo {
  readonly line: string;
  readonly wscale: readonly [number, number] | undefined;
  readonly sack: boolean;
  readonly ts: boolean;
  readonly mss: number | undefined;
  readonly rcvmss: number | undefined;
}

export class TunLab {
  readonly stack: Stack;
  readonly net: NodeNet;
  readonly pcapFile: string | undefined;
  /** The namespace of the kernel endpoint: `ns` itself, or the far one when routed. */
  readonly kernelNs: string;
  private agentProc: KernelAgent | undefined;
  private destroyed = false;

  private constructor(
    /** The namespace holding the TUN device (the router when routed). */
    readonly ns: string,
    readonly routed: boolean,
    readonly dev: TunDevice,
    readonly scheduler: RealtimeScheduler,
    private readonly driver: StackDriver,
    stack: Stack,
    private readonly dir: string,
    private readonly sink: BufferedFileSink | undefined,
  ) {
    this.stack = stack;
    this.net = new NodeNet(stack);
    this.pcapFile = sink?.path;
    this.kernelNs = routed ? `${ns}-k` : ns;
  }

  static async create(o: LabOptions = {}): Promise<TunLab> {
    await sweepStale();
    const ns = `sk-ik-${process.pid}-${randomBytes(3).toString('hex')}`;
    await run([tool('ip'), 'netns', 'add', ns], { timeoutMs: 5000 });
    await noDad(ns);
    let dev: TunDevice | undefined;
    const dir = mkdtempSync(join(tmpdir(), 'synack-interop-'));
    try {
      await run([tool('ip'), '-n', ns, 'link', 'set', 'lo', 'up'], { timeoutMs: 5000 });
      if (o.routed === true) await setupRouted(ns);
      const mtu = o.mtu ?? 1500;
      dev = await TunDevice.open({
        name: DEVICE,
        netns: ns,
        mtu,
        address: [`${LAB_ADDRESSES.kernel4}/24`, `${LAB_ADDRESSES.kernel6}/64`],
        txQueueLength: 10_000,
        ...(o.offload === true ? { offload: true } : {}),
        ...(o.gro === true ? { gro: true } : {}),
      });
      const scheduler = new RealtimeScheduler();
      const clock = (): number => scheduler.now();
      const stack = createNodeStack({
        name: 'synack',
        interfaces: [{ addresses: [LAB_ADDRESSES.synack4, LAB_ADDRESSES.synack6], mtu }],
        clock,
        ...(o.tcp !== undefined ? { tcp: o.tcp } : {}),
      });
      let link: Link = dev;
      let sink: BufferedFileSink | undefined;
      if (o.capture ?? true) {
        sink = new BufferedFileSink(join(dir, 'tun.pcap'), 1 << 22); // (a pcap of 100 MB is ~80k records)
        link = new PcapTap(dev, new CaptureRecorder({ sink: sink.write, epochSeconds: Math.floor(Date.now() / 1000) }), clock);
      }
      const driver = runRealtime(stack, [link], scheduler);
      const lab = new TunLab(ns, o.routed === true, dev, scheduler, driver, stack, dir, sink);
      return lab;
    } catch (e) {
      dev?.close();
      await run([tool('ip'), 'netns', 'del', ns], { timeoutMs: 5000, allowFailure: true });
      await run([tool('ip'), 'netns', 'del', `${ns}-k`], { timeoutMs: 5000, allowFailure: true });
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** The kernel endpoint's address: on the TUN link, or beyond the router when routed. */
  kernel(family: Family): string {
    if (this.routed) return family === 4 ? ROUTED_ADDRESSES.far4 : ROUTED_ADDRESSES.far6;
    return family === 4 ? LAB_ADDRESSES.kernel4 : LAB_ADDRESSES.kernel6;
  }

  synack(family: Family): string {
    return family === 4 ? LAB_ADDRESSES.synack4 : LAB_ADDRESSES.synack6;
  }

  /** The kernel endpoint process (started on first use; 'ready' awaited). */
  async agent(maxMs = 120_000): Promise<KernelAgent> {
    if (this.agentProc !== undefined) return this.agentProc;
    const child = spawn(tool('ip'), ['netns', 'exec', this.kernelNs, process.execPath, '--import', 'tsx', AGENT, '--max-ms', String(maxMs)], {
      cwd: REPO,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const a = new KernelAgent(child);
    this.agentProc = a;
    await a.waitFor((e) => (e.event === 'ready' ? true : undefined), 'ready', 15_000);
    return a;
  }

  /**
   * One established connection between synack and the kernel agent, in either role; both sides
   * half-open capable (a FIN closes only the sender's direction). The agent's connection id is 'k'
   * unless given.
   */
  async open(role: Role, family: Family, port: number, id = 'k'): Promise<{ sock: NodeSocket; agent: KernelAgent; id: string }> {
    const agent = await this.agent();
    if (role === 'synack-client') {
      agent.command({ op: 'listen', id, host: this.kernel(family), port });
      await agent.event('listening', id);
      const sock = this.net.connect({ host: this.kernel(family), port, allowHalfOpen: true });
      await within(
        new Promise<void>((resolve, reject) => {
          sock.once('connect', resolve);
          sock.once('error', reject);
        }),
        10_000,
        `synack's connect to ${this.kernel(family)} port ${port}`,
      );
      await agent.event('connected', id);
      return { sock, agent, id };
    }
    const server = this.net.createServer({ allowHalfOpen: true });
    const accepted = new Promise<NodeSocket>((resolve) => server.once('connection', resolve));
    await new Promise<void>((resolve) => server.listen({ port, host: this.synack(family) }, resolve));
    agent.command({ op: 'connect', id, host: this.synack(family), port });
    const sock = await within(accepted, 10_000, `the kernel's connection to synack port ${port}`);
    // One connection per test, like the agent's listeners: later SYNs are refused.
    server.close();
    await agent.event('connected', id);
    return { sock, agent, id };
  }

  /** Run a command inside the TUN's namespace (or, with `where` 'kernel', the kernel endpoint's). */
  exec(argv: readonly string[], opts: { input?: string; allowFailure?: boolean; timeoutMs?: number; where?: 'tun' | 'kernel' } = {}): Promise<RunResult> {
    const ns = opts.where === 'kernel' ? this.kernelNs : this.ns;
    return run([tool('ip'), 'netns', 'exec', ns, ...argv], { timeoutMs: opts.timeoutMs ?? 10_000, ...opts });
  }

  /** The kernel's view of its TCP socket with `port` at either end (`ss -tin`), or undefined. */
  async ss(port: number): Promise<SsInfo | undefined> {
    const r = await this.exec([tool('ss'), '-tinH', 'state', 'established'], { where: 'kernel' });
    const lines = r.stdout.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const head = lines[i] ?? '';
      const cols = head.trim().split(/\s+/);
      if (!cols.slice(2, 4).some((c) => c.endsWith(`:${port}`))) continue;
      // The info line follows the socket line (indented).
      const info = lines[i + 1] ?? '';
      const ws = /\bwscale:(\d+),(\d+)/.exec(info);
      const mss = /\bmss:(\d+)/.exec(info);
      const rcvmss = /\brcvmss:(\d+)/.exec(info);
      return {
        line: `${head.trim()} | ${info.trim()}`,
        wscale: ws !== null ? [Number(ws[1]), Number(ws[2])] : undefined,
        sack: /\bsack\b/.test(info),
        ts: /\bts\b/.test(info),
        mss: mss !== null ? Number(mss[1]) : undefined,
        rcvmss: rcvmss !== null ? Number(rcvmss[1]) : undefined,
      };
    }
    return undefined;
  }

  /**
   * Random loss of `percent`% of TCP segments in one direction, with nftables: 'to-kernel' drops
   * packets synack wrote to the device, 'to-synack' packets the kernel sends toward it. SYNs are
   * exempt so setup is not delayed by the 1 s initial RTO; data, ACKs, FINs and RSTs may all be
   * dropped. Returns the counters.
   *
   * Routed labs drop in the router's forward chain: a real loss for both TCPs. Without a router,
   * 'to-kernel' drops in prerouting (also a real loss) but 'to-synack' can only drop in output,
   * and Linux reports a netfilter drop of its own packet back to TCP as a local send failure, so
   * TCP sends it again at once: no segment is ever lost on the wire. Use `routed` for that.
   */
  async addLoss(direction: 'to-kernel' | 'to-synack', percent: number): Promise<() => Promise<{ seen: number; dropped: number }>> {
    if (!Number.isInteger(percent) || percent < 1 || percent > 99) throw new RangeError(`loss percent ${percent}`);
    const table = direction === 'to-kernel' ? 'sk_loss_in' : 'sk_loss_out';
    const hook = this.routed ? 'forward' : direction === 'to-kernel' ? 'prerouting' : 'output';
    const match = direction === 'to-kernel' ? `iifname "${DEVICE}"` : `oifname "${DEVICE}"`;
    const ruleset = `table inet ${table} {
  counter seen { }
  counter dropped { }
  chain c {
    type filter hook ${hook} priority ${hook === 'forward' ? 'filter' : 'raw'}; policy accept;
    ${match} tcp flags & syn == syn accept
    ${match} meta l4proto tcp counter name "seen"
    ${match} meta l4proto tcp numgen random mod 100 < ${percent} counter name "dropped" drop
  }
}
`;
    await this.exec([tool('nft'), '-f', '-'], { input: ruleset });
    return async () => {
      const r = await this.exec([tool('nft'), '-j', 'list', 'counters', 'table', 'inet', table]);
      const doc = JSON.parse(r.stdout) as { nftables?: { counter?: { name?: string; packets?: number } }[] };
      const get = (name: string): number => doc.nftables?.find((x) => x.counter?.name === name)?.counter?.packets ?? Number.NaN;
      return { seen: get('seen'), dropped: get('dropped') };
    };
  }

  /** The capture file, flushed: everything recorded so far is in it. */
  capture(): string {
    if (this.sink === undefined) throw new Error('the lab was created without a capture');
    this.sink.flush();
    return this.sink.path;
  }

  /** tshark's verdict on the capture so far (see captureProblems). */
  checkCapture(): Promise<{ frames: number; bad: number[] }> {
    return captureProblems(this.capture());
  }

  /** Everything removed, in an order that never hangs: agent, driver, device, namespace, files. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await this.agentProc?.stop().catch(() => undefined);
    this.driver.close();
    this.dev.close();
    this.sink?.close();
    await run([tool('ip'), 'netns', 'del', this.ns], { timeoutMs: 5000, allowFailure: true });
    if (this.routed) await run([tool('ip'), 'netns', 'del', this.kernelNs], { timeoutMs: 5000, allowFailure: true });
    if (process.env['SYNACK_KEEP_CAPTURES']) process.stderr.write(`# SYNACK_KEEP_CAPTURES: ${this.dir}\n`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Ask tshark (checksums verified) for frames that are malformed, carry a bad IP, TCP or ICMPv6
 * checksum (a TCP checksum of 0xffff for a computed 0x0000 is the same value, RFC 1624 3, and
 * passes), or raise an expert item of severity error. TCP payloads are decoded as plain data
 * (`-d tcp.port==P,data` for every port seen): random test bytes on a port some protocol owns
 * (6000 is X11's) would otherwise be "malformed X11". Returns the number of frames and the
 * offending frame numbers (expected: none).
 */
export async function captureProblems(file: string): Promise<{ frames: number; bad: number[] }> {
  const tshark = tool('tshark');
  // No reassembly: looking for PDUs in megabytes of random bytes is what makes tshark slow.
  const prefs = ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'tcp.desegment_tcp_streams:FALSE'];
  const ports = await run([tshark, '-n', '-r', file, '-o', 'tcp.desegment_tcp_streams:FALSE', '-T', 'fields', '-e', 'tcp.srcport', '-e', 'tcp.dstport'], { timeoutMs: 120_000 });
  const frames = ports.stdout.split('\n').filter((l) => l !== '').length;
  const set = new Set(ports.stdout.split(/\s+/).filter((p) => /^\d+$/.test(p)));
  const decodeAs = [...set].flatMap((p) => ['-d', `tcp.port==${p},data`]);
  // (Linux writes 0xffff for a computed 0x0000 when it completes a checksum for the TUN device.)
  const filter = `_ws.malformed || _ws.expert.severity >= error || ip.checksum.status == "Bad" || (${BAD_TCP_CHECKSUM}) || icmpv6.checksum.status == "Bad"`;
  const bad = await run([tshark, '-n', '-r', file, ...prefs, ...decodeAs, '-Y', filter, '-T', 'fields', '-e', 'frame.number'], { timeoutMs: 120_000 });
  return { frames, bad: bad.stdout.split('\n').filter((l) => l.trim() !== '').map(Number) };
}

/** Run `fn` in a fresh lab that is always destroyed. */
export async function withLab<T>(o: LabOptions, fn: (lab: TunLab) => Promise<T>): Promise<T> {
  const lab = await TunLab.create(o);
  try {
    return await fn(lab);
  } finally {
    await lab.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// synack-side helpers

/** Write `bytes` random bytes to `sock` honouring backpressure; resolves with their digest once all are written. */
export function sendRandom(sock: NodeSocket, bytes: number): Promise<Digest> {
  const hash = createHash('sha256');
  return new Promise((resolve, reject) => {
    let left = bytes;
    const onError = (e: Error): void => reject(e);
    sock.once('error', onError);
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(64 * 1024, left);
        const buf = randomFillSync(Buffer.allocUnsafe(n));
        hash.update(buf);
        left -= n;
        const last = left === 0;
        const ok = sock.write(buf, last ? (err) => {
          sock.off('error', onError);
          if (err) reject(err);
          else resolve({ bytes, sha256: hash.digest('hex') });
        } : undefined);
        if (!ok && !last) {
          sock.once('drain', pump);
          return;
        }
      }
      if (bytes === 0) {
        sock.off('error', onError);
        resolve({ bytes: 0, sha256: hash.digest('hex') });
      }
    };
    pump();
  });
}

/** Everything `sock` receives up to the peer's FIN, hashed; rejects on a socket error. */
export function receiveAll(sock: NodeSocket): Promise<Digest> {
  const hash = createHash('sha256');
  let bytes = 0;
  return new Promise((resolve, reject) => {
    sock.on('data', (d: Buffer | Uint8Array) => {
      bytes += d.length;
      hash.update(d);
    });
    sock.once('end', () => resolve({ bytes, sha256: hash.digest('hex') }));
    sock.once('error', reject);
  });
}

/** SHA-256 of nothing: what an empty stream hashes to. */
export const EMPTY_SHA256 = createHash('sha256').digest('hex');

/** Resolves `p`, or rejects after `ms` saying `what` (tests must not hang). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export { sleep };
