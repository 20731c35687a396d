/**
 * Test harness: two Linux network namespaces joined by a veth pair, for capturing what the real
 * kernel TCP stack puts on the wire. Node-only test code (child processes, root).
 *
 *   createNetnsPair()      -> namespaces `sk-k-<pid>-<rand>-a|b`, veth `vk-a`/`vk-b`, fixed MACs,
 *                             IPv4 192.0.2.1|2/24 (RFC 5737), IPv6 2001:db8:0:1::1|2/64 (RFC 3849,
 *                             nodad), offloads off (so every captured frame is a real wire frame:
 *                             no TSO/GSO super-frames, no unfilled checksums)
 *   pair.spawn/exec        -> run a command inside one namespace (tracked; killed on teardown)
 *   pair.startCapture      -> tcpdump -U -w FILE -s 0, resolved only once tcpdump is capturing;
 *                             stop() ends it with SIGINT and checks nothing was dropped mid-capture
 *   pair.addLoss           -> nftables `numgen random mod 100 < N drop` in one namespace's prerouting
 *   pair.destroy / withNetnsPair -> teardown that always runs and is bounded in time
 *
 * Invariant: every process and namespace this module creates is gone after destroy() returns (or
 * destroy() throws saying what it could not remove); nothing outlives a bounded number of seconds.
 * Only namespaces named with our own prefix and a dead creator pid are ever cleaned up as stale.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { SynackError } from '../../src/errors.js';

/** Error codes: ERR_SYNACK_KERNEL_TOOL (a command failed or timed out), ERR_SYNACK_KERNEL_CAPTURE. */
export class KernelHarnessError extends SynackError {
  constructor(code: 'ERR_SYNACK_KERNEL_TOOL' | 'ERR_SYNACK_KERNEL_CAPTURE', message: string) {
    super(code, message);
    this.name = 'KernelHarnessError';
  }
}

// ---------------------------------------------------------------------------------------------
// Tools

/** The external programs this harness uses, with the Debian package that provides each. */
export const TOOL_PACKAGES = {
  ip: 'iproute2',
  ss: 'iproute2',
  tcpdump: 'tcpdump',
  ethtool: 'ethtool',
  nft: 'nftables',
  tshark: 'tshark',
} as const;
export type Tool = keyof typeof TOOL_PACKAGES;

const toolCache = new Map<Tool, string | null>();

/** Absolute path of a tool, searching PATH plus the sbin directories (often missing from PATH). */
export function findTool(tool: Tool): string | null {
  const cached = toolCache.get(tool);
  if (cached !== undefined) return cached;
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  let found: string | null = null;
  for (const d of dirs) {
    if (d === '') continue;
    const p = join(d, tool);
    try {
      accessSync(p, constants.X_OK);
      found = p;
      break;
    } catch {
      // not here
    }
  }
  toolCache.set(tool, found);
  return found;
}

function tool(t: Tool): string {
  const p = findTool(t);
  if (p === null) {
    throw new KernelHarnessError('ERR_SYNACK_KERNEL_TOOL', `${t} not found (Debian package ${TOOL_PACKAGES[t]})`);
  }
  return p;
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Kill with SIGKILL and reject after this long. Default 10 s. */
  readonly timeoutMs?: number;
  /** Written to stdin, which is then closed. */
  readonly input?: string;
  /** Resolve even on a non-zero exit (default: reject with stderr in the message). */
  readonly allowFailure?: boolean;
  readonly cwd?: string;
}

/** Runs a program to completion, bounded in time; never leaves it running. */
export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) return Promise.reject(new Error('run: empty argv'));
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}) });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new KernelHarnessError('ERR_SYNACK_KERNEL_TOOL', `${argv.join(' ')}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const cmdline = argv.join(' ');
      if (timedOut) {
        reject(new KernelHarnessError('ERR_SYNACK_KERNEL_TOOL', `${cmdline}: timed out after ${timeoutMs} ms`));
      } else if (code !== 0 && opts.allowFailure !== true) {
        reject(
          new KernelHarnessError('ERR_SYNACK_KERNEL_TOOL', `${cmdline}: exit ${code ?? signal}: ${stderr.trim().slice(0, 500)}`),
        );
      } else {
        resolve({ code, signal, stdout, stderr });
      }
    });
    child.stdin.on('error', () => undefined); // the program may exit before reading stdin
    child.stdin.end(opts.input ?? '');
  });
}

// ---------------------------------------------------------------------------------------------
// Long-running child processes

type Waiter = () => boolean;

/**
 * A child process we started, with its stdout split into lines (JSON lines parsed when possible)
 * and its stderr accumulated. Waiters are re-checked on every new line and on exit.
 */
export class ManagedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly lines: string[] = [];
  /** Every stdout line that parsed as JSON, in order. */
  readonly messages: unknown[] = [];
  stderr = '';
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  exited = false;
  readonly exitPromise: Promise<void>;
  private partial = '';
  private waiters = new Set<Waiter>();

  constructor(
    readonly label: string,
    argv: readonly string[],
    cwd?: string,
  ) {
    const [cmd, ...args] = argv;
    if (cmd === undefined) throw new Error('ManagedProcess: empty argv');
    this.child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(cwd !== undefined ? { cwd } : {}) });
    this.pid = this.child.pid ?? -1;
    this.child.stdout?.setEncoding('utf8').on('data', (s: string) => this.onStdout(s));
    this.child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      // Bounded: a chatty child cannot grow our memory without limit.
      if (this.stderr.length < 1_000_000) this.stderr += s;
      this.poke();
    });
    this.exitPromise = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (this.exited) return;
        this.exited = true;
        this.exitCode = code;
        this.exitSignal = signal;
        this.poke();
        resolve();
      };
      this.child.on('close', done);
      this.child.on('error', (err) => {
        this.stderr += `\nspawn error: ${err.message}`;
        done(null, null);
      });
    });
  }

  private onStdout(s: string): void {
    const text = this.partial + s;
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      if (this.lines.length >= 100_000) break;
      this.lines.push(line);
      try {
        this.messages.push(JSON.parse(line) as unknown);
      } catch {
        // not JSON: kept in lines only
      }
    }
    this.poke();
  }

  private poke(): void {
    for (const w of [...this.waiters]) if (w()) this.waiters.delete(w);
  }

  /**
   * Resolves with the first value `pick` returns (non-undefined) for a parsed stdout message.
   * Rejects when the process exits first or after `timeoutMs`.
   */
  waitForMessage<T>(pick: (m: unknown) => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return this.waitUntil(() => {
      for (const m of this.messages) {
        const v = pick(m);
        if (v !== undefined) return { value: v };
      }
      return undefined;
    }, timeoutMs, what);
  }

  /** Resolves once stderr matches `re`. */
  waitForStderr(re: RegExp, timeoutMs: number, what: string): Promise<RegExpMatchArray> {
    return this.waitUntil(() => {
      const m = this.stderr.match(re);
      return m === null ? undefined : { value: m };
    }, timeoutMs, what);
  }

  private waitUntil<T>(check: () => { value: T } | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new KernelHarnessError('ERR_SYNACK_KERNEL_TOOL', `${this.label}: no ${what} within ${timeoutMs} ms${this.tail()}`));
      }, timeoutMs);
      const waiter: Waiter = () => {
        const r = check();
        if (r !== undefined) {
          clearTimeout(timer);
          resolve(r.value);
          return true;
        }
        if (this.exited) {
          clearTimeout(timer);
          reject(
            new KernelHarnessError(
              'ERR_SYNACK_KERNEL_TOOL',
              `${this.label}: exited (${this.exitCode ?? this.exitSignal}) before ${what}${this.tail()}`,
            ),
          );
          return true;
        }
        return false;
      };
      if (!waiter()) this.waiters.add(waiter);
    });
  }

  /** Waits for exit; on timeout rejects (the process keeps running: call stop()). */
  async waitExit(timeoutMs: number): Promise<void> {
    if (this.exited) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new KernelHarnessError('ERR_SYNACK_KERNEL_TOOL', `${this.label}: still running after ${timeoutMs} ms${this.tail()}`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.exitPromise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends `signal`, waits up to `graceMs`, then SIGKILLs and waits again (bounded). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 2000): Promise<void> {
    if (this.exited) return;
    this.child.kill(signal);
    try {
      await this.waitExit(graceMs);
      return;
    } catch {
      // fall through to SIGKILL
    }
    this.child.kill('SIGKILL');
    await this.waitExit(2000).catch(() => undefined);
  }

  private tail(): string {
    const err = this.stderr.trim();
    return err === '' ? '' : `; stderr: ${err.slice(-600)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Environment checks

let probeResult: Promise<string | null> | undefined;

/**
 * Why kernel captures cannot run here, or null when they can. Checks root, the tools in `needs`,
 * and that a network namespace can really be created (root in a container may lack CAP_NET_ADMIN).
 * Use as `const why = await kernelUnsupported(); if (why) t.skip(why)`.
 */
export async function kernelUnsupported(needs: readonly Tool[] = ['ip', 'ss', 'tcpdump', 'ethtool']): Promise<string | null> {
  if (process.platform !== 'linux') return `needs Linux: running on ${process.platform}`;
  const uid = process.getuid?.();
  if (uid !== 0) return `needs root: running as uid ${uid ?? '?'} (network namespaces, tcpdump)`;
  const missing = needs.filter((t) => findTool(t) === null);
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((t) => TOOL_PACKAGES[t]))];
    return `needs ${missing.join(', ')}: not installed (apt-get install ${pkgs.join(' ')})`;
  }
  probeResult ??= (async () => {
    const name = `sk-k-${process.pid}-${randomBytes(3).toString('hex')}-p`;
    try {
      await run([tool('ip'), 'netns', 'add', name], { timeoutMs: 5000 });
    } catch (err) {
      return `cannot create network namespaces: ${err instanceof Error ? err.message : String(err)}`;
    }
    await run([tool('ip'), 'netns', 'del', name], { timeoutMs: 5000, allowFailure: true });
    return null;
  })();
  return probeResult;
}

// ---------------------------------------------------------------------------------------------
// The namespace pair

export type Side = 'a' | 'b';

export interface NetnsSide {
  readonly side: Side;
  readonly ns: string;
  readonly ifname: string;
  readonly mac: string;
  readonly ipv4: string;
  readonly ipv6: string;
}

export const PAIR_ADDRESSES = {
  a: { ifname: 'vk-a', mac: '02:53:4b:00:00:0a', ipv4: '192.0.2.1', ipv6: '2001:db8:0:1::1' },
  b: { ifname: 'vk-b', mac: '02:53:4b:00:00:0b', ipv4: '192.0.2.2', ipv6: '2001:db8:0:1::2' },
} as const;

export interface CaptureOptions {
  /** A pcap filter expression (default: none, every frame on the link). */
  readonly filter?: string;
  /** Kernel ring buffer for tcpdump in KiB (default 32768: a bulk burst must not overflow it). */
  readonly bufferKiB?: number;
}

export interface CaptureStats {
  readonly file: string;
  readonly packetsCaptured: number;
  readonly packetsReceivedByFilter: number;
  readonly packetsDroppedByKernel: number;
  /**
   * Frames the kernel queued for tcpdump that it had not read when it was stopped (received by
   * filter minus captured). They arrived after the capture had been quiet for `quietMs`, i.e. after
   * the traffic under test (late Neighbor Discovery, MLD...); the file holds everything before.
   */
  readonly packetsUnreadAtStop: number;
}

export interface RunningCapture {
  readonly file: string;
  readonly side: NetnsSide;
  /**
   * Waits until the file has not grown for `quietMs` (bounded by `maxMs`), SIGINTs tcpdump, waits
   * for its exit and checks that everything the filter accepted was written and nothing dropped.
   */
  stop(opts?: { quietMs?: number; maxMs?: number }): Promise<CaptureStats>;
}

export interface LossRule {
  readonly percent: number;
  /** Counters from nftables: TCP packets (non-SYN) that reached the rule, and those dropped. */
  counters(): Promise<{ seen: number; dropped: number }>;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class NetnsPair {
  readonly a: NetnsSide;
  readonly b: NetnsSide;
  private procs = new Set<ManagedProcess>();
  private destroyed = false;

  private constructor(readonly id: string) {
    this.a = { side: 'a', ns: `${id}-a`, ...PAIR_ADDRESSES.a };
    this.b = { side: 'b', ns: `${id}-b`, ...PAIR_ADDRESSES.b };
  }

  /** Builds the pair; on any failure tears down what was made and rethrows. */
  static async create(): Promise<NetnsPair> {
    await cleanupStaleNamespaces();
    const pair = new NetnsPair(`sk-k-${process.pid}-${randomBytes(3).toString('hex')}`);
    try {
      await pair.setup();
    } catch (err) {
      await pair.destroy().catch(() => undefined);
      throw err;
    }
    return pair;
  }

  side(s: Side): NetnsSide {
    return s === 'a' ? this.a : this.b;
  }

  private async setup(): Promise<void> {
    const ip = tool('ip');
    const { a, b } = this;
    for (const s of [a, b]) {
      await run([ip, 'netns', 'add', s.ns]);
      // DAD off for every address incl. link-local (the global ones also get `nodad` below), so
      // addresses are usable at once and no DAD probes land in captures.
      await run([ip, 'netns', 'exec', s.ns, 'sh', '-c',
        'echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad && echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad']);
      await run([ip, '-n', s.ns, 'link', 'set', 'lo', 'up']);
    }
    await run([ip, 'link', 'add', a.ifname, 'netns', a.ns, 'address', a.mac, 'type', 'veth',
      'peer', 'name', b.ifname, 'netns', b.ns, 'address', b.mac]);
    for (const s of [a, b]) {
      await run([ip, '-n', s.ns, 'addr', 'add', `${s.ipv4}/24`, 'dev', s.ifname]);
      await run([ip, '-n', s.ns, '-6', 'addr', 'add', `${s.ipv6}/64`, 'dev', s.ifname, 'nodad']);
      // Offloads off: without this the veth hands tcpdump 64 KB TSO/GSO frames and frames whose
      // checksum is left for hardware that does not exist.
      await run([ip, 'netns', 'exec', s.ns, tool('ethtool'), '-K', s.ifname,
        'tso', 'off', 'gso', 'off', 'gro', 'off', 'tx', 'off', 'rx', 'off']);
    }
    for (const s of [a, b]) await run([ip, '-n', s.ns, 'link', 'set', s.ifname, 'up']);
    // Both ends up -> carrier; wait for it (bounded) so the first SYN is not lost to a down link.
    const deadline = Date.now() + 5000;
    for (const s of [a, b]) {
      for (;;) {
        const r = await run([ip, '-n', s.ns, '-j', 'link', 'show', 'dev', s.ifname]);
        const links = JSON.parse(r.stdout) as { operstate?: string }[];
        if (links[0]?.operstate === 'UP') break;
        if (Date.now() > deadline) {
          throw new KernelHarnessError('ERR_SYNACK_KERNEL_TOOL', `${s.ns}/${s.ifname} did not come up: ${r.stdout}`);
        }
        await sleep(20);
      }
    }
  }

  /** Starts a tracked process inside a namespace (`ip netns exec NS argv...`; same pid). */
  spawn(s: Side, argv: readonly string[], label: string, cwd?: string): ManagedProcess {
    if (this.destroyed) throw new Error('NetnsPair: already destroyed');
    const p = new ManagedProcess(label, [tool('ip'), 'netns', 'exec', this.side(s).ns, ...argv], cwd);
    this.procs.add(p);
    return p;
  }

  /** Runs a command inside a namespace to completion. */
  exec(s: Side, argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return run([tool('ip'), 'netns', 'exec', this.side(s).ns, ...argv], opts);
  }

  /** Starts tcpdump on one end of the veth; resolves only once it is capturing. */
  async startCapture(s: Side, file: string, opts: CaptureOptions = {}): Promise<RunningCapture> {
    const side = this.side(s);
    const argv = [tool('tcpdump'), '-i', side.ifname, '-n', '-U', '--immediate-mode',
      '-B', String(opts.bufferKiB ?? 32768), '-s', '0', '-Z', 'root', '-w', file];
    if (opts.filter !== undefined) argv.push(opts.filter);
    const proc = this.spawn(s, argv, `tcpdump@${side.ns}`);
    // tcpdump prints "listening on IF" after pcap_activate() and after opening the savefile: from
    // then on the kernel queues every frame for it.
    await proc.waitForStderr(/listening on /, 10_000, '"listening on" from tcpdump');
    return {
      file,
      side,
      stop: async (stopOpts = {}) => {
        const quietMs = stopOpts.quietMs ?? 150;
        const deadline = Date.now() + (stopOpts.maxMs ?? 3000);
        let last = fileSize(file);
        let since = Date.now();
        while (Date.now() < deadline && !proc.exited) {
          await sleep(25);
          const now = fileSize(file);
          if (now !== last) {
            last = now;
            since = Date.now();
          } else if (Date.now() - since >= quietMs) break;
        }
        if (proc.exited) {
          throw new KernelHarnessError('ERR_SYNACK_KERNEL_CAPTURE', `tcpdump exited early (${proc.exitCode}): ${proc.stderr.trim()}`);
        }
        proc.child.kill('SIGINT'); // tcpdump flushes, prints its statistics and exits 0
        try {
          await proc.waitExit(5000);
        } catch (err) {
          await proc.stop('SIGKILL');
          throw err;
        }
        const num = (re: RegExp): number => {
          const m = proc.stderr.match(re);
          if (m?.[1] === undefined) {
            throw new KernelHarnessError('ERR_SYNACK_KERNEL_CAPTURE', `tcpdump statistics missing ${re}: ${proc.stderr.trim()}`);
          }
          return Number(m[1]);
        };
        const captured = num(/(\d+) packets? captured/);
        const received = num(/(\d+) packets? received by filter/);
        const stats: CaptureStats = {
          file,
          packetsCaptured: captured,
          packetsReceivedByFilter: received,
          packetsDroppedByKernel: num(/(\d+) packets? dropped by kernel/),
          packetsUnreadAtStop: Math.max(0, received - captured),
        };
        if (proc.exitCode !== 0) {
          throw new KernelHarnessError('ERR_SYNACK_KERNEL_CAPTURE', `tcpdump exit ${proc.exitCode}: ${proc.stderr.trim()}`);
        }
        // A frame dropped by the kernel is a hole in the capture. Frames still queued when tcpdump was
        // stopped came after the quiet period (see packetsUnreadAtStop): a race of SIGINT with late
        // background traffic on a loaded machine, not a hole.
        if (stats.packetsDroppedByKernel !== 0 || stats.packetsCaptured > stats.packetsReceivedByFilter) {
          throw new KernelHarnessError(
            'ERR_SYNACK_KERNEL_CAPTURE',
            `incomplete capture ${file}: ${stats.packetsCaptured} captured, ${stats.packetsReceivedByFilter} received by filter, ` +
              `${stats.packetsDroppedByKernel} dropped by kernel`,
          );
        }
        return stats;
      },
    };
  }

  /**
   * Random loss of `percent`% of incoming TCP segments in one namespace (nftables prerouting,
   * `numgen random mod 100 < N drop`). SYNs are exempt so that connection setup is not delayed by
   * a 1 s SYN retransmission timer; every other segment (data, ACK, FIN, RST) may be dropped.
   */
  async addLoss(s: Side, percent: number): Promise<LossRule> {
    if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw new RangeError(`loss percent ${percent}`);
    // nft rejects `mod 100 < 100` (value out of range), so the end points are spelled out.
    const dropRule =
      percent === 0
        ? ''
        : percent === 100
          ? 'meta l4proto tcp counter name "dropped" drop'
          : `meta l4proto tcp numgen random mod 100 < ${percent} counter name "dropped" drop`;
    const ruleset = `table inet sk_loss {
  counter seen { }
  counter dropped { }
  chain prerouting {
    type filter hook prerouting priority raw; policy accept;
    tcp flags & syn == syn accept
    meta l4proto tcp counter name "seen"
    ${dropRule}
  }
}
`;
    await this.exec(s, [tool('nft'), '-f', '-'], { input: ruleset });
    return {
      percent,
      counters: async () => {
        const r = await this.exec(s, [tool('nft'), '-j', 'list', 'counters', 'table', 'inet', 'sk_loss']);
        const doc = JSON.parse(r.stdout) as { nftables?: { counter?: { name?: string; packets?: number } }[] };
        const get = (name: string): number => doc.nftables?.find((o) => o.counter?.name === name)?.counter?.packets ?? NaN;
        return { seen: get('seen'), dropped: get('dropped') };
      },
    };
  }

  /**
   * Waits (bounded) until no TCP socket in either namespace is in a state that will still send:
   * only LISTEN, TIME-WAIT or nothing. Retransmissions after a lost FIN finish before this returns.
   */
  async waitTcpQuiet(maxMs = 5000): Promise<void> {
    const deadline = Date.now() + maxMs;
    for (;;) {
      let busy = '';
      for (const s of [this.a, this.b]) {
        const r = await this.exec(s.side, [tool('ss'), '-Htan'], { timeoutMs: 3000 });
        for (const line of r.stdout.split('\n')) {
          const state = line.trim().split(/\s+/)[0];
          if (state && state !== 'LISTEN' && state !== 'TIME-WAIT') busy += `${s.ns}: ${line.trim()}\n`;
        }
      }
      if (busy === '') return;
      if (Date.now() > deadline) {
        throw new KernelHarnessError('ERR_SYNACK_KERNEL_CAPTURE', `TCP sockets still active after ${maxMs} ms:\n${busy}`);
      }
      await sleep(50);
    }
  }

  /** Kills every process we started here, then deletes both namespaces. Idempotent, bounded. */
  async destroy(): Promise<void> {
    this.destroyed = true;
    await Promise.all([...this.procs].map((p) => p.stop('SIGTERM', 1000)));
    this.procs.clear();
    const problems: string[] = [];
    for (const s of [this.a, this.b]) {
      try {
        await removeNamespace(s.ns);
      } catch (err) {
        problems.push(err instanceof Error ? err.message : String(err));
      }
    }
    if (problems.length > 0) throw new KernelHarnessError('ERR_SYNACK_KERNEL_TOOL', problems.join('; '));
  }
}

/** Current network namespace names (`ip netns list`). */
export async function listNamespaces(): Promise<string[]> {
  const r = await run([tool('ip'), 'netns', 'list'], { timeoutMs: 5000 });
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n !== '');
}

/** Kills what still runs inside one of our namespaces (by pid), then deletes it. */
async function removeNamespace(ns: string): Promise<void> {
  if (!(await listNamespaces()).includes(ns)) return;
  const ip = tool('ip');
  for (let attempt = 0; attempt < 3; attempt++) {
    const r = await run([ip, 'netns', 'pids', ns], { timeoutMs: 5000, allowFailure: true });
    const pids = r.stdout.split(/\s+/).filter((x) => /^\d+$/.test(x)).map(Number);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, attempt === 0 ? 'SIGTERM' : 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await sleep(200);
  }
  await run([ip, 'netns', 'del', ns], { timeoutMs: 5000 });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes `sk-k-<pid>-*` namespaces whose creating process is gone (left by a crashed run). */
export async function cleanupStaleNamespaces(): Promise<string[]> {
  const removed: string[] = [];
  for (const ns of await listNamespaces()) {
    const m = /^sk-k-(\d+)-[0-9a-f]+-[abp]$/.exec(ns);
    if (m?.[1] === undefined) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || pidAlive(pid)) continue;
    await removeNamespace(ns).catch(() => undefined);
    removed.push(ns);
  }
  return removed;
}

/** Creates a pair, runs `fn`, and always tears the pair down (even when `fn` throws). */
export async function withNetnsPair<T>(fn: (pair: NetnsPair) => Promise<T>): Promise<T> {
  const pair = await NetnsPair.create();
  let result: T;
  try {
    result = await fn(pair);
  } catch (err) {
    await pair.destroy().catch(() => undefined);
    throw err;
  }
  await pair.destroy();
  return result;
}

/**
 * A temp directory for captures. `cleanup()` removes it unless SYNACK_KEEP_CAPTURES is set, in which
 * case it prints where the files are.
 */
export function captureDir(prefix = 'synack-kernel-'): { readonly dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    cleanup: () => {
      if (process.env['SYNACK_KEEP_CAPTURES']) {
        process.stderr.write(`# SYNACK_KEEP_CAPTURES: captures kept in ${dir}\n`);
        return;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
