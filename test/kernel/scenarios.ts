/**
 * Kernel capture scenarios: real Linux TCP traffic between two network namespaces, recorded with
 * tcpdump, for the decoder's agreement tests and the analyzer's tests.
 *
 *   const meta = await makeKernelCapture('ipv4-bulk', '/tmp/x/bulk.pcap');
 *
 * The client runs in namespace side 'a' (192.0.2.1 / 2001:db8:0:1::1), the server in side 'b'
 * (192.0.2.2 / 2001:db8:0:1::2). Both endpoints are Node `net` sockets, i.e. the kernel's TCP
 * with its defaults (window scaling, SACK, timestamps; ECN off for active opens), so the capture
 * holds only kernel-made segments.
 *
 * Invariant: when the promise resolves, the pcap file is complete (tcpdump saw and wrote every
 * frame, none dropped, all sockets quiet) and the namespaces are gone; when it rejects, they are
 * gone too.
 */
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { NetnsPair, KernelHarnessError, type LossRule, type Side, type CaptureStats } from './netns.js';
import type { EndpointConfig, EndpointEvent } from './endpoint.js';

export const SCENARIOS = ['ipv4-bulk', 'ipv6-bulk', 'refused', 'abort', 'half-close', 'loss', 'udp-fragments'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface KernelCaptureOptions {
  /** Address family; default 6 for 'ipv6-bulk', else 4. */
  readonly family?: 4 | 6;
  /**
   * Bytes the data sender writes: client upload for bulk/loss (default 4 MiB; 2 MiB for loss),
   * the server's response for half-close (default 256 KiB), the UDP datagram (default 4000).
   */
  readonly bytes?: number;
  /** Client request size in the half-close scenario (default 1000). */
  readonly requestBytes?: number;
  /** Abort scenario: the client resets after receiving this many bytes (default 128 KiB). */
  readonly abortAfter?: number;
  /** Loss scenario: percent of TCP segments the server's namespace drops on input (default 5). */
  readonly lossPercent?: number;
  /** Which end tcpdump runs on (default 'client'). */
  readonly captureSide?: 'client' | 'server';
  /** pcap filter for tcpdump (default none: ARP, ND and MLD frames are kept). */
  readonly filter?: string;
  readonly serverPort?: number;
  readonly clientPort?: number;
  /** Upper bound for the whole scenario, setup to teardown (default 30 s). */
  readonly timeoutMs?: number;
}

export interface EndpointInfo {
  readonly namespace: string;
  readonly interface: string;
  readonly mac: string;
  readonly address: string;
  readonly port: number;
}

export interface KernelCaptureMeta {
  readonly scenario: Scenario;
  readonly file: string;
  readonly family: 4 | 6;
  readonly client: EndpointInfo;
  readonly server: EndpointInfo;
  readonly capturedOn: 'client' | 'server';
  /** pcap link type of the file: always Ethernet (DLT_EN10MB = 1) on a veth. */
  readonly linkType: 1;
  readonly capture: CaptureStats;
  /** What the applications saw: bytes written/read and the errno, if any. */
  readonly clientResult: { readonly sent: number; readonly received: number; readonly error: string | null };
  readonly serverResult: { readonly sent: number; readonly received: number; readonly error: string | null } | null;
  readonly loss: { readonly percent: number; readonly seen: number; readonly dropped: number } | null;
  readonly durationMs: number;
}

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const endpointScript = resolve(here, 'endpoint.ts');

function isEvent(m: unknown): m is EndpointEvent {
  return typeof m === 'object' && m !== null && 'event' in m && typeof m.event === 'string';
}

function doneOf(m: unknown): Extract<EndpointEvent, { event: 'done' }> | undefined {
  if (!isEvent(m)) return undefined;
  if (m.event === 'failed') throw new KernelHarnessError('ERR_SYNACK_KERNEL_TOOL', `endpoint failed: ${m.message}`);
  return m.event === 'done' ? m : undefined;
}

/** Rejects after `ms` with a clear message; the caller's finally still tears down. */
function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new KernelHarnessError('ERR_SYNACK_KERNEL_TOOL', `${what}: timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/**
 * Runs one scenario in fresh namespaces and writes its capture to `outFile`.
 *
 * 1. ipv4-bulk / ipv6-bulk: the client uploads `bytes`, ends; the server ends after EOF.
 * 2. refused: the client connects to a port with no listener -> SYN, RST|ACK (RFC 9293 3.10.7.1).
 * 3. abort: the server streams; the client calls resetAndDestroy() mid-transfer -> RST; segments
 *    still in flight to it draw more RSTs.
 * 4. half-close: (allowHalfOpen) the client sends a request and FIN first, the server keeps
 *    sending its response, then FIN (RFC 9293 3.6).
 * 5. loss: an upload while the server's namespace drops `lossPercent`% of incoming TCP segments
 *    (retransmissions, SACK blocks, duplicate ACKs).
 * 6. udp-fragments (beyond TCP): one UDP datagram larger than the MTU, fragmented by the kernel
 *    (IPv4 MF / fragment offsets, or the IPv6 Fragment header).
 */
export async function makeKernelCapture(
  scenario: Scenario,
  outFile: string,
  opts: KernelCaptureOptions = {},
): Promise<KernelCaptureMeta> {
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? 30_000;
  if (!(SCENARIOS as readonly string[]).includes(scenario)) throw new RangeError(`unknown kernel scenario ${String(scenario)}`);
  for (const [name, v, max] of [
    ['bytes', opts.bytes, 1 << 30],
    ['requestBytes', opts.requestBytes, 1 << 30],
    ['abortAfter', opts.abortAfter, 1 << 30],
    ['timeoutMs', opts.timeoutMs, 600_000],
  ] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= max)) throw new RangeError(`${name} must be an integer in [0, ${max}]: ${v}`);
  }
  if (scenario === 'udp-fragments' && opts.bytes !== undefined && opts.bytes > 65507) {
    throw new RangeError(`a UDP datagram holds at most 65507 bytes: ${opts.bytes}`);
  }
  const pair = await NetnsPair.create();
  try {
    return await withTimeout(runScenario(pair, scenario, outFile, opts, started), timeoutMs, `scenario ${scenario}`);
  } finally {
    await pair.destroy();
  }
}

async function runScenario(
  pair: NetnsPair,
  scenario: Scenario,
  outFile: string,
  opts: KernelCaptureOptions,
  started: number,
): Promise<KernelCaptureMeta> {
  const family: 4 | 6 = opts.family ?? (scenario === 'ipv6-bulk' ? 6 : 4);
  const clientSide: Side = 'a';
  const serverSide: Side = 'b';
  const addr = (s: Side): string => (family === 4 ? pair.side(s).ipv4 : pair.side(s).ipv6);
  const serverPort = opts.serverPort ?? 5201;
  const clientPort = opts.clientPort ?? 40001;
  const endpointTimeout = Math.max(5000, (opts.timeoutMs ?? 30_000) - 5000);

  const bytes =
    opts.bytes ??
    (scenario === 'loss' ? 2 << 20 : scenario === 'half-close' ? 256 << 10 : scenario === 'udp-fragments' ? 4000 : 4 << 20);

  let loss: LossRule | null = null;
  if (scenario === 'loss') loss = await pair.addLoss(serverSide, opts.lossPercent ?? 5);

  const captureSide = opts.captureSide ?? 'client';
  const capture = await pair.startCapture(
    captureSide === 'client' ? clientSide : serverSide,
    outFile,
    opts.filter !== undefined ? { filter: opts.filter } : {},
  );

  const node = (cfg: EndpointConfig): string[] => [process.execPath, '--import', 'tsx', endpointScript, JSON.stringify(cfg)];

  // Server (none for 'refused'; for UDP the datagram needs no listener: the capture is the point).
  const serverMode = scenario === 'abort' ? 'source' : scenario === 'half-close' ? 'respond-after-eof' : 'sink';
  const needsServer = scenario !== 'refused' && scenario !== 'udp-fragments';
  const server = needsServer
    ? pair.spawn(
        serverSide,
        node({ role: 'server', mode: serverMode, host: addr(serverSide), port: serverPort, bytes, timeoutMs: endpointTimeout }),
        `server(${scenario})`,
        repoRoot,
      )
    : null;
  if (server) {
    await server.waitForMessage((m) => (isEvent(m) && m.event === 'listening' ? m : undefined), 10_000, 'listening event');
  }

  const clientMode =
    scenario === 'refused'
      ? 'refused'
      : scenario === 'abort'
        ? 'abort'
        : scenario === 'half-close'
          ? 'half-close'
          : scenario === 'udp-fragments'
            ? 'udp-datagram'
            : 'upload';
  const client = pair.spawn(
    clientSide,
    node({
      role: 'client',
      mode: clientMode,
      host: addr(serverSide),
      port: serverPort,
      localHost: addr(clientSide),
      localPort: clientPort,
      bytes: scenario === 'half-close' ? (opts.requestBytes ?? 1000) : bytes,
      abortAfter: opts.abortAfter ?? 128 << 10,
      timeoutMs: endpointTimeout,
    }),
    `client(${scenario})`,
    repoRoot,
  );
  const clientDone = await client.waitForMessage(doneOf, endpointTimeout + 2000, 'done event');
  const serverDone = server ? await server.waitForMessage(doneOf, endpointTimeout + 2000, 'done event') : null;
  await client.waitExit(5000);
  if (server) await server.waitExit(5000);

  checkOutcome(scenario, bytes, opts.requestBytes ?? 1000, clientDone, serverDone);

  await pair.waitTcpQuiet();
  const stats = await capture.stop();
  const counters = loss ? await loss.counters() : null;

  const info = (s: Side, port: number): EndpointInfo => ({
    namespace: pair.side(s).ns,
    interface: pair.side(s).ifname,
    mac: pair.side(s).mac,
    address: addr(s),
    port,
  });
  return {
    scenario,
    file: outFile,
    family,
    client: info(clientSide, clientPort),
    server: info(serverSide, serverPort),
    capturedOn: captureSide,
    linkType: 1,
    capture: stats,
    clientResult: { sent: clientDone.sent, received: clientDone.received, error: clientDone.error },
    serverResult: serverDone ? { sent: serverDone.sent, received: serverDone.received, error: serverDone.error } : null,
    loss: loss && counters ? { percent: loss.percent, ...counters } : null,
    durationMs: Date.now() - started,
  };
}

type Done = Extract<EndpointEvent, { event: 'done' }>;

/** The applications must have seen what the scenario is about, or the capture is not what it claims. */
function checkOutcome(scenario: Scenario, bytes: number, requestBytes: number, c: Done, s: Done | null): void {
  const fail = (why: string): never => {
    throw new KernelHarnessError(
      'ERR_SYNACK_KERNEL_CAPTURE',
      `scenario ${scenario}: ${why} (client ${JSON.stringify(c)}, server ${JSON.stringify(s)})`,
    );
  };
  switch (scenario) {
    case 'ipv4-bulk':
    case 'ipv6-bulk':
    case 'loss':
      if (c.error !== null || s?.error !== null) fail('unexpected socket error');
      if (c.sent !== bytes || s?.received !== bytes) fail(`expected ${bytes} bytes delivered`);
      break;
    case 'refused':
      if (c.error !== 'ECONNREFUSED') fail('expected ECONNREFUSED');
      break;
    case 'abort':
      if (s?.error === null || s?.error === undefined) fail('the server did not see the reset');
      break;
    case 'half-close':
      if (c.error !== null || s?.error !== null) fail('unexpected socket error');
      if (s?.received !== requestBytes || c.received !== bytes) fail('request or response incomplete');
      break;
    case 'udp-fragments':
      if (c.error !== null || c.sent !== bytes) fail('datagram not sent');
      break;
  }
}
