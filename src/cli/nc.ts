/**
 * `synack nc`: netcat over synack's userspace TCP stack on a Linux TUN device. The kernel is on the
 * other side of the device (it routes the device's prefix to it), so `synack nc -l 9000` is reached
 * by any kernel program (`nc 10.77.0.2 9000`) and `synack nc 10.77.0.1 9000` talks to a kernel
 * server, every segment on our side made by synack.
 *
 * stdin goes to the connection and the connection to stdout, with backpressure both ways (a slow
 * stdout closes synack's receive window; a slow peer stops the reading of stdin). EOF on stdin is a
 * half-close (our FIN, like `nc -N`), reading goes on; the command exits once both directions are
 * closed. SIGINT/SIGTERM abort the connection with a RST (the kernel peer learns at once) and exit.
 *
 * Invariant: every path out of `main` (success, error, signal) closes the connection, stops the
 * driver and closes the device (a device this command created goes away with it), and the capture
 * file, when asked for, is complete; errors are one line on stderr and a documented exit code.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SynackError } from '../errors.js';
import { BufferedFileSink } from '../capture/node.js';
import type { Link } from '../link/link.js';
import { RealtimeScheduler } from '../link/scheduler.js';
import { CaptureRecorder, PcapTap } from '../link/tap.js';
import { TunDevice } from '../link/tun.js';
import type { StackDriver } from '../stack/driver.js';
import { NodeNet, createNodeStack, runRealtime, type NodeServer, type NodeSocket } from '../stack/node.js';
import { formatIpv4Address, parseIpv4Address } from '../wire/ipv4.js';
import { formatIpv6Address, parseIpv6Address } from '../wire/ipv6.js';

/** Exit codes of `synack nc`. */
export const NC_EXIT = {
  OK: 0,
  /** Any other failure (bad capture file, unexpected error). */
  FAILURE: 1,
  /** The TUN device could not be opened or configured (not root, no /dev/net/tun, no addon...). */
  TUN: 2,
  /** ECONNREFUSED: the peer answered our SYN with a RST. */
  REFUSED: 3,
  /** ECONNRESET: the connection was reset. */
  RESET: 4,
  /** ETIMEDOUT: no answer (SYN retransmissions, -w, or retransmissions gave up). */
  TIMED_OUT: 5,
  /** Bad flags or arguments. */
  USAGE: 64,
  /** Interrupted (SIGINT), the connection reset. */
  INTERRUPTED: 130,
} as const;

const DEFAULT_DEVICE = 'synack0';
const DEFAULT_ADDR4 = '10.77.0.2/24';
const DEFAULT_ADDR6 = 'fd77::2/64';
/** Engine buffers: large, so one connection can fill a fast link (window scaling carries them). */
const BUFFER_SIZE = 4 << 20;

export const USAGE = `usage: synack nc [options] HOST PORT     connect to HOST:PORT
       synack nc -l [options] PORT        listen on PORT for one connection

netcat over synack's userspace TCP stack on a Linux TUN device (needs root: CAP_NET_ADMIN).
stdin is sent, what arrives is written to stdout; EOF on stdin sends FIN (half-close, like nc -N)
and the command exits once both directions are closed.

options:
  -l, --listen       listen for one connection instead of connecting
  --tun NAME         the TUN device (default ${DEFAULT_DEVICE}). An existing device (ip tuntap add
                     dev NAME mode tun) is attached to as it is: give it the kernel's address and
                     route yourself. Otherwise it is created, with the kernel's address on it, and
                     removed on exit.
  --addr CIDR        synack's own address on the link (default ${DEFAULT_ADDR4}, with -6 ${DEFAULT_ADDR6}).
                     A device created here gives the kernel the first other host address of the
                     prefix (10.77.0.1/24, fd77::1/64 by default), so the kernel routes the prefix
                     to the device.
  -6                 IPv6 defaults for --addr
  --mtu N            set the device MTU (default: the device's; 1500 for a new one)
  --offload          TSO/GSO with the kernel: segments written 64 KiB at a time, the kernel's
                     super-packets cut back into segments (much faster at MTU 1500)
  --gro              with --offload, take the kernel's super-packets whole (one large segment,
                     as Linux's GRO does; --pcap then shows segments of up to 64 KiB)
  --ecn              ask for ECN (RFC 3168): the SYN carries ECE and CWR; if the peer agrees, new
                     data goes ECN-capable (ECT(0)), CE marks are echoed, ECE halves the window.
                     Without it synack still agrees when the peer asks (as Linux's tcp_ecn=2)
  --pcap FILE        record every packet on the link (pcap; pcapng when FILE ends in .pcapng)
  -w, --wait SECS    give up when the connection is not established, or is idle, for SECS
  -v, --verbose      say what happens on stderr (device, addresses, connection)
  -h, --help         this text

exit codes: 0 done, 1 other failure, 2 TUN device error, 3 connection refused (ECONNREFUSED),
  4 connection reset (ECONNRESET), 5 timed out (ETIMEDOUT), 64 usage, 130 interrupted`;

export interface NcOptions {
  readonly listen: boolean;
  readonly host: string | undefined;
  readonly port: number;
  readonly tun: string;
  /** synack's address and prefix length. */
  readonly addr: string;
  readonly prefix: number;
  readonly family: 4 | 6;
  readonly mtu: number | undefined;
  readonly pcap: string | undefined;
  readonly waitMs: number | undefined;
  readonly verbose: boolean;
  readonly offload: boolean;
  readonly gro: boolean;
  /** Ask for ECN (TcpConfig.ecn 'on'); otherwise 'passive', the engine's default. */
  readonly ecn: boolean;
}

class UsageError extends SynackError {
  constructor(message: string) {
    super('ERR_SYNACK_USAGE', message);
  }
}

/** Flags and positionals -> NcOptions; throws UsageError. Exported for tests. */
export function parseNcArgs(argv: readonly string[]): NcOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        listen: { type: 'boolean', short: 'l' },
        tun: { type: 'string' },
        addr: { type: 'string' },
        '6': { type: 'boolean', short: '6' },
        mtu: { type: 'string' },
        pcap: { type: 'string' },
        offload: { type: 'boolean' },
        gro: { type: 'boolean' },
        ecn: { type: 'boolean' },
        wait: { type: 'string', short: 'w' },
        verbose: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  const { values, positionals } = parsed;
  if (values.help === true) return 'help';
  const listen = values.listen === true;
  let host: string | undefined;
  let portText: string | undefined;
  if (listen) {
    if (positionals.length !== 1) throw new UsageError(`nc -l wants one argument, PORT; got ${positionals.length}`);
    portText = positionals[0];
  } else {
    if (positionals.length !== 2) throw new UsageError(`nc wants HOST and PORT; got ${positionals.length} argument(s)`);
    host = positionals[0];
    portText = positionals[1];
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText ?? '') || port < 1 || port > 65535) throw new UsageError(`bad port '${portText ?? ''}': want 1 to 65535`);
  const want6 = values['6'] === true;
  const addrText = values.addr ?? (want6 ? DEFAULT_ADDR6 : DEFAULT_ADDR4);
  const cidr = parseCidr(addrText);
  if (cidr === undefined) throw new UsageError(`bad --addr '${addrText}': want ADDRESS/PREFIX-LENGTH, e.g. ${DEFAULT_ADDR4} or ${DEFAULT_ADDR6}`);
  if (want6 && cidr.family !== 6) throw new UsageError(`-6 with an IPv4 --addr ${addrText}`);
  if (host !== undefined) {
    const hf = parseIpv4Address(host).ok ? 4 : parseIpv6Address(host).ok ? 6 : undefined;
    if (hf === undefined) throw new UsageError(`bad HOST '${host}': want an IPv4 or IPv6 address (there is no resolver)`);
    if (hf !== cidr.family) throw new UsageError(`HOST ${host} is IPv${hf} but synack's address ${addrText} is IPv${cidr.family}${hf === 6 ? ' (use -6)' : ''}`);
  }
  let mtu: number | undefined;
  if (values.mtu !== undefined) {
    mtu = Number(values.mtu);
    const min = cidr.family === 6 ? 1280 : 68;
    if (!/^\d+$/.test(values.mtu) || mtu < min || mtu > 65535) throw new UsageError(`bad --mtu '${values.mtu}': want ${min} to 65535`);
  }
  let waitMs: number | undefined;
  if (values.wait !== undefined) {
    const s = Number(values.wait);
    if (!(s > 0) || !Number.isFinite(s)) throw new UsageError(`bad -w '${values.wait}': want a number of seconds > 0`);
    waitMs = s * 1000;
  }
  const tun = values.tun ?? DEFAULT_DEVICE;
  if (tun === '' || new TextEncoder().encode(tun).length > 15 || /[/:\s]/.test(tun) || tun.startsWith('-')) {
    throw new UsageError(`bad --tun '${tun}': 1 to 15 bytes, no '/', ':' or whitespace`);
  }
  return {
    listen,
    host,
    port,
    tun,
    addr: cidr.address,
    prefix: cidr.prefix,
    family: cidr.family,
    mtu,
    pcap: values.pcap,
    waitMs,
    verbose: values.verbose === true,
    offload: values.offload === true || values.gro === true,
    gro: values.gro === true,
    ecn: values.ecn === true,
  };
}

interface Cidr {
  readonly address: string;
  readonly prefix: number;
  readonly family: 4 | 6;
}

function parseCidr(text: string): Cidr | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (m === null || m[1] === undefined || m[2] === undefined) return undefined;
  const prefix = Number(m[2]);
  const v4 = parseIpv4Address(m[1]);
  if (v4.ok && prefix <= 32) return { address: formatIpv4Address(v4.value), prefix, family: 4 };
  const v6 = parseIpv6Address(m[1]);
  if (v6.ok && prefix <= 128) return { address: formatIpv6Address(v6.value), prefix, family: 6 };
  return undefined;
}

/**
 * The kernel's address on a device this command creates: the first host address of synack's
 * prefix that is not synack's own (10.77.0.1 for 10.77.0.2/24; for a /31 or /127 the other one,
 * RFC 3021, RFC 6164).
 * Undefined for a /32 or /128 (no room for a second address).
 */
export function kernelAddressFor(addr: string, prefix: number, family: 4 | 6): string | undefined {
  if (family === 4) {
    if (prefix >= 32) return undefined;
    const a = parseIpv4Address(addr);
    if (!a.ok) return undefined;
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    const net = (a.value & mask) >>> 0;
    const first = prefix === 31 ? net : (net + 1) >>> 0;
    const pick = first === a.value ? (first + 1) >>> 0 : first;
    return formatIpv4Address(pick);
  }
  if (prefix >= 128) return undefined;
  const a = parseIpv6Address(addr);
  if (!a.ok) return undefined;
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = (a.value[i] ?? 0) & ((0xff << (8 - bits)) & 0xff);
  }
  // The subnet-router anycast address (all zero host bits, RFC 4291 2.6.1) is not a host: start at
  // ::1, except on a /127 where both addresses are hosts (RFC 6164).
  const add = (n: Uint8Array, k: number): Uint8Array => {
    const r = n.slice();
    let carry = k;
    for (let i = 15; i >= 0 && carry > 0; i--) {
      const v = (r[i] ?? 0) + carry;
      r[i] = v & 0xff;
      carry = v >> 8;
    }
    return r;
  };
  const first = prefix === 127 ? out : add(out, 1);
  let pick = first;
  if (pick.every((b, i) => b === a.value[i])) pick = add(first, 1);
  return formatIpv6Address(pick);
}

function say(o: NcOptions, text: string): void {
  if (o.verbose) process.stderr.write(`synack nc: ${text}\n`);
}

function fail(text: string, code: number): number {
  process.stderr.write(`synack nc: ${text}\n`);
  return code;
}

/** errno code of a socket error -> exit code and one line. */
function connectionFailure(err: Error, where: string): number {
  const code = err instanceof SynackError ? err.code : (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ECONNREFUSED':
      return fail(`${where}: connection refused (ECONNREFUSED)`, NC_EXIT.REFUSED);
    case 'ECONNRESET':
      return fail(`${where}: connection reset by peer (ECONNRESET)`, NC_EXIT.RESET);
    case 'ETIMEDOUT':
      return fail(`${where}: timed out (ETIMEDOUT)`, NC_EXIT.TIMED_OUT);
    default:
      return fail(`${where}: ${err.message}`, NC_EXIT.FAILURE);
  }
}

/** `synack nc ARGS`: resolves with the exit code; never throws (every error is one stderr line). */
export async function main(argv: string[]): Promise<number> {
  let o: NcOptions | 'help';
  try {
    o = parseNcArgs(argv);
  } catch (e) {
    return fail(`${e instanceof Error ? e.message : String(e)}\n${USAGE}`, NC_EXIT.USAGE);
  }
  if (o === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return NC_EXIT.OK;
  }
  return run(o);
}

async function run(o: NcOptions): Promise<number> {
  // An existing device is the user's: attach without touching its addresses or routes.
  const exists = existsSync(`/sys/class/net/${o.tun}`);
  let kernelAddr: string | undefined;
  if (!exists) {
    kernelAddr = kernelAddressFor(o.addr, o.prefix, o.family);
    if (kernelAddr === undefined) return fail(`--addr ${o.addr}/${o.prefix} leaves no address for the kernel side: use a shorter prefix`, NC_EXIT.USAGE);
  }
  let capture: BufferedFileSink | undefined;
  if (o.pcap !== undefined) {
    try {
      capture = new BufferedFileSink(o.pcap);
    } catch (e) {
      return fail(`cannot write ${o.pcap}: ${e instanceof Error ? e.message : String(e)}`, NC_EXIT.FAILURE);
    }
  }
  let dev: TunDevice;
  try {
    dev = await TunDevice.open({
      name: o.tun,
      ...(o.mtu !== undefined ? { mtu: o.mtu } : {}),
      ...(kernelAddr !== undefined ? { address: `${kernelAddr}/${o.prefix}` } : {}),
      // Room for a window's worth of packets the kernel sends before we read them.
      ...(exists ? {} : { txQueueLength: 10_000 }),
      ...(o.offload ? { offload: true, gro: o.gro } : {}),
    });
  } catch (e) {
    capture?.close();
    return fail(e instanceof Error ? e.message : String(e), NC_EXIT.TUN);
  }
  const mode = dev.offload ? (o.gro ? ', offload with GRO' : ', offload') : '';
  say(o, `${dev.created ? 'created' : 'attached to'} ${dev.name} (MTU ${dev.mtu}${mode}); synack is ${o.addr}${kernelAddr !== undefined ? `, the kernel ${kernelAddr}` : ''}`);

  const scheduler = new RealtimeScheduler();
  const clock = (): number => scheduler.now();
  let link: Link = dev;
  if (capture !== undefined) {
    // Wall-clock timestamps: whole seconds in the epoch, the fraction added to every time.
    const wall = Date.now() / 1000;
    const epochSeconds = Math.floor(wall);
    const fractionMs = (wall - epochSeconds) * 1000;
    const format = o.pcap?.endsWith('.pcapng') === true ? 'pcapng' : 'pcap';
    link = new PcapTap(dev, new CaptureRecorder({ sink: capture.write, format, epochSeconds }), () => clock() + fractionMs);
  }
  const stack = createNodeStack({
    name: 'nc',
    interfaces: [{ name: dev.name, addresses: [o.addr], mtu: dev.mtu }],
    clock,
    // RFC 3168 6.1.1: --ecn sends an ECN-setup SYN; without it an ECN-setup SYN is still answered.
    tcp: { recvBufferSize: BUFFER_SIZE, sendBufferSize: BUFFER_SIZE, ...(o.ecn ? { ecn: 'on' as const } : {}) },
  });
  const driver = runRealtime(stack, [link], scheduler);
  const net = new NodeNet(stack);
  dev.onError((e) => {
    process.stderr.write(`synack nc: ${e.message}\n`);
  });
  try {
    return await session(o, net);
  } finally {
    await shutdown(driver, dev, capture);
  }
}

/** Let what the stack still has to send (the last ACK) reach the device, then close everything. */
async function shutdown(driver: StackDriver, dev: TunDevice, capture: BufferedFileSink | undefined): Promise<void> {
  driver.service();
  await new Promise((r) => setImmediate(r));
  driver.close();
  dev.close();
  capture?.close();
  // stdin may still be open (the peer closed first, or an error): stop reading it so we can exit.
  process.stdin.pause();
  process.stdin.destroy();
}

/** One connection, stdin <-> socket <-> stdout; resolves with the exit code. */
function session(o: NcOptions, net: NodeNet): Promise<number> {
  return new Promise<number>((resolve) => {
    let settled = false;
    let server: NodeServer | undefined;
    let sock: NodeSocket | undefined;
    let waitTimer: NodeJS.Timeout | undefined;
    const finish = (code: number): void => {
      if (settled) return;
      settled = true;
      if (waitTimer !== undefined) clearTimeout(waitTimer);
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigterm);
      server?.close();
      const done = (): void => resolve(code);
      // Everything received is on stdout before we go.
      if (process.stdout.writableLength > 0) process.stdout.write('', done);
      else done();
    };
    const onSignal = (code: number, name: string): void => {
      say(o, `${name}: resetting the connection`);
      // ABORT (RFC 9293 3.10.5): the peer learns at once instead of waiting on a dead address.
      sock?.destroy();
      finish(code);
    };
    const onSigint = (): void => onSignal(NC_EXIT.INTERRUPTED, 'SIGINT');
    const onSigterm = (): void => onSignal(143, 'SIGTERM');
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigterm);

    const where = o.listen ? `connection on port ${o.port}` : `connect to ${o.host ?? ''} port ${o.port}`;
    const attach = (s: NodeSocket): void => {
      sock = s;
      if (waitTimer !== undefined) clearTimeout(waitTimer);
      say(o, `connected: ${s.localAddress ?? ''}:${s.localPort ?? ''} <-> ${s.remoteAddress ?? ''}:${s.remotePort ?? ''}`);
      if (o.waitMs !== undefined) {
        s.setTimeout(o.waitMs, () => {
          s.destroy();
          finish(fail(`${where}: idle for ${o.waitMs! / 1000} s, connection reset (ETIMEDOUT)`, NC_EXIT.TIMED_OUT));
        });
      }
      // Connection -> stdout: pipe() pauses the socket while stdout is full (the window closes).
      s.pipe(process.stdout, { end: false });
      // stdin -> connection; EOF on stdin is our FIN (RFC 9293 3.10.4), reading goes on.
      process.stdin.pipe(s, { end: false });
      process.stdin.once('end', () => {
        say(o, 'stdin closed: sending FIN');
        s.end();
      });
      s.on('end', () => say(o, 'the peer closed its side (FIN)'));
      s.once('close', (hadError: boolean) => {
        const k = s.core.tcpCounters;
        if (k !== undefined && (o.ecn || k.ceIn > 0)) say(o, `ECN: ${k.ceIn} CE-marked segments received, ${k.ecnReductions} window reductions on ECN-Echo`);
        if (!hadError) {
          say(o, 'connection closed');
          finish(NC_EXIT.OK);
        }
      });
    };
    const onSocketError = (err: Error): void => {
      if (!settled) finish(connectionFailure(err, where));
    };

    if (o.waitMs !== undefined) {
      waitTimer = setTimeout(() => {
        sock?.destroy();
        finish(fail(o.listen ? `no connection on port ${o.port} within ${o.waitMs! / 1000} s (ETIMEDOUT)` : `${where}: timed out after ${o.waitMs! / 1000} s (ETIMEDOUT)`, NC_EXIT.TIMED_OUT));
      }, o.waitMs);
    }

    if (o.listen) {
      server = net.createServer({ allowHalfOpen: true });
      server.on('error', (err: Error) => {
        if (!settled) finish(fail(`listen on port ${o.port}: ${err.message}`, NC_EXIT.FAILURE));
      });
      server.once('connection', (s: NodeSocket) => {
        // One connection, like nc: later SYNs find no listener and are refused (RST).
        server?.close();
        s.on('error', onSocketError);
        attach(s);
      });
      server.listen({ port: o.port, host: o.addr }, () => say(o, `listening on ${o.addr} port ${o.port}`));
      return;
    }
    const s = net.connect({ host: o.host ?? '', port: o.port, allowHalfOpen: true });
    sock = s;
    s.on('error', onSocketError);
    s.once('connect', () => attach(s));
  });
}
