/**
 * The simulator's model, without any DOM: two synack hosts (src/stack Simulation: real TCP
 * engines on virtual time over the in-memory link), driven either by one of `synack demo`'s
 * scenarios (the same definitions, src/stack/scenarios.ts, so a preset gives the very segments the
 * CLI prints) or by hand: listen/refuse, connect, send N bytes, shutdown (half-close), close,
 * abort, from either side; link faults for the next segment (drop, duplicate, delay) and as rates.
 * Time only moves when the view asks: one event, one segment, or up to a virtual time.
 *
 * Invariants: nothing here reads a clock or randomness except through the Simulation's seed (the
 * pcapng export takes its wall-clock start from the caller); every packet put on the wire becomes
 * exactly one TraceSegment, in wire order, with both hosts' states as they were when it was built.
 */
import { LinkType } from '../capture/linktype.js';
import { PcapngWriter } from '../capture/pcapng.js';
import type { WireEvent } from '../link/memory.js';
import { formatAddress, parseAddress } from '../stack/address.js';
import { SCENARIOS, ScenarioContext, type DemoNote } from '../stack/scenarios.js';
import { Simulation } from '../stack/sim.js';
import type { Stack } from '../stack/stack.js';
import type { TcpServer, TcpSocket } from '../stack/socket.js';
import { decodeForTrace, type TraceSegment } from '../stack/trace.js';

export const MANUAL = 'manual';
export type Side = 'A' | 'B';

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
}

export interface HostStatus {
  readonly name: string;
  readonly address: string;
  readonly state: string;
  readonly listening: boolean;
  /** From the engine (RFC 9293 3.3.1 variables), when a connection exists. */
  readonly tcp?: {
    readonly sndUna: number;
    readonly sndNxt: number;
    readonly sndWnd: number;
    readonly rcvNxt: number;
    readonly rcvWnd: number;
    readonly cwnd: number;
    readonly srtt: number | undefined;
    readonly rto: number;
    readonly sendQueued: number;
  };
  readonly bytesSent: number;
  readonly bytesReceived: number;
}

const LOST = new Set(['lost', 'too-big', 'queue-full', 'closed']);
export const SERVICE_PORT = 80;
export const BULK_BYTES = 64 * 1024;
/** The model refuses to run a step further than this past its start (a runaway guard). */
const STEP_LIMIT_MS = 30 * 60 * 1000;

export function isLost(s: TraceSegment): boolean {
  return LOST.has(s.fate);
}

function stateOf(stack: Stack, local: string, localPort: number, remote: string, remotePort: number): string {
  const l = parseAddress(local);
  const r = parseAddress(remote);
  if (l === undefined || r === undefined) return '';
  const c = stack.findConnection(l, localPort, r, remotePort);
  if (c !== undefined) return c.conn.state;
  return stack.hasListener(l, localPort) ? 'LISTEN' : 'CLOSED';
}

/** Text written by "send N bytes": readable in the hex pane. */
function payload(n: number, from: Side): Uint8Array {
  const text = `${from}'s data ${'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(2)} `;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = text.charCodeAt(i % text.length);
  return out;
}

export class SimModel {
  readonly sim: Simulation;
  readonly segments: TraceSegment[] = [];
  readonly names: readonly [string, string];
  readonly title: string;
  readonly phaseTitles: Readonly<Record<string, string>>;
  private readonly ctx: ScenarioContext | undefined;
  private readonly ownNotes: DemoNote[] = [];
  private readonly explainFn: (() => string[]) | undefined;
  private readonly sockets: { A: TcpSocket | undefined; B: TcpSocket | undefined } = { A: undefined, B: undefined };
  private readonly servers: { A: TcpServer | undefined; B: TcpServer | undefined } = { A: undefined, B: undefined };
  private readonly received = { A: 0, B: 0 };
  private readonly sent = { A: 0, B: 0 };
  private readonly start: number;
  readonly manual: boolean;
  readonly delay: number;
  /** Called for every segment put on the wire. */
  onSegment: (s: TraceSegment) => void = () => undefined;

  constructor(readonly settings: SimSettings) {
    this.manual = settings.preset === MANUAL;
    const def = this.manual ? undefined : SCENARIOS[settings.preset];
    if (!this.manual && def === undefined) throw new Error(`unknown preset ${settings.preset}`);
    this.delay = settings.delay ?? def?.delay ?? 10;
    const base = def?.sim({ seed: settings.seed }) ?? {};
    this.sim = new Simulation({
      ...base,
      seed: settings.seed,
      link: {
        delay: this.delay,
        loss: settings.loss ?? 0,
        reorder: settings.reorder ?? 0,
        duplicate: settings.duplicate ?? 0,
        ...(settings.mtu !== undefined ? { mtu: settings.mtu } : {}),
      },
    });
    this.start = this.sim.now();
    this.names = def?.names ?? ['A', 'B'];
    this.title = def?.title ?? 'by hand: two hosts, B listening on port 80';
    this.phaseTitles = def?.phaseTitles ?? {};
    this.record();
    if (def !== undefined) {
      // The bulk scenario moves 64 KiB here (its CLI default, 1 MiB, is a long ladder).
      const ctx = new ScenarioContext(this.sim, this.sim.a, this.sim.b, { seed: settings.seed, bytes: BULK_BYTES }, this.names);
      this.ctx = ctx;
      def.run(ctx);
      this.explainFn = () => def.explain(ctx, this.segments);
    } else {
      this.ctx = undefined;
      this.explainFn = undefined;
      this.listen('B', true);
    }
  }

  /** Record every packet as a TraceSegment, with the states at the moment it was built. */
  private record(): void {
    const sim = this.sim;
    const states = new WeakMap<Uint8Array, { sender: string; receiver: string }>();
    for (const [sender, receiver] of [
      [sim.a, sim.b],
      [sim.b, sim.a],
    ] as const) {
      sender.onTransmit = (t) => {
        const d = decodeForTrace(t.packet);
        const rs = d.tcp !== undefined ? stateOf(receiver, d.dst, d.tcp.dstPort, d.src, d.tcp.srcPort) : '';
        states.set(t.packet, { sender: t.state, receiver: rs });
      };
    }
    sim.pair.observe((e: WireEvent) => {
      const d = decodeForTrace(e.packet);
      const fromA = e.from === 'a';
      const sender = fromA ? sim.a : sim.b;
      const receiver = fromA ? sim.b : sim.a;
      const seg: TraceSegment = {
        index: this.segments.length + 1,
        time: e.time,
        ...(e.deliverAt !== undefined ? { arrival: e.deliverAt } : {}),
        from: fromA ? this.names[0] : this.names[1],
        to: fromA ? this.names[1] : this.names[0],
        fate: e.fate,
        reordered: e.reordered,
        src: d.src,
        dst: d.dst,
        tcp: d.tcp,
        phase: this.ctx?.phase ?? '',
        senderState: states.get(e.packet)?.sender ?? (d.tcp !== undefined ? stateOf(sender, d.src, d.tcp.srcPort, d.dst, d.tcp.dstPort) : ''),
        receiverState: states.get(e.packet)?.receiver ?? (d.tcp !== undefined ? stateOf(receiver, d.dst, d.tcp.dstPort, d.src, d.tcp.srcPort) : ''),
        packet: e.packet,
      };
      this.segments.push(seg);
      this.onSegment(seg);
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Time

  now(): number {
    return this.sim.now();
  }

  /** Virtual time of the next event, undefined when nothing is left to happen. */
  nextAt(): number | undefined {
    return this.sim.scheduler.nextAt();
  }

  /** The preset's applications are done (always false by hand). */
  get finished(): boolean {
    return this.ctx?.done === true;
  }

  /** Segments sent but not yet arrived. */
  inFlight(): number {
    const now = this.now();
    let n = 0;
    for (let i = this.segments.length - 1; i >= 0 && i >= this.segments.length - 64; i--) {
      const s = this.segments[i] as TraceSegment;
      if (s.arrival !== undefined && s.arrival > now) n++;
    }
    return n;
  }

  /** Run events until one more segment is on the wire; false when nothing is left to run. */
  stepSegment(): boolean {
    const have = this.segments.length;
    const limit = this.start + STEP_LIMIT_MS;
    while (this.segments.length === have) {
      const next = this.nextAt();
      if (next === undefined || next > limit) return false;
      this.sim.scheduler.step();
    }
    return true;
  }

  /** Run every event up to virtual time `t` and move the clock there. */
  advanceTo(t: number): void {
    if (t <= this.now()) return;
    this.sim.scheduler.advanceTo(Math.min(t, this.start + STEP_LIMIT_MS));
  }

  /** Run until nothing is left (or the preset is done and the wire is quiet), bounded. */
  runToEnd(): void {
    const limit = this.start + STEP_LIMIT_MS;
    for (;;) {
      const next = this.nextAt();
      if (next === undefined || next > limit) return;
      this.sim.scheduler.step();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Applications (by hand)

  private stack(side: Side): Stack {
    return side === 'A' ? this.sim.a : this.sim.b;
  }

  private address(side: Side): string {
    const a = this.stack(side).interfaces[0]?.addresses[0];
    return a === undefined ? '' : formatAddress(a);
  }

  notes(): readonly DemoNote[] {
    return this.ctx?.notes ?? this.ownNotes;
  }

  private note(text: string): void {
    (this.ctx?.notes ?? this.ownNotes).push({ time: this.now(), text });
  }

  private adopt(side: Side, s: TcpSocket): void {
    this.sockets[side] = s;
    s.on('data', (d) => {
      this.received[side] += d.length;
    });
    s.on('connect', () => this.note(`${side}: connected (${s.localAddress}:${s.localPort} -> ${s.remoteAddress}:${s.remotePort})`));
    s.on('end', () => this.note(`${side}: the peer's FIN arrived (end of its data)`));
    s.on('error', (e) => this.note(`${side}: ${(e as { code?: string }).code ?? 'error'}: ${e.message}`));
    s.on('close', () => this.note(`${side}: socket closed (state ${s.tcpState})`));
  }

  /** Passive open on port 80 (on), or stop listening so SYNs are refused with RST (off). */
  listen(side: Side, on: boolean): void {
    const have = this.servers[side];
    if (on && have === undefined) {
      const srv = this.stack(side).createServer({ allowHalfOpen: true }, (s) => {
        this.note(`${side}: accepted a connection from ${s.remoteAddress}:${s.remotePort}`);
        this.adopt(side, s);
      });
      srv.listen(SERVICE_PORT);
      this.servers[side] = srv;
      this.note(`${side}: listening on port ${SERVICE_PORT}`);
    } else if (!on && have !== undefined) {
      have.close();
      this.servers[side] = undefined;
      this.note(`${side}: stopped listening; SYNs to port ${SERVICE_PORT} are refused`);
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
    const s = this.stack(side).connect({ host: this.address(other), port: SERVICE_PORT, allowHalfOpen: true });
    this.note(`${side}: connect() to ${this.address(other)}:${SERVICE_PORT}`);
    this.adopt(side, s);
  }

  send(side: Side, n: number): void {
    const s = this.sockets[side];
    if (s === undefined || !Number.isInteger(n) || n <= 0) return;
    s.write(payload(Math.min(n, 1 << 20), side));
    this.sent[side] += Math.min(n, 1 << 20);
    this.note(`${side}: write(${n} bytes)`);
  }

  /** Half-close: FIN after the queued data; keep reading. */
  shutdown(side: Side): void {
    this.sockets[side]?.end();
    this.note(`${side}: shutdown (end): FIN after the queued data`);
  }

  /** Close: FIN, and stop reading (data arriving later is answered with RST). */
  close(side: Side): void {
    this.sockets[side]?.destroySoon();
    this.note(`${side}: close`);
  }

  /** Abort: RST at once, queued data dropped. */
  abort(side: Side): void {
    this.sockets[side]?.destroy();
    this.note(`${side}: abort (RST)`);
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

  /** Change the random fault rates of both directions (0..1). */
  setRates(r: { loss: number; reorder: number; duplicate: number }): void {
    for (const d of [this.sim.pair.aToB, this.sim.pair.bToA]) d.setFaults({ ...d.faults, loss: r.loss, reorder: r.reorder, duplicate: r.duplicate });
  }

  // ---------------------------------------------------------------------------------------------
  // Status and output

  host(side: Side): HostStatus {
    const stack = this.stack(side);
    const i = side === 'A' ? 0 : 1;
    const address = this.address(side);
    // The ports a listener may hold: the service port and every port seen on the wire (presets).
    const ports = new Set([SERVICE_PORT, 139]);
    for (const seg of this.segments) if (seg.tcp !== undefined) ports.add(seg.tcp.dstPort).add(seg.tcp.srcPort);
    const local = parseAddress(address);
    const listening = local !== undefined && [...ports].some((p) => stack.hasListener(local, p));
    const conns = stack.connections();
    const c = conns[conns.length - 1];
    let tcp: HostStatus['tcp'];
    let state = listening ? 'LISTEN' : 'CLOSED';
    if (c !== undefined) {
      const l = parseAddress(c.localAddress);
      const r = parseAddress(c.remoteAddress);
      const e = l !== undefined && r !== undefined ? stack.findConnection(l, c.localPort, r, c.remotePort) : undefined;
      state = c.state;
      if (e !== undefined) {
        const info = e.conn.info();
        tcp = {
          sndUna: info.sndUna,
          sndNxt: info.sndNxt,
          sndWnd: info.sndWnd,
          rcvNxt: info.rcvNxt,
          rcvWnd: info.rcvWnd,
          cwnd: info.cwnd,
          srtt: info.srtt,
          rto: info.rto,
          sendQueued: info.sendQueued,
        };
      }
    }
    return { name: this.names[i] as string, address, state, listening, ...(tcp !== undefined ? { tcp } : {}), bytesSent: this.sent[side], bytesReceived: this.received[side] };
  }

  /** The scenario's explanation (presets), from what actually happened. */
  explanation(): string[] {
    return this.explainFn?.() ?? [];
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

  /** Stop the hosts and the link (the model is not used after). */
  dispose(): void {
    this.sim.close();
  }
}
