/**
 * A Linux TUN device as a Link (Node only: this file and native/ are the only places that touch
 * the host's network). `TunDevice.open()` creates the device, or attaches to an existing one of
 * that name, through our N-API addon (native/tun.c: /dev/net/tun, IFF_TUN | IFF_NO_PI, single
 * queue, non-blocking), then configures it with iproute2 (`ip addr replace`, `ip link set`,
 * `ip route replace`), optionally in another network namespace.
 *
 * I/O is batched on Node's event loop, never on the thread pool: the addon polls the fd and hands
 * JS every packet it could read in one call (one ArrayBuffer, packets as views into it); `send`
 * writes at once and, when the kernel says EAGAIN, queues in native memory and waits for writable;
 * `sendMany` hands a whole poll's packets over in one call. With `offload` the device speaks
 * virtio_net_hdr: a connection's back-to-back segments leave as one TSO super-packet and the
 * kernel's super-packets are cut back into segments (or, with `gro`, taken whole), so a 64 KiB
 * burst costs one system call instead of forty-five.
 *
 * Invariants (those of link.ts): whole IP packets, no link header; delivery never happens inside
 * `send`; after `close()` nothing is delivered and `send` is a no-op. The addon is loaded lazily,
 * on the first open: importing this module never fails on a machine where the addon did not build.
 * Every failure to open or configure is a SynackError whose code is in TunErrorCode and whose
 * message names what is missing; a device this call created is removed again when configuring it
 * fails.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SynackError } from '../errors.js';
import { parseIpv4Address } from '../wire/ipv4.js';
import { parseIpv6Address } from '../wire/ipv6.js';
import type { Link, ReceiveCallback } from './link.js';

export const TunErrorCode = {
  /** The native addon is not built or does not load. */
  ADDON: 'ERR_SYNACK_TUN_ADDON',
  /** Not allowed: CAP_NET_ADMIN is missing (or the device belongs to another user). */
  PERMISSION: 'ERR_SYNACK_TUN_PERMISSION',
  /** No TUN support here: not Linux, or no /dev/net/tun. */
  UNSUPPORTED: 'ERR_SYNACK_TUN_UNSUPPORTED',
  /** The named device is attached to another process. */
  BUSY: 'ERR_SYNACK_TUN_BUSY',
  /** Bad options, or an existing device of that name that is not a plain TUN device. */
  INVALID: 'ERR_SYNACK_TUN_INVALID',
  /** An `ip` command failed (or iproute2 is missing). */
  CONFIG: 'ERR_SYNACK_TUN_CONFIG',
  /** Any other failure of open(2) or ioctl(2). */
  OPEN: 'ERR_SYNACK_TUN_OPEN',
  /** Reading from an open device failed (e.g. the device was deleted under us). */
  IO: 'ERR_SYNACK_TUN_IO',
} as const;
export type TunErrorCode = (typeof TunErrorCode)[keyof typeof TunErrorCode];

export interface TunOpenOptions {
  /** Device name (at most 15 bytes). Attached to when it exists, created otherwise; omitted: the kernel picks tunN. */
  readonly name?: string;
  /** Set the device MTU (68..65535). Omitted: keep the device's (1500 for a new one). */
  readonly mtu?: number;
  /**
   * The kernel's own address(es) on the device, CIDR ("10.0.0.1/24", "fd00::1/64"). IPv6
   * addresses are added with `nodad` so they are usable at once.
   */
  readonly address?: string | readonly string[];
  /**
   * Point-to-point peer (typically synack's own address): `ip addr replace ADDRESS peer PEER`,
   * applied to the first address of the same family.
   */
  readonly peer?: string;
  /** Extra prefixes routed to the device (`ip route replace PREFIX dev NAME`). Needs `up`. */
  readonly routes?: readonly string[];
  /**
   * The kernel's transmit queue toward us, in packets (`ip link set txqueuelen`; default 500). A
   * burst the kernel sends faster than we read beyond this is dropped by the kernel; raise it for
   * bulk transfers.
   */
  readonly txQueueLength?: number;
  /** Bring the device up (default true). */
  readonly up?: boolean;
  /**
   * Move the device into this (existing) network namespace before configuring it. The fd keeps
   * working: the device still belongs to this process, its kernel side now lives in the namespace.
   */
  readonly netns?: string;
  /** Most packets handed to JS per readable event (default 256). */
  readonly batchSize?: number;
  /** Most packets waiting in the native write queue when the kernel says EAGAIN (default 16384). */
  readonly queueLimit?: number;
  /**
   * TSO/GSO offload with the kernel (IFF_VNET_HDR + TUNSETOFFLOAD CSUM|TSO4|TSO6, default false):
   * the kernel may send 64 KiB TCP super-packets, which the addon cuts back into MSS-sized
   * segments with their own headers and checksums before JS sees them; and `sendMany` merges a
   * run of one connection's back-to-back segments into one super-packet, one write(2) for up to
   * 64 KiB. What the stack sends and receives (and a PcapTap records) is unchanged: segments no
   * larger than the MTU. The kernel's side sees GRO-sized segments, as from a NIC with offloads.
   */
  readonly offload?: boolean;
  /**
   * With offload: hand the kernel's TCP super-packets over whole, as one large segment with its
   * checksum completed (what Linux's GRO gives its own TCP), instead of cutting them into
   * MSS-sized segments (default false). Much less work per byte; what the stack receives (and a
   * PcapTap records) then has segments of up to 64 KiB, as a capture on a Linux host shows.
   */
  readonly gro?: boolean;
}

export interface TunStats {
  /** Packets and bytes read from the device (kernel -> synack). */
  readonly rxPackets: number;
  readonly rxBytes: number;
  /** Calls into JS that delivered them (rxPackets / rxBatches is the mean batch size). */
  readonly rxBatches: number;
  /** Packets and bytes written to the device (synack -> kernel). */
  readonly txPackets: number;
  readonly txBytes: number;
  /** Packets that met EAGAIN and waited in the native queue. */
  readonly txQueued: number;
  /** Packets dropped because the queue was full. */
  readonly txDropped: number;
  /** Packets the kernel refused (EINVAL for a malformed packet, EIO when the device is down...). */
  readonly txErrors: number;
  /** write(2) calls that returned EAGAIN. */
  readonly txEagain: number;
  /** errno name of the last refused write, or null. */
  readonly lastTxError: string | null;
  /** Offload: TSO super-packets read, and the segments they were cut into. */
  readonly rxSuper: number;
  readonly rxSplit: number;
  /** Offload: reads that were not usable (too short, a super-packet that is not plain TCP). */
  readonly rxBad: number;
  /** Offload: super-packets written, and the segments merged into them. */
  readonly txSuper: number;
  readonly txMerged: number;
  /** Packets and bytes in the write queue now. */
  readonly queuePackets: number;
  readonly queueBytes: number;
}

/** A batch of packets read in one go; views into one ArrayBuffer, valid as long as you keep them. */
export type PacketsCallback = (packets: readonly Uint8Array[]) => void;
export type TunErrorCallback = (error: SynackError) => void;

// ---------------------------------------------------------------------------------------------
// The addon

interface NativePacketFd {
  start(): void;
  pause(): void;
  /** 1 written, 0 queued, -1 dropped (queue full), -2 refused by the kernel (counted), -3 closed. */
  write(packet: Uint8Array): number;
  /** Packets not taken (dropped or refused), or -3 closed. Offload mode merges runs of segments. */
  writeMany(packets: readonly Uint8Array[]): number;
  close(): void;
  ref(): void;
  unref(): void;
  stats(): TunStats;
  readonly closed: boolean;
  readonly queued: number;
}

interface NativePacketFdOptions {
  readonly maxBatch?: number;
  readonly bufferSize?: number;
  readonly queuePackets?: number;
  readonly queueBytes?: number;
  /** 1: every packet on the fd carries a virtio_net_hdr (a TUN fd opened with offload). */
  readonly vnetHdr?: number;
  /** 1: super-packets read are handed over whole (offload mode). */
  readonly gro?: number;
}

interface NativeTun {
  open(name?: string, offload?: boolean): { fd: number; name: string; persistent: boolean; offload?: boolean };
  seqpacketPair(sndbuf?: number): [number, number];
  PacketFd: new (
    fd: number,
    onPackets: (buffer: ArrayBuffer, lengths: Uint32Array, count: number) => void,
    onError: (code: string, message: string, errno: number) => void,
    options?: NativePacketFdOptions,
  ) => NativePacketFd;
}

/** The errno-carrying Error the addon throws. */
interface NativeError {
  readonly code?: unknown;
  readonly message?: unknown;
}

const ADDON_FILE = join('native', 'build', 'Release', 'synack_tun.node');
let addon: NativeTun | undefined;

/** Where the built addon may be: $SYNACK_TUN_ADDON, else native/build/Release up from this file (src/link or dist/src/link). */
function addonCandidates(): string[] {
  const env = process.env['SYNACK_TUN_ADDON'];
  if (env !== undefined && env !== '') return [env];
  const out: string[] = [];
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    out.push(join(dir, ADDON_FILE));
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return out;
}

/** Load the addon once; a SynackError (ADDON or UNSUPPORTED) says why it cannot be. */
export function loadTunAddon(): NativeTun {
  if (addon !== undefined) return addon;
  if (process.platform !== 'linux') {
    throw new SynackError(TunErrorCode.UNSUPPORTED, `TUN devices are only supported on Linux (this is ${process.platform})`);
  }
  const candidates = addonCandidates();
  const path = candidates.find((p) => existsSync(p));
  if (path === undefined) {
    throw new SynackError(TunErrorCode.ADDON, `the native TUN addon is not built: run npm run build:native; error was: not found at ${candidates.join(', ')}`);
  }
  try {
    const loaded = createRequire(import.meta.url)(path) as NativeTun;
    if (typeof loaded.open !== 'function' || typeof loaded.PacketFd !== 'function') throw new Error(`${path} is not synack's TUN addon`);
    addon = loaded;
    return loaded;
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new SynackError(TunErrorCode.ADDON, `the native TUN addon is not built: run npm run build:native; error was ${why}`, { cause: e });
  }
}

/** True when the effective capabilities of this process include CAP_NET_ADMIN (bit 12). */
export function hasNetAdmin(): boolean {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m?.[1] === undefined) return process.getuid?.() === 0;
    return (BigInt(`0x${m[1]}`) & (1n << 12n)) !== 0n;
  } catch {
    return process.getuid?.() === 0;
  }
}

/**
 * Why a TUN device cannot be opened here, or undefined when nothing is known to be missing
 * (for skipping tests and for CLI hints; `TunDevice.open` gives the definitive answer).
 */
export function tunUnavailableReason(): string | undefined {
  try {
    loadTunAddon();
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  if (!existsSync('/dev/net/tun')) return 'the kernel has no TUN support: /dev/net/tun is missing';
  if (!hasNetAdmin()) return 'needs CAP_NET_ADMIN (run as root)';
  return undefined;
}

function openError(e: unknown, name: string | undefined): SynackError {
  const code = typeof (e as NativeError).code === 'string' ? ((e as NativeError).code as string) : '';
  const detail = typeof (e as NativeError).message === 'string' ? ((e as NativeError).message as string) : String(e);
  const dev = name !== undefined ? `TUN device ${name}` : 'a TUN device';
  const opts = { cause: e };
  switch (code) {
    case 'EPERM':
    case 'EACCES':
      return new SynackError(TunErrorCode.PERMISSION, `cannot open ${dev}: needs CAP_NET_ADMIN (run as root) (${detail})`, opts);
    case 'ENOENT':
    case 'ENODEV':
    case 'ENXIO':
      return new SynackError(TunErrorCode.UNSUPPORTED, `cannot open ${dev}: the kernel has no TUN support: /dev/net/tun is missing (${detail})`, opts);
    case 'EBUSY':
      return new SynackError(TunErrorCode.BUSY, `cannot open ${dev}: it is in use by another process (${detail})`, opts);
    case 'EINVAL':
      return new SynackError(
        TunErrorCode.INVALID,
        `cannot open ${dev}: a device of that name exists but is not a single-queue TUN device without packet information (a TAP, multi-queue or non-TUN device?) (${detail})`,
        opts,
      );
    default:
      return new SynackError(TunErrorCode.OPEN, `cannot open ${dev}: ${detail}`, opts);
  }
}

// ---------------------------------------------------------------------------------------------
// Options and iproute2

/** The kernel's dev_valid_name(): 1..15 bytes, not "." or "..", no '/', ':' or whitespace. */
function checkName(name: string): void {
  const bytes = new TextEncoder().encode(name).length;
  if (bytes === 0 || bytes > 15 || name === '.' || name === '..' || /[/:\s]/.test(name) || name.startsWith('-')) {
    throw new SynackError(TunErrorCode.INVALID, `bad TUN device name '${name}': 1 to 15 bytes, no '/', ':', whitespace or leading '-'`);
  }
}

type Family = 4 | 6;

/** Validate "ADDR[/LEN]"; returns its family. Keeps '-'-led text away from ip's option parser. */
function cidrFamily(text: string, what: string): Family {
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(text);
  const addr = m?.[1];
  if (m !== null && addr !== undefined) {
    const len = m[2] === undefined ? undefined : Number(m[2]);
    if (parseIpv4Address(addr).ok && (len === undefined || len <= 32)) return 4;
    if (addr.includes(':') && parseIpv6Address(addr).ok && (len === undefined || len <= 128)) return 6;
  }
  throw new SynackError(TunErrorCode.INVALID, `bad ${what} '${text}': want an IPv4 or IPv6 address, optionally /prefix-length`);
}

const IP_TIMEOUT_MS = 10_000;

/** Run `ip ARGS...` (no shell); resolves stdout, or rejects with a CONFIG error quoting ip's complaint. */
function ip(args: readonly string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile('ip', args, { timeout: IP_TIMEOUT_MS, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err === null) {
        resolvePromise(stdout);
        return;
      }
      const e = err as NodeJS.ErrnoException & { killed?: boolean };
      let why: string;
      if (e.code === 'ENOENT') why = "iproute2's ip command is not installed (apt install iproute2)";
      else if (e.killed === true) why = `no answer within ${IP_TIMEOUT_MS / 1000} s`;
      else why = (stderr.trim().split('\n')[0] ?? '') || e.message;
      reject(new SynackError(TunErrorCode.CONFIG, `ip ${args.join(' ')}: ${why}`, { cause: err }));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Links over a native packet fd

/**
 * A Link over a non-blocking packet file descriptor driven by the addon: a TUN device, or one end
 * of a SOCK_SEQPACKET pair. Reading starts when the first receive callback is set, so nothing is
 * read (and lost) before someone listens; until then the kernel holds packets in its queue.
 */
export class PacketLink implements Link {
  readonly mtu: number;
  private readonly native: NativePacketFd;
  private receive: ReceiveCallback | undefined;
  private batch: PacketsCallback | undefined;
  private error: TunErrorCallback | undefined;
  private isClosed = false;
  private reading = false;
  private warned = false;

  /** @internal Use TunDevice.open or openPacketPair. */
  constructor(
    addonModule: NativeTun,
    fd: number,
    mtu: number,
    options: { batchSize?: number | undefined; queueLimit?: number | undefined; vnetHdr?: boolean | undefined; gro?: boolean | undefined; describe: string },
  ) {
    this.mtu = mtu;
    const nativeOptions: { maxBatch?: number; queuePackets?: number; vnetHdr?: number; gro?: number } = {};
    if (options.batchSize !== undefined) nativeOptions.maxBatch = options.batchSize;
    if (options.queueLimit !== undefined) nativeOptions.queuePackets = options.queueLimit;
    if (options.vnetHdr === true) nativeOptions.vnetHdr = 1;
    if (options.vnetHdr === true && options.gro === true) nativeOptions.gro = 1;
    this.native = new addonModule.PacketFd(
      fd,
      (buffer, lengths, count) => this.deliver(buffer, lengths, count),
      (code, message) => this.fail(code, message, options.describe),
      nativeOptions,
    );
  }

  /** True after close(). */
  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Packets waiting in the native write queue because the kernel said EAGAIN (0 almost always
   * for a TUN device). A sender that outpaces the other side should wait while this is large:
   * past `queueLimit` packets are dropped.
   */
  get sendQueueLength(): number {
    return this.isClosed ? 0 : this.native.queued;
  }

  /**
   * Hand one IP packet to the kernel. True when written or queued; false when dropped (queue
   * full), refused by the kernel (see stats().lastTxError) or closed. The buffer is copied when
   * queued, so it may be reused as soon as this returns.
   */
  send(packet: Uint8Array): boolean {
    if (this.isClosed) return false;
    return this.native.write(packet) >= 0;
  }

  /**
   * Hand several IP packets to the kernel in one call, in order (what a stack's poll returns).
   * With offload, runs of one TCP connection's back-to-back segments become one TSO super-packet.
   * Returns how many were not taken (dropped: queue full; or refused by the kernel).
   */
  sendMany(packets: readonly Uint8Array[]): number {
    if (this.isClosed) return packets.length;
    if (packets.length === 1) return this.native.write(packets[0] as Uint8Array) >= 0 ? 0 : 1;
    const r = this.native.writeMany(packets);
    return r < 0 ? packets.length : r;
  }

  /** One call per packet (the Link contract). Starts reading. */
  onReceive(cb: ReceiveCallback): void {
    this.receive = cb;
    this.startReading();
  }

  /** One call per batch read in one go (alongside onReceive when both are set). Starts reading. */
  onPackets(cb: PacketsCallback): void {
    this.batch = cb;
    this.startReading();
  }

  /** Reading failed for good (the device was deleted, the peer closed); the link reads no more. Without a handler: a process warning. */
  onError(cb: TunErrorCallback): void {
    this.error = cb;
  }

  /** Stop reading for now (the kernel queues, then drops, what arrives meanwhile); onReceive/onPackets resume. */
  pause(): void {
    if (this.isClosed || !this.reading) return;
    this.reading = false;
    this.native.pause();
  }

  resume(): void {
    this.startReading();
  }

  /** Counters since open, and the write queue now. */
  stats(): TunStats {
    return this.native.stats();
  }

  /** Whether an open link keeps the Node process alive (it does by default, like a socket). */
  ref(): void {
    if (!this.isClosed) this.native.ref();
  }
  unref(): void {
    if (!this.isClosed) this.native.unref();
  }

  /** Close the fd (a TUN device this process created disappears with it). Idempotent. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.reading = false;
    this.native.close();
    this.receive = undefined;
    this.batch = undefined;
  }

  private startReading(): void {
    if (this.isClosed || this.reading || (this.receive === undefined && this.batch === undefined)) return;
    this.reading = true;
    this.native.start();
  }

  private deliver(buffer: ArrayBuffer, lengths: Uint32Array, count: number): void {
    const batch = this.batch;
    const packets: Uint8Array[] | undefined = batch !== undefined ? [] : undefined;
    let offset = 0;
    for (let i = 0; i < count && !this.isClosed; i++) {
      const len = lengths[i] ?? 0;
      const packet = new Uint8Array(buffer, offset, len);
      offset += len;
      packets?.push(packet);
      // link.ts: after close() nothing is delivered, even the rest of this batch.
      this.receive?.(packet);
    }
    if (batch !== undefined && packets !== undefined && !this.isClosed) batch(packets);
  }

  private fail(code: string, message: string, describe: string): void {
    this.reading = false;
    const err = new SynackError(TunErrorCode.IO, `${describe}: ${code === 'EBADFD' ? 'the device was deleted' : message} (${code})`);
    if (this.error !== undefined) this.error(err);
    else if (!this.warned) {
      this.warned = true;
      process.emitWarning(err.message, { code: err.code });
    }
  }
}

/**
 * Two PacketLinks over an AF_UNIX SOCK_SEQPACKET socket pair: what one sends the other receives,
 * packet boundaries kept, through the same native batching and EAGAIN queue as a TUN device. For
 * tests and benchmarks of the I/O path without root. `sndbuf` shrinks the socket buffers (so
 * EAGAIN comes sooner).
 */
export function openPacketPair(options: { mtu?: number; sndbuf?: number; batchSize?: number; queueLimit?: number; vnetHdr?: boolean; gro?: boolean } = {}): [PacketLink, PacketLink] {
  const mod = loadTunAddon();
  const [a, b] = mod.seqpacketPair(options.sndbuf);
  const mtu = options.mtu ?? 65535;
  // vnetHdr: both ends speak the offload format (super-packets merged by one are cut by the other).
  const opts = { batchSize: options.batchSize, queueLimit: options.queueLimit, vnetHdr: options.vnetHdr, gro: options.gro };
  return [new PacketLink(mod, a, mtu, { ...opts, describe: 'packet pair (a)' }), new PacketLink(mod, b, mtu, { ...opts, describe: 'packet pair (b)' })];
}

// ---------------------------------------------------------------------------------------------
// TUN device

export class TunDevice extends PacketLink {
  /** The device's name (the kernel's choice when none was given). */
  readonly name: string;
  /** The namespace the device was moved into, if any. */
  readonly netns: string | undefined;
  /** True when this open created the device (it goes away on close); false when it attached to a persistent one. */
  readonly created: boolean;
  /** True when TSO/GSO offload is on (TunOpenOptions.offload). */
  readonly offload: boolean;

  private constructor(mod: NativeTun, fd: number, info: { name: string; mtu: number; netns: string | undefined; created: boolean; offload: boolean }, options: TunOpenOptions) {
    super(mod, fd, info.mtu, { batchSize: options.batchSize, queueLimit: options.queueLimit, vnetHdr: info.offload, gro: options.gro, describe: `TUN device ${info.name}` });
    this.name = info.name;
    this.netns = info.netns;
    this.created = info.created;
    this.offload = info.offload;
  }

  /**
   * Create (or attach to) a TUN device and configure it. Rejects with a SynackError
   * (TunErrorCode) naming what is missing: the addon, CAP_NET_ADMIN, /dev/net/tun, iproute2...
   */
  static async open(options: TunOpenOptions = {}): Promise<TunDevice> {
    if (options.name !== undefined) checkName(options.name);
    const mtu = options.mtu;
    if (mtu !== undefined && (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535)) {
      throw new SynackError(TunErrorCode.INVALID, `bad MTU ${mtu}: want an integer from 68 to 65535`);
    }
    const addresses = options.address === undefined ? [] : typeof options.address === 'string' ? [options.address] : [...options.address];
    const families = addresses.map((a) => cidrFamily(a, 'address'));
    const peerFamily = options.peer === undefined ? undefined : cidrFamily(options.peer, 'peer address');
    const peerIndex = peerFamily === undefined ? -1 : families.indexOf(peerFamily);
    if (options.peer !== undefined && peerIndex < 0) {
      throw new SynackError(TunErrorCode.INVALID, `peer ${options.peer} needs an address of the same family`);
    }
    const routes = options.routes ?? [];
    const routeFamilies = routes.map((r) => cidrFamily(r, 'route'));
    const up = options.up ?? true;
    if (routes.length > 0 && !up) throw new SynackError(TunErrorCode.INVALID, 'routes need the device up');
    if (options.netns !== undefined && (options.netns === '' || /[/\s]/.test(options.netns) || options.netns.startsWith('-'))) {
      throw new SynackError(TunErrorCode.INVALID, `bad network namespace name '${options.netns}'`);
    }
    for (const n of [options.batchSize, options.queueLimit, options.txQueueLength]) {
      if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > 0xffffffff)) {
        throw new SynackError(TunErrorCode.INVALID, `batchSize, queueLimit and txQueueLength must be positive integers, got ${n}`);
      }
    }

    const mod = loadTunAddon();
    let opened: { fd: number; name: string; persistent: boolean; offload?: boolean };
    try {
      opened = mod.open(options.name, options.offload === true);
    } catch (e) {
      throw openError(e, options.name);
    }
    // From here the fd is ours: every failure below closes it (which removes a device we created).
    let dev: TunDevice | undefined;
    try {
      const { name } = opened;
      const ns = options.netns;
      if (ns !== undefined) await ip(['link', 'set', 'dev', name, 'netns', ns]);
      const nsArgs = ns !== undefined ? ['-n', ns] : [];
      if (mtu !== undefined) await ip([...nsArgs, 'link', 'set', 'dev', name, 'mtu', String(mtu)]);
      if (options.txQueueLength !== undefined) await ip([...nsArgs, 'link', 'set', 'dev', name, 'txqueuelen', String(options.txQueueLength)]);
      for (let i = 0; i < addresses.length; i++) {
        const family = families[i] ?? 4;
        const args = [...nsArgs, `-${family}`, 'addr', 'replace', addresses[i] ?? ''];
        if (i === peerIndex && options.peer !== undefined) args.push('peer', options.peer);
        args.push('dev', name);
        // RFC 4862 5.4: skip duplicate address detection, the link has one other end (us).
        if (family === 6) args.push('nodad');
        await ip(args);
      }
      if (up) await ip([...nsArgs, 'link', 'set', 'dev', name, 'up']);
      for (let i = 0; i < routes.length; i++) {
        await ip([...nsArgs, `-${routeFamilies[i] ?? 4}`, 'route', 'replace', routes[i] ?? '', 'dev', name]);
      }
      const actualMtu = mtu ?? (await readMtu(nsArgs, name));
      dev = new TunDevice(mod, opened.fd, { name, mtu: actualMtu, netns: ns, created: !opened.persistent, offload: opened.offload === true }, options);
      return dev;
    } catch (e) {
      if (dev !== undefined) dev.close();
      else closeRawFd(mod, opened.fd);
      throw e;
    }
  }
}

/** The device's MTU as iproute2 reports it. */
async function readMtu(nsArgs: readonly string[], name: string): Promise<number> {
  const out = await ip([...nsArgs, '-j', 'link', 'show', 'dev', name]);
  let mtu: unknown;
  try {
    mtu = (JSON.parse(out) as { mtu?: unknown }[])[0]?.mtu;
  } catch {
    mtu = undefined;
  }
  if (typeof mtu !== 'number' || !Number.isInteger(mtu)) throw new SynackError(TunErrorCode.CONFIG, `ip -j link show dev ${name}: no MTU in its answer`);
  return mtu;
}

/** Close an fd we could not wrap yet: a throwaway PacketFd owns and closes it. */
function closeRawFd(mod: NativeTun, fd: number): void {
  try {
    new mod.PacketFd(
      fd,
      () => undefined,
      () => undefined,
    ).close();
  } catch {
    // nothing more we can do
  }
}
