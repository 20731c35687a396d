/**
 * The simulator's model, without any DOM: src/stack's ScenarioRun (two synack hosts, real TCP
 * engines on virtual time over the in-memory link, stepped by the view) driven either by one of
 * `synack demo`'s scenarios (the very runner the CLI uses, so a preset gives the segments the CLI
 * prints) or by hand: listen/refuse, connect, send N bytes, shutdown (half-close), close, abort,
 * from either side; link faults for the next segment (drop, duplicate, delay) and as rates.
 * Time only moves when the view asks: one event, one segment, or up to a virtual time.
 *
 * Invariants: nothing here reads a clock or randomness except through the Simulation's seed (the
 * pcapng export takes its wall-clock start from the caller); every packet put on the wire becomes
 * exactly one TraceSegment (ScenarioRun records them all here).
 */
import { LinkType } from '../capture/linktype.js';
import { PcapngWriter } from '../capture/pcapng.js';
import { ScenarioRun, type HostStatus, type Side } from '../stack/scenarios.js';
import type { TcpServer, TcpSocket } from '../stack/socket.js';
import type { TraceSegment } from '../stack/trace.js';

export type { Side } from '../stack/scenarios.js';
export const MANUAL = 'manual';

export interface SimSettings {
  /** A scenario name from SCENARIOS, or MANUAL. */
  readonly preset: string;
  readonly seed: number;
  /** One-way delay, ms (default: the scenario's, else 10). */
  readonly delay?: number;
  readonly loss?: number;
  readonly reorder?: number;
  readonly duplicate?: number;
  readonly mtu?: number;
  /** Both hosts ask for ECN (RFC 3168); with it, `ce` is the link's Congestion Experienced marking rate. */
  readonly ecn?: boolean;
  readonly ce?: number;
}

/** A host's status with what the by-hand applications wrote and read. */
export interface SimHostStatus extends HostStatus {
  readonly bytesSent: number;
  readonly bytesReceived: number;
}

const LOST = new Set(['lost', 'too-big', 'queue-full', 'closed']);
export const SERVICE_PORT = 80;
export const BULK_BYTES = 64 * 1024;

export function isLost(s: TraceSegment): boolean {
  return LOST.has(s.fate);
}

/** Text written by "send N bytes": readable in the hex pane. */
function payload(n: number, from: Side): Uint8Array {
  const text = `${from}'s data ${'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(2)} `;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = text.charCodeAt(i % text.length);
  return out;
}

export class SimModel extends ScenarioRun {
  private readonly sockets: { A: TcpSocket | undefined; B: TcpSocket | undefined } = { A: undefined, B: undefined };
  private readonly servers: { A: TcpServer | undefined; B: TcpServer | undefined } = { A: undefined, B: undefined };
  private readonly received = { A: 0, B: 0 };
  private readonly sent = { A: 0, B: 0 };

  constructor(readonly settings: SimSettings) {
    super(settings.preset === MANUAL ? undefined : settings.preset, {
      seed: settings.seed,
      // The bulk scenario moves 64 KiB here (its CLI default, 1 MiB, is a long ladder).
      bytes: BULK_BYTES,
      record: true,
      loss: settings.loss ?? 0,
      reorder: settings.reorder ?? 0,
      duplicate: settings.duplicate ?? 0,
      ...(settings.delay !== undefined ? { delay: settings.delay } : {}),
      ...(settings.mtu !== undefined ? { mtu: settings.mtu } : {}),
      ...(settings.ecn === true ? { ecn: true, ce: settings.ce ?? 0 } : {}),
    });
    if (this.manual) this.listen('B', true);
  }

  /** Driven by hand (no scenario). */
  get manual(): boolean {
    return this.scenario === undefined;
  }

  override get title(): string {
    return this.manual ? 'by hand: two hosts, B listening on port 80' : super.title;
  }

  // ---------------------------------------------------------------------------------------------
  // Applications (by hand)

  private adopt(side: Side, s: TcpSocket): void {
    this.sockets[side] = s;
    s.on('data', (d) => {
      this.received[side] += d.length;
    });
    s.on('connect', () => this.ctx.note(`${side}: connected (${s.localAddress}:${s.localPort} -> ${s.remoteAddress}:${s.remotePort})`));
    s.on('end', () => this.ctx.note(`${side}: the peer's FIN arrived (end of its data)`));
    s.on('error', (e) => this.ctx.note(`${side}: ${(e as { code?: string }).code ?? 'error'}: ${e.message}`));
    s.on('close', () => this.ctx.note(`${side}: socket closed (state ${s.tcpState})`));
  }

  /** Passive open on port 80 (on), or stop listening so SYNs are refused with RST (off). */
  listen(side: Side, on: boolean): void {
    const have = this.servers[side];
    if (on && have === undefined) {
      const srv = this.stack(side).createServer({ allowHalfOpen: true }, (s) => {
        this.ctx.note(`${side}: accepted a connection from ${s.remoteAddress}:${s.remotePort}`);
        this.adopt(side, s);
      });
      srv.listen(SERVICE_PORT);
      this.servers[side] = srv;
      this.ctx.note(`${side}: listening on port ${SERVICE_PORT}`);
    } else if (!on && have !== undefined) {
      have.close();
      this.servers[side] = undefined;
      this.ctx.note(`${side}: stopped listening; SYNs to port ${SERVICE_PORT} are refused`);
    }
  }

  isListening(side: Side): boolean {
    return this.servers[side] !== undefined;
  }

  hasSocket(side: Side): boolean {
    const s = this.sockets[side];
    return s !== undefined && !s.destroyed;
  }

  /** Active open towards the other host's port 80. */
  connect(side: Side): void {
    const other: Side = side === 'A' ? 'B' : 'A';
    const to = this.hosts[other].address;
    const s = this.stack(side).connect({ host: to, port: SERVICE_PORT, allowHalfOpen: true });
    this.ctx.note(`${side}: connect() to ${to}:${SERVICE_PORT}`);
    this.adopt(side, s);
  }

  send(side: Side, n: number): void {
    const s = this.sockets[side];
    if (s === undefined || !Number.isInteger(n) || n <= 0) return;
    s.write(payload(Math.min(n, 1 << 20), side));
    this.sent[side] += Math.min(n, 1 << 20);
    this.ctx.note(`${side}: write(${n} bytes)`);
  }

  /** Half-close: FIN after the queued data; keep reading. */
  shutdown(side: Side): void {
    this.sockets[side]?.end();
    this.ctx.note(`${side}: shutdown (end): FIN after the queued data`);
  }

  /** Close: FIN, and stop reading (data arriving later is answered with RST). */
  close(side: Side): void {
    this.sockets[side]?.destroySoon();
    this.ctx.note(`${side}: close`);
  }

  /** Abort: RST at once, queued data dropped. */
  abort(side: Side): void {
    this.sockets[side]?.destroy();
    this.ctx.note(`${side}: abort (RST)`);
  }

  // ---------------------------------------------------------------------------------------------
  // Link

  private direction(from: Side) {
    return from === 'A' ? this.sim.pair.aToB : this.sim.pair.bToA;
  }

  dropNext(from: Side): void {
    this.direction(from).dropNext();
  }
  duplicateNext(from: Side): void {
    this.direction(from).duplicateNext();
  }
  delayNext(from: Side, ms: number): void {
    this.direction(from).delayNext(ms);
  }
  /** One-shot controls waiting in a direction. */
  pending(from: Side): number {
    return this.direction(from).pendingControls;
  }

  /** Change the random fault rates of both directions (0..1); `ce` marks only ECN-capable packets. */
  setRates(r: { loss: number; reorder: number; duplicate: number; ce?: number }): void {
    for (const d of [this.sim.pair.aToB, this.sim.pair.bToA]) {
      d.setFaults({ ...d.faults, loss: r.loss, reorder: r.reorder, duplicate: r.duplicate, ...(r.ce !== undefined ? { ce: r.ce } : {}) });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Status and output

  override host(side: Side): SimHostStatus {
    return { ...super.host(side), bytesSent: this.sent[side], bytesReceived: this.received[side] };
  }

  /**
   * The exchange as pcapng: one raw-IP interface, every packet put on the wire with its time and a
   * comment naming the direction and what the link did to it. `epochSeconds` is the wall-clock
   * time of virtual time 0.
   */
  exportPcapng(epochSeconds: number): Uint8Array {
    const w = new PcapngWriter({ comments: [`synack simulator: ${this.settings.preset}, seed ${this.settings.seed}`] });
    const parts: Uint8Array[] = [w.sectionHeader(), w.addInterface({ linkType: LinkType.RAW, name: 'sim0', description: `${this.names[0]} <-> ${this.names[1]}` })];
    for (const s of this.segments) {
      const ns = Math.round(s.time * 1e6);
      const sec = Math.floor(ns / 1e9);
      const fate = s.fate === 'delivered' ? '' : ` (${s.fate})`;
      parts.push(w.packet({ tsSec: epochSeconds + sec, tsNsec: ns - sec * 1e9, data: s.packet, comments: [`${s.from} -> ${s.to}${fate}`] }));
    }
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}
