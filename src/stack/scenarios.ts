/**
 * The demo scenarios: two hosts on the in-memory network, real exchanges through the TCP engine,
 * recorded segment by segment, and their one runner, `ScenarioRun`: `synack demo` (src/cli/demo.ts,
 * through `runScenario`) runs it in one go, the browser simulator (src/web/sim-model.ts) steps it.
 * Browser-safe.
 *
 * Nothing is scripted at the segment level: a scenario only chooses what the seed documents fix
 * (ISNs, addresses, ports, MSS, windows), the engine settings (delayed ACK, Nagle, options) and
 * what the two applications do and when (connect, write, end, destroy). The segments are whatever
 * the engines then send. The lecture scenarios reproduce seeds/003 (4.4.3) and kb172983 the
 * support article (seeds/000, 001) number for number.
 *
 * Invariant: a run is a pure function of (scenario, options): same seed, same segments.
 */
import { SeededRandom } from '../link/rng.js';
import type { WireEvent } from '../link/memory.js';
import type { TcpConfig } from '../tcp/config.js';
import type { TcpConnection } from '../tcp/connection.js';
import { formatAddress, parseAddress } from './address.js';
import { SynackError } from '../errors.js';
import { Sha256 } from './sha256.js';
import { Simulation, type SimulationOptions } from './sim.js';
import type { Stack } from './stack.js';
import type { TcpSocket } from './socket.js';
import { decodeForTrace, type TraceSegment } from './trace.js';

export interface DemoOptions {
  readonly seed?: number | string;
  /** Link faults (probabilities 0..1). */
  readonly loss?: number;
  readonly reorder?: number;
  readonly duplicate?: number;
  readonly corrupt?: number;
  /** One-way delay in ms (default: the scenario's, 10 ms for most). */
  readonly delay?: number;
  readonly jitter?: number;
  /** Link bandwidth in bits per second (default unlimited). */
  readonly bandwidth?: number;
  /** Bytes for the bulk scenario (default 1 MiB). */
  readonly bytes?: number;
  /** Run over IPv6 (fd00::1 and fd00::2) instead of IPv4; kb172983 keeps the article's IPv4 hosts. */
  readonly ipv6?: boolean;
  /** Keep every segment in the result (default: true, except for bulk). */
  readonly record?: boolean;
  /** Called for every packet put on the wire (for capture files). */
  readonly onPacket?: (time: number, packet: Uint8Array) => void;
  /** A real clock in ms, to report real elapsed time (the CLI passes performance.now). */
  readonly realClock?: () => number;
  /** Virtual time limit in ms (default: the scenario's). */
  readonly limit?: number;
  /** Link MTU (default 1500). */
  readonly mtu?: number;
  /** Both hosts ask for ECN (TcpConfig.ecn 'on', RFC 3168 6.1.1); implied by `ce`. */
  readonly ecn?: boolean;
  /**
   * Probability (0..1) that the link marks an ECN-capable packet Congestion Experienced, both
   * directions (the MemoryPair `ce` fault, RFC 3168 5). Turns ECN on in both hosts.
   */
  readonly ce?: number;
}

export interface HostInfo {
  readonly name: string;
  readonly address: string;
}

export interface BulkStats {
  readonly bytes: number;
  readonly bytesReceived: number;
  readonly virtualMs: number;
  readonly realMs: number | undefined;
  readonly retransmissions: number;
  readonly fastRetransmits: number;
  readonly timeouts: number;
  readonly sha256Sent: string;
  readonly sha256Received: string;
  readonly intact: boolean;
  /** Goodput in virtual time, bits per second. */
  readonly goodputBps: number;
}

/** ECN in a run (RFC 3168), reported when DemoOptions.ecn or ce asked for it. */
export interface EcnStats {
  /** ECN in use on a connection: an ECN-setup SYN was answered by an ECN-setup SYN-ACK. */
  readonly negotiated: boolean;
  /** ECN-capable packets the link marked Congestion Experienced (both directions). */
  readonly ceMarked: number;
  /** CE-marked segments the hosts' connections took in (TcpCounters.ceIn, all connections). */
  readonly ceIn: number;
  /** Window reductions in answer to ECN-Echo (TcpCounters.ecnReductions, all connections). */
  readonly ecnReductions: number;
  /** Segments on the wire (SYNs aside) carrying ECE, and carrying CWR. */
  readonly eceSegments: number;
  readonly cwrSegments: number;
}

export interface DemoNote {
  readonly time: number;
  readonly text: string;
}

export interface DemoResult {
  readonly scenario: string;
  readonly title: string;
  readonly seed: number;
  readonly hosts: { readonly A: HostInfo; readonly B: HostInfo };
  readonly segments: readonly TraceSegment[];
  /** Segments put on the wire (also when not recorded). */
  readonly packets: number;
  readonly notes: readonly DemoNote[];
  readonly explanation: readonly string[];
  readonly phaseTitles: Readonly<Record<string, string>>;
  /** The scenario reached its end (false: it hit the time limit). */
  readonly completed: boolean;
  readonly virtualMs: number;
  readonly link: {
    readonly delay: number;
    readonly loss: number;
    readonly reorder: number;
    readonly duplicate: number;
    readonly corrupt: number;
    /** Present when DemoOptions.ce was given. */
    readonly ce?: number;
  };
  /** Packets each host dropped, by reason (non-zero only). */
  readonly drops: { readonly A: Readonly<Record<string, number>>; readonly B: Readonly<Record<string, number>> };
  readonly bulk?: BulkStats;
  /** Present when DemoOptions.ecn or ce asked for ECN. */
  readonly ecn?: EcnStats;
}

/** RFC 793-style segments as in the lecture: no timestamps, window scaling or SACK options. */
const LECTURE_TCP: Partial<TcpConfig> = { timestamps: false, windowScaling: false, sack: false };

/** What a scenario's code gets. */
export class ScenarioContext {
  phase = 'setup';
  done = false;
  readonly notes: DemoNote[] = [];
  readonly facts: Record<string, string | number> = {};
  /** The hosts' addresses as text (for connect()). */
  readonly hostA: string;
  readonly hostB: string;
  constructor(
    readonly sim: Simulation,
    readonly A: Stack,
    readonly B: Stack,
    readonly options: DemoOptions,
    readonly names: readonly [string, string],
  ) {
    this.hostA = addrText(A);
    this.hostB = addrText(B);
  }

  now(): number {
    return this.sim.now();
  }
  /** Segments sent from now on belong to `phase`. */
  mark(phase: string): void {
    this.phase = phase;
  }
  note(text: string): void {
    this.notes.push({ time: this.sim.now(), text });
  }
  after(ms: number, fn: () => void): void {
    this.sim.after(ms, fn);
  }
  finish(): void {
    this.done = true;
  }
  /** A callback that finishes the scenario on its `n`-th call (e.g. once both sockets closed). */
  finishAfter(n: number): () => void {
    let calls = 0;
    return () => {
      if (++calls === n) this.finish();
    };
  }
  /** Log the usual socket events of `s` under host name `who`. */
  watch(s: TcpSocket, who: string): void {
    if (!s.pending) this.note(`${who}: accepted a connection from ${s.remoteAddress ?? '?'}:${s.remotePort ?? '?'}`);
    s.on('connect', () => this.note(`${who}: connected (${s.localAddress}:${s.localPort} -> ${s.remoteAddress}:${s.remotePort})`));
    s.on('end', () => this.note(`${who}: end of the peer's data (FIN received)`));
    s.on('finish', () => this.note(`${who}: end() done, FIN queued`));
    s.on('error', (e) => this.note(`${who}: error ${(e as { code?: string }).code ?? ''} ${e.message}`));
    s.on('close', (hadError) => this.note(`${who}: closed${hadError ? ' with an error' : ''} (state ${s.tcpState})`));
  }
}

interface ScenarioDef {
  readonly title: string;
  readonly summary: string;
  /** Host names in traces (default A, B). */
  readonly names?: readonly [string, string];
  readonly phaseTitles?: Readonly<Record<string, string>>;
  /** Default one-way delay, ms. */
  readonly delay?: number;
  /** Virtual time limit, ms. */
  readonly limit?: number;
  readonly sim: (o: DemoOptions) => SimulationOptions;
  readonly run: (ctx: ScenarioContext) => void;
  readonly explain: (ctx: ScenarioContext, segments: readonly TraceSegment[]) => string[];
}

function fixedIsn(isn: number): () => number {
  return () => isn;
}

/** The text of a stream read in chunks (UTF-8; a character may straddle two chunks). */
function text(chunks: readonly Uint8Array[]): string {
  const d = new TextDecoder();
  return chunks.map((c) => d.decode(c, { stream: true })).join('') + d.decode();
}

const LECTURE_TITLES = { lecture: "the lecture's trace" };

export const SCENARIOS: Readonly<Record<string, ScenarioDef>> = {
  default: {
    title: 'handshake, a little data each way, a half-close and the close',
    summary: 'connect, request, half-close, response, close (modern options: MSS, SACK, timestamps, window scale)',
    sim: () => ({}),
    run: (ctx) => {
      const srv = ctx.B.createServer({ allowHalfOpen: true }, (s) => {
        ctx.watch(s, 'B');
        const chunks: Uint8Array[] = [];
        s.on('data', (d) => chunks.push(d));
        s.on('end', () => {
          // A has half-closed; B's direction is still open: B answers in two parts, then closes.
          const req = text(chunks);
          ctx.note(`B: read ${JSON.stringify(req)}; answers, then closes its side`);
          s.write('HTTP/1.0 200 OK\r\n\r\n');
          ctx.after(50, () => s.end('hello, world\n'));
        });
        s.on('close', () => ctx.finish());
      });
      srv.listen(80);
      const c = ctx.A.connect({ host: ctx.hostB, port: 80, allowHalfOpen: true });
      ctx.watch(c, 'A');
      c.on('connect', () => {
        c.write('GET / HTTP/1.0\r\n\r\n');
        c.end(); // half-close: A is done sending, and keeps reading
      });
      const got: Uint8Array[] = [];
      c.on('data', (d) => got.push(d));
      c.on('end', () => ctx.note(`A: read ${JSON.stringify(text(got))}`));
    },
    explain: () => [
      'A opens the connection (SYN, SYN-ACK, ACK), sends a short request and half-closes at once: its FIN follows the data.',
      "B acknowledges the FIN but keeps its own direction open (allowHalfOpen): it reads the request to the end, answers, and only then sends its own FIN.",
      'A, which had half-closed, still reads the answer; it acknowledges B\'s FIN and waits in TIME-WAIT (2 MSL) before the connection is gone.',
      'Every segment after the handshake carries ACK with the current acknowledgment number (RFC 9293 3.8).',
    ],
  },

  'lecture-handshake': {
    title: "three-way handshake with ISNs 66 and 1112 (lecture 4.4.3, 'Verbindungsaufbau')",
    summary: 'A -> B [SYN, seq=66]; B -> A [ACK, ack=67, SYN, seq=1112]; A -> B [ACK, ack=1113, seq=67]',
    phaseTitles: LECTURE_TITLES,
    sim: () => ({ a: { isn: fixedIsn(66), tcp: LECTURE_TCP }, b: { isn: fixedIsn(1112), tcp: LECTURE_TCP } }),
    run: (ctx) => {
      ctx.mark('lecture');
      const done = ctx.finishAfter(2); // both sides ESTABLISHED
      const srv = ctx.B.createServer((s) => {
        ctx.watch(s, 'B');
        done();
      });
      srv.listen(80);
      const c = ctx.A.connect({ host: ctx.hostB, port: 80 });
      ctx.watch(c, 'A');
      c.on('connect', done);
    },
    explain: () => [
      'A chose 66 as its initial sequence number, B 1112 (the lecture\'s numbers; normally they come from the keyed ISN generator, RFC 9293 3.4.1).',
      "A's SYN occupies sequence number 66, so B acknowledges 67 and sends its own SYN with 1112; A acknowledges 1113.",
      'After the third segment both sides are ESTABLISHED and know where the other starts counting its data bytes.',
    ],
  },

  'lecture-close': {
    title: "close without half-close (lecture 4.4.3, 'Verbindungsabbau')",
    summary: 'A -> B [seq=86, 5 bytes]; B acks 91; A FIN seq=91; B acks 92 and sends FIN seq=1113 as a second segment; A acks 1114',
    phaseTitles: LECTURE_TITLES,
    sim: () => ({ a: { isn: fixedIsn(66), tcp: LECTURE_TCP }, b: { isn: fixedIsn(1112), tcp: LECTURE_TCP } }),
    run: (ctx) => {
      const done = ctx.finishAfter(2);
      const srv = ctx.B.createServer((s) => {
        ctx.watch(s, 'B');
        s.on('data', () => undefined); // B reads everything; it has nothing to send
        s.on('close', done);
      });
      srv.listen(80);
      const c = ctx.A.connect({ host: ctx.hostB, port: 80 });
      ctx.watch(c, 'A');
      c.resume(); // A reads (it gets no data, only B's FIN)
      c.on('close', done);
      // The lecture starts at A's sequence number 86: A sent 19 bytes (67..85) before.
      c.on('connect', () => c.write('nineteen bytes of A'));
      // A's last 5 bytes, once B has acknowledged the first 19 (B's delayed ACK).
      ctx.after(150, () => {
        ctx.mark('lecture');
        c.write('five!');
      });
      // A has nothing more to send: it closes (B's socket, allowHalfOpen false, closes in turn).
      ctx.after(300, () => c.end());
    },
    explain: () => [
      'Before the lecture\'s excerpt A sent 19 bytes (sequence numbers 67..85), so its last 5 bytes start at 86; B has sent no data, so B stays at 1113.',
      'B acknowledges the 5 bytes with ack=91 (after its 40 ms delayed-ACK timer, with nothing to piggyback on).',
      "A's FIN takes sequence number 91. B acknowledges it at once (ack=92); B's application learns of the end of A's data and closes in turn, so B's FIN (seq=1113) follows as a second segment: B's engine sent the ACK it owed before the application reacted.",
      "A acknowledges B's FIN with 1114 and enters TIME-WAIT; B is CLOSED when that ACK arrives.",
      'The lecture omits the ACK flag after the handshake; real TCP sets it on every segment with the current acknowledgment number (RFC 9293 3.8), shown here.',
    ],
  },

  'lecture-half-close': {
    title: "half-close (lecture 4.4.3, 'Halbschließen')",
    summary: 'A FIN seq=91 while B still sends 4 + 5 bytes; B FIN seq=1080; A acks 1081',
    phaseTitles: LECTURE_TITLES,
    // B's numbers in the lecture (1066..1080) lie below 1113: a different connection, whose B
    // started at 1045 and had sent 20 bytes (1046..1065) before the excerpt.
    sim: () => ({ a: { isn: fixedIsn(66), tcp: LECTURE_TCP }, b: { isn: fixedIsn(1045), tcp: LECTURE_TCP } }),
    run: (ctx) => {
      const done = ctx.finishAfter(2);
      const srv = ctx.B.createServer({ allowHalfOpen: true }, (s) => {
        ctx.watch(s, 'B');
        s.on('close', done);
        let reads = 0;
        s.on('data', () => {
          reads++;
          if (reads === 1) s.write('twenty bytes from B.'); // before the excerpt: B's 1046..1065
          if (reads === 2) {
            // A's last 5 bytes arrived: B answers with 5 of its remaining 14 bytes ...
            s.write('five.');
            // ... writes 4 more a moment later (Nagle holds them while 1066..1070 is unacknowledged) ...
            ctx.after(5, () => s.write('four'));
            // ... and its last 5 (held again while 1071..1074 is unacknowledged) ...
            ctx.after(50, () => s.write('five?'));
            // ... and closes its side when it is done.
            ctx.after(200, () => s.end());
          }
        });
      });
      srv.listen(80);
      const c = ctx.A.connect({ host: ctx.hostB, port: 80 });
      ctx.watch(c, 'A');
      c.on('close', done);
      c.on('connect', () => c.write('nineteen bytes of A')); // before the excerpt: A's 67..85
      let reads = 0;
      c.on('data', () => {
        reads++;
        if (reads === 1) {
          ctx.mark('lecture');
          c.write('five!'); // A acknowledges B's bytes with its last five
        }
        if (reads === 2) c.end(); // A has no more data: FIN, while B still has data for A
      });
    },
    explain: () => [
      "Before the excerpt A sent 19 bytes (67..85) and B 20 bytes (1046..1065; B's ISN is 1045 here, since the lecture's B numbers lie below its handshake's 1113).",
      'A acknowledges B\'s 20 bytes with its last 5 (piggybacked ACK, ack=1066); B answers with 5 of its remaining 14 bytes (ack=91).',
      "A has no more data and sends its FIN (seq=91). B cannot close yet: its engine acknowledges the FIN (ack=92) on the 4 bytes its application had written meanwhile (Nagle's algorithm held them until A's FIN segment acknowledged 1071).",
      "A is half-closed (FIN-WAIT-2) but still receives: its delayed ACK (40 ms) acknowledges 1075. Only then may B's last 5 bytes go (Nagle again); A acknowledges 1080.",
      "B's application ends: FIN seq=1080, which A acknowledges with 1081. The lecture leaves out ACK flags and A's sequence number on its last segments; here they carry ACK and seq=92.",
    ],
  },

  kb172983: {
    title: 'Microsoft KB 172983: NTW3 opens a connection to BDC3 port 139 and closes it',
    summary: 'NTW3 131.107.2.214:1037 -> BDC3 131.107.2.211:139, SYN seq 8221822, SYN-ACK seq 1109645, MSS 1460, close as in the article',
    names: ['NTW3', 'BDC3'],
    delay: 0.05,
    limit: 60_000,
    sim: () => ({
      start: 2078.5, // frame 1 at 2.0785 s in the article's capture
      a: { addresses: ['131.107.2.214'], isn: fixedIsn(8221822), tcp: { ...LECTURE_TCP, recvBufferSize: 8192 }, stack: { ttl: 128 } },
      b: { addresses: ['131.107.2.211'], isn: fixedIsn(1109645), tcp: { ...LECTURE_TCP, recvBufferSize: 8760 }, stack: { ttl: 128 } },
    }),
    run: (ctx) => {
      const done = ctx.finishAfter(2);
      ctx.mark('article');
      const srv = ctx.B.createServer({ allowHalfOpen: true }, (s) => {
        ctx.watch(s, 'BDC3');
        s.on('close', done);
        s.on('data', () => undefined);
        // Frame 6 comes about a second after frame 5: the server application closes then.
        s.on('end', () => ctx.after(980.55, () => s.end()));
      });
      srv.listen(139);
      const c = ctx.A.connect({ host: '131.107.2.211', port: 139, localPort: 1037, allowHalfOpen: true });
      ctx.watch(c, 'NTW3');
      c.on('close', done);
      c.on('data', () => undefined);
      // Frame 4 at 16.0279 s: the client closes.
      ctx.sim.at(16027.9, () => c.end());
    },
    explain: () => [
      'Frames 1-3: NTW3 (client port 1037) sends SYN with seq 8221822 and MSS 1460, window 8192; BDC3 answers SYN-ACK seq 1109645, ack 8221823, MSS 1460, window 8760; NTW3 acknowledges 1109646.',
      "Frames 4-7 use the numbers of the article's text: NTW3's FIN (with ACK) at seq 8221823, ack 1109646; BDC3 acknowledges 8221824, then sends its own FIN about a second later (its application closed then), seq 1109646; NTW3 acknowledges 1109647.",
      "The article's frames 4-7 hex dumps belong to another connection (192.94.222.x, ports 2337/1352); its text gives this connection's numbers, which are the ones reproduced.",
      "Differences from the capture: NT sent its third handshake segment 0.7 s late and raised its window to 8760 (6 x MSS) after the handshake, and BDC3 advertised 28672 in the close; this engine acknowledges at once and advertises its receive buffer (8192 and 8760) throughout.",
    ],
  },

  'simultaneous-open': {
    title: 'simultaneous open (RFC 9293 3.5, Figure 8)',
    summary: 'A and B both connect at the same moment; the SYNs cross',
    sim: () => ({}),
    run: (ctx) => {
      // Both sides know each other's port: A 5000 <-> B 6000.
      const a = ctx.A.connect({ host: ctx.hostB, port: 6000, localPort: 5000, allowHalfOpen: true });
      const b = ctx.B.connect({ host: ctx.hostA, port: 5000, localPort: 6000, allowHalfOpen: true });
      ctx.watch(a, 'A');
      ctx.watch(b, 'B');
      a.resume();
      b.resume();
      let up = 0;
      const onUp = (): void => {
        if (++up === 2) ctx.after(100, () => {
          a.end();
          b.end();
        });
      };
      const done = ctx.finishAfter(2);
      a.on('connect', onUp);
      b.on('connect', onUp);
      a.on('close', done);
      b.on('close', done);
    },
    explain: () => [
      'Both hosts perform an active open at the same time towards each other\'s port, so the two SYNs cross on the link.',
      'Each side receives a SYN while in SYN-SENT: it moves to SYN-RECEIVED and sends SYN,ACK (its SYN again, now acknowledging the other\'s) (RFC 9293 3.10.7.3, MUST-10).',
      'Each SYN,ACK acknowledges the other\'s SYN: both become ESTABLISHED. One connection results, not two.',
      'Both then close at the same moment, which is the simultaneous close.',
    ],
  },

  'simultaneous-close': {
    title: 'simultaneous close (RFC 9293 3.6, Figure 13)',
    summary: 'both sides call end() at the same moment; the FINs cross; both pass through CLOSING to TIME-WAIT',
    sim: () => ({}),
    run: (ctx) => {
      const done = ctx.finishAfter(2);
      const srv = ctx.B.createServer({ allowHalfOpen: true }, (s) => {
        ctx.watch(s, 'B');
        s.on('data', () => undefined);
        s.on('close', done);
        ctx.sim.at(200, () => s.end());
      });
      srv.listen(80);
      const c = ctx.A.connect({ host: ctx.hostB, port: 80, allowHalfOpen: true });
      ctx.watch(c, 'A');
      c.on('data', () => undefined);
      c.on('close', done);
      ctx.sim.at(200, () => c.end());
    },
    explain: () => [
      'Both applications close at the same moment: each sends a FIN before the other\'s arrives (FIN-WAIT-1).',
      "Each receives the other's FIN while its own is unacknowledged: CLOSING, and it acknowledges the FIN.",
      "When the acknowledgment of its own FIN arrives each side enters TIME-WAIT: both wait 2 MSL, since either ACK could be lost.",
    ],
  },

  refused: {
    title: 'connection refused: a SYN to a port where nothing listens',
    summary: 'A -> B [SYN]; B -> A [ACK, ack=ISN+1, RST, seq=0]; A gets ECONNREFUSED',
    sim: () => ({}),
    run: (ctx) => {
      const c = ctx.A.connect({ host: ctx.hostB, port: 23 });
      ctx.watch(c, 'A');
      c.on('close', () => ctx.finish());
    },
    explain: () => [
      'Nothing listens on B\'s port 23, so B has no connection for the SYN (CLOSED state, RFC 9293 3.10.7.1).',
      'B answers with a reset: the SYN carries no ACK, so the RST has seq=0 and acknowledges the SYN (ack = A\'s ISN + 1) with the ACK bit set.',
      'A\'s reset is acceptable because it acknowledges A\'s SYN; A reports "connection refused" (ECONNREFUSED) and is CLOSED.',
    ],
  },

  abort: {
    title: 'abort: destroy() resets the connection',
    summary: 'after a little data A aborts (RST); B gets ECONNRESET',
    sim: () => ({}),
    run: (ctx) => {
      const done = ctx.finishAfter(2);
      const srv = ctx.B.createServer((s) => {
        ctx.watch(s, 'B');
        s.on('data', () => s.write('hello, A'));
        s.on('close', done);
      });
      srv.listen(80);
      const c = ctx.A.connect({ host: ctx.hostB, port: 80 });
      ctx.watch(c, 'A');
      c.on('connect', () => c.write('hello, B'));
      c.on('data', () => ctx.after(50, () => c.destroy()));
      c.on('close', done);
    },
    explain: () => [
      'After a short exchange A\'s application destroys its socket: the engine sends <SEQ=SND.NXT><CTL=RST> and deletes the connection (ABORT, RFC 9293 3.10.5).',
      'B accepts the RST because its sequence number is exactly the next expected one (RFC 5961 3); it reports "connection reset" (ECONNRESET).',
      'No FIN handshake and no TIME-WAIT: data still queued on either side is lost.',
    ],
  },

  'lost-syn': {
    title: "a lost SYN: retransmission after the initial RTO",
    summary: "the link drops A's first SYN; A retransmits it after 1 s (RFC 6298) and the connection proceeds",
    sim: () => ({}),
    limit: 120_000,
    run: (ctx) => {
      ctx.sim.pair.aToB.dropNext(); // the next packet from A (its SYN) is lost
      const done = ctx.finishAfter(2);
      const srv = ctx.B.createServer((s) => {
        ctx.watch(s, 'B');
        s.on('data', () => undefined);
        s.on('close', done);
      });
      srv.listen(80);
      const c = ctx.A.connect({ host: ctx.hostB, port: 80 });
      ctx.watch(c, 'A');
      c.on('connect', () => {
        c.write('hello after a lost SYN');
        c.end();
      });
      c.on('data', () => undefined);
      c.on('close', done);
    },
    explain: (_ctx, segs) => {
      const syns = segs.filter((s) => s.from === 'A' && s.tcp !== undefined && (s.tcp.flags & 0x12) === 0x02);
      const gap = syns.length >= 2 ? ((syns[1] as TraceSegment).time - (syns[0] as TraceSegment).time).toFixed(0) : '?';
      return [
        "A's first SYN never reaches B (the link drops it). A hears nothing, and its retransmission timer, set to the initial RTO of 1 s before any RTT sample (RFC 6298 2.1), expires.",
        `A sends the SYN again, ${gap} ms after the first, with the same sequence number; this one arrives and the handshake completes.`,
        'Because the SYN was retransmitted, the RTO falls back to 3 s once data transfer begins unless an RTT sample says otherwise (RFC 6298 5.7).',
      ];
    },
  },

  bulk: {
    title: 'bulk transfer: A sends N bytes to B through the faulty link; SHA-256 on both ends',
    summary: 'A -> B N bytes (--bytes), with --loss/--reorder/--duplicate/--corrupt/--delay; JSON with hashes and retransmissions',
    delay: 1,
    limit: 24 * 60 * 60 * 1000,
    sim: () => ({}),
    run: (ctx) => {
      const total = ctx.options.bytes ?? 1024 * 1024;
      const rng = new SeededRandom(`bulk:${String(ctx.options.seed ?? 1)}`);
      const sent = new Sha256();
      const recv = new Sha256();
      let received = 0;
      const done = ctx.finishAfter(2);
      // Each side's retransmission counters, kept when its socket closes (BulkStats sums them).
      const keepCounters = (s: TcpSocket, side: Side): void => {
        const k = s.tcpCounters;
        if (k === undefined) return;
        ctx.facts[`retrans${side}`] = k.retransmissions;
        ctx.facts[`fast${side}`] = k.fastRetransmits;
        ctx.facts[`timeouts${side}`] = k.timeouts;
      };
      const srv = ctx.B.createServer((s) => {
        s.on('data', (d) => {
          recv.update(d);
          received += d.length;
        });
        s.on('end', () => {
          ctx.facts.sha256Received = recv.hex();
          ctx.facts.bytesReceived = received;
        });
        s.on('error', (e) => ctx.note(`B: error ${e.message}`));
        s.on('close', () => {
          keepCounters(s, 'B');
          done();
        });
      });
      srv.listen(80);
      const c = ctx.A.connect({ host: ctx.hostB, port: 80 });
      c.on('error', (e) => ctx.note(`A: error ${e.message}`));
      let written = 0;
      const chunk = new Uint8Array(64 * 1024);
      const pump = (): void => {
        while (written < total) {
          const n = Math.min(chunk.length, total - written);
          const piece = rng.fill(new Uint8Array(n));
          sent.update(piece);
          written += n;
          if (!c.write(piece)) return; // wait for 'drain'
        }
        ctx.facts.sha256Sent = sent.hex();
        c.end();
      };
      c.on('connect', () => {
        ctx.facts.startedAt = ctx.now();
        pump();
      });
      c.on('drain', pump);
      c.on('data', () => undefined);
      c.on('close', () => {
        keepCounters(c, 'A');
        done();
      });
      if (total === 0) ctx.facts.sha256Sent = sent.hex();
    },
    explain: (ctx) => [
      `A sent ${String(ctx.options.bytes ?? 1024 * 1024)} bytes to B, B hashed what it read; the transfer is intact when both SHA-256 digests agree.`,
      'Lost, reordered, duplicated or corrupted segments (a corrupted one fails its checksum and is dropped) are repaired by retransmissions: fast retransmit after three duplicate ACKs (RFC 5681) or the retransmission timer (RFC 6298).',
    ],
  },
};

export const SCENARIO_NAMES: readonly string[] = Object.keys(SCENARIOS);

/** One of the two hosts: A opens, B serves (in traces they carry the scenario's host names). */
export type Side = 'A' | 'B';

/** A host as the simulator shows it: its connection's state and RFC 9293 3.3.1 variables. */
export interface HostStatus extends HostInfo {
  /** The newest connection's state; LISTEN or CLOSED without one. */
  readonly state: string;
  readonly listening: boolean;
  /** From the engine, when a connection exists. */
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
}

/** Ports the scenarios' servers (and the simulator's by-hand host) listen on before any segment shows them. */
const SERVER_PORTS = [80, 139];
/** The stepping methods stop this far (virtual ms) past the start: a guard against runaways. */
const STEP_LIMIT_MS = 30 * 60 * 1000;

/**
 * One scenario on its two hosts, run in one go or step by step. The constructor builds the
 * Simulation (hosts, link, seed) and starts the scenario's applications; nothing runs until asked:
 *
 *  - `run()` runs to the scenario's end or its time limit (`synack demo`), `result()` reports it;
 *  - `step()` runs one event, `stepSegment()` until a packet is put on the wire, `advanceTo(t)`
 *    up to virtual time t, `runToEnd()` until nothing is left: these go on past the scenario's end
 *    (TIME-WAIT, late retransmissions), up to 30 minutes of virtual time after the start;
 *  - `segments` (when recorded, also passed to `onSegment`), `host(side)`, `notes()`, `now()`,
 *    `nextAt()` observe it; `dispose()` stops the hosts and the link.
 *
 * Without a scenario name the hosts are left to the caller (the simulator's "by hand"): `sim.a`,
 * `sim.b` and `sim.pair` are the stacks and the link.
 *
 * Invariant: every packet put on the wire counts in `packets` and, when recording, becomes exactly
 * one TraceSegment, in wire order, with both hosts' states as they were when it was built.
 */
export class ScenarioRun {
  readonly sim: Simulation;
  readonly ctx: ScenarioContext;
  readonly names: readonly [string, string];
  readonly hosts: { readonly A: HostInfo; readonly B: HostInfo };
  readonly phaseTitles: Readonly<Record<string, string>>;
  /** One-way delay of the link, ms. */
  readonly delay: number;
  readonly link: DemoResult['link'];
  readonly segments: TraceSegment[] = [];
  /** Packets put on the wire (recorded or not). */
  packets = 0;
  /** Called for every recorded segment. */
  onSegment: (s: TraceSegment) => void = () => undefined;
  private readonly def: ScenarioDef | undefined;
  private readonly start: number;
  private readonly realStart: number | undefined;
  /** Ports seen on the wire (a listener may hold them). */
  private readonly ports = new Set(SERVER_PORTS);
  /** ECN asked for (DemoOptions.ecn or ce): its tallies are kept and reported. */
  private readonly ecnAsked: boolean;
  private readonly ecnTally = { ece: 0, cwr: 0, conns: new Set<TcpConnection>() };

  /** Throws ScenarioError for an unknown name. */
  constructor(
    readonly scenario: string | undefined,
    readonly options: DemoOptions = {},
  ) {
    const def = scenario === undefined ? undefined : SCENARIOS[scenario];
    if (scenario !== undefined && def === undefined) throw new ScenarioError(`unknown scenario '${scenario}'; one of: ${SCENARIO_NAMES.join(', ')}`);
    this.def = def;
    let base = def?.sim(options) ?? {};
    if (options.ipv6 === true && base.a?.addresses === undefined) {
      base = { ...base, a: { ...(base.a ?? {}), addresses: ['fd00::1'] }, b: { ...(base.b ?? {}), addresses: ['fd00::2'] } };
    }
    this.ecnAsked = options.ecn === true || options.ce !== undefined;
    if (this.ecnAsked) {
      // RFC 3168 6.1.1: both ask (an ECN-setup SYN from whichever opens; 'on' also answers one).
      base = {
        ...base,
        a: { ...(base.a ?? {}), tcp: { ...(base.a?.tcp ?? {}), ecn: 'on' } },
        b: { ...(base.b ?? {}), tcp: { ...(base.b?.tcp ?? {}), ecn: 'on' } },
      };
    }
    this.delay = options.delay ?? def?.delay ?? 10;
    this.link = {
      delay: this.delay,
      loss: options.loss ?? 0,
      reorder: options.reorder ?? 0,
      duplicate: options.duplicate ?? 0,
      corrupt: options.corrupt ?? 0,
      ...(options.ce !== undefined ? { ce: options.ce } : {}),
    };
    this.sim = new Simulation({
      ...base,
      seed: options.seed ?? 1,
      link: {
        ...this.link,
        ...(options.jitter !== undefined ? { jitter: options.jitter } : {}),
        ...(options.bandwidth !== undefined ? { bandwidth: options.bandwidth } : {}),
        ...(options.mtu !== undefined ? { mtu: options.mtu } : {}),
      },
    });
    this.names = def?.names ?? ['A', 'B'];
    this.hosts = {
      A: { name: this.names[0], address: addrText(this.sim.a) },
      B: { name: this.names[1], address: addrText(this.sim.b) },
    };
    this.phaseTitles = def?.phaseTitles ?? {};
    this.ctx = new ScenarioContext(this.sim, this.sim.a, this.sim.b, options, this.names);
    if (def === undefined) this.ctx.mark('');
    this.observe(options.record ?? scenario !== 'bulk');
    this.realStart = options.realClock?.();
    this.start = this.sim.now();
    def?.run(this.ctx);
  }

  /** The scenario's title ('' without one). */
  get title(): string {
    return this.def?.title ?? '';
  }

  /** Count (and record) every packet put on the wire. */
  private observe(record: boolean): void {
    const sim = this.sim;
    // Both sides' states at the moment each packet is built (the wire sees it after the whole flush).
    const states = new WeakMap<Uint8Array, { sender: string; receiver: string }>();
    if (record) {
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
    }
    sim.pair.observe((e: WireEvent) => {
      this.packets++;
      this.options.onPacket?.(e.time, e.packet);
      if (this.ecnAsked) this.tallyEcn(e);
      if (!record) return;
      const d = decodeForTrace(e.packet);
      const fromA = e.from === 'a';
      const sender = fromA ? sim.a : sim.b;
      const receiver = fromA ? sim.b : sim.a;
      if (d.tcp !== undefined) this.ports.add(d.tcp.srcPort).add(d.tcp.dstPort);
      const seg: TraceSegment = {
        index: this.segments.length + 1,
        time: e.time,
        ...(e.deliverAt !== undefined ? { arrival: e.deliverAt } : {}),
        from: fromA ? this.names[0] : this.names[1],
        to: fromA ? this.names[1] : this.names[0],
        fate: e.fate,
        reordered: e.reordered,
        ...(e.ceMarked === true ? { ceMarked: true } : {}),
        src: d.src,
        dst: d.dst,
        tcp: d.tcp,
        phase: this.ctx.phase,
        senderState: states.get(e.packet)?.sender ?? (d.tcp !== undefined ? stateOf(sender, d.src, d.tcp.srcPort, d.dst, d.tcp.dstPort) : ''),
        receiverState: states.get(e.packet)?.receiver ?? (d.tcp !== undefined ? stateOf(receiver, d.dst, d.tcp.dstPort, d.src, d.tcp.srcPort) : ''),
        packet: e.packet,
      };
      this.segments.push(seg);
      this.onSegment(seg);
    });
  }

  /**
   * ECE and CWR on the wire (SYNs aside: there they negotiate), and every connection that sent a
   * SYN or SYN-ACK, whose counters `result()` adds up (the engine keeps them after it closes).
   */
  private tallyEcn(e: WireEvent): void {
    const p = e.packet;
    const version = (p[0] as number) >>> 4;
    const ihl = version === 4 ? ((p[0] as number) & 0x0f) * 4 : 40;
    const proto = version === 4 ? p[9] : version === 6 ? p[6] : -1;
    if (proto !== 6 || p.length < ihl + 20) return;
    const flags = p[ihl + 13] as number;
    if ((flags & 0x02) === 0) {
      if (flags & 0x40) this.ecnTally.ece++;
      if (flags & 0x80) this.ecnTally.cwr++;
      return;
    }
    const d = decodeForTrace(p);
    const l = parseAddress(d.src);
    const r = parseAddress(d.dst);
    if (d.tcp === undefined || l === undefined || r === undefined) return;
    const c = (e.from === 'a' ? this.sim.a : this.sim.b).findConnection(l, d.tcp.srcPort, r, d.tcp.dstPort);
    if (c !== undefined) this.ecnTally.conns.add(c.conn);
  }

  private ecnStats(): EcnStats | undefined {
    if (!this.ecnAsked) return undefined;
    const conns = [...this.ecnTally.conns];
    const sum = (k: 'ceIn' | 'ecnReductions'): number => conns.reduce((n, c) => n + c.counters[k], 0);
    return {
      negotiated: conns.some((c) => c.ecn),
      ceMarked: this.sim.pair.aToB.stats.ceMarked + this.sim.pair.bToA.stats.ceMarked,
      ceIn: sum('ceIn'),
      ecnReductions: sum('ecnReductions'),
      eceSegments: this.ecnTally.ece,
      cwrSegments: this.ecnTally.cwr,
    };
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

  /** The scenario's applications are done (never without a scenario). */
  get finished(): boolean {
    return this.ctx.done;
  }

  /** Run to the scenario's end or its time limit; true when it ended. */
  run(): boolean {
    const limit = this.options.limit ?? this.def?.limit ?? 10 * 60 * 1000;
    return this.sim.runUntil(() => this.ctx.done, { until: this.start + limit });
  }

  /** Run the next event; false when nothing is left to run (within the stepping guard). */
  step(): boolean {
    const next = this.nextAt();
    if (next === undefined || next > this.start + STEP_LIMIT_MS) return false;
    return this.sim.scheduler.step();
  }

  /** Run events until at least one more packet is on the wire; false when nothing is left to run. */
  stepSegment(): boolean {
    const have = this.packets;
    while (this.packets === have) if (!this.step()) return false;
    return true;
  }

  /** Run every event up to virtual time `t` and move the clock there. */
  advanceTo(t: number): void {
    if (t <= this.now()) return;
    this.sim.scheduler.advanceTo(Math.min(t, this.start + STEP_LIMIT_MS));
  }

  /** Run until nothing is left (the hosts quiet and their timers expired), bounded. */
  runToEnd(): void {
    while (this.step());
  }

  // ---------------------------------------------------------------------------------------------
  // Observation

  /** Recorded segments sent but not yet arrived (among the last 64). */
  inFlight(): number {
    const now = this.now();
    let n = 0;
    for (let i = this.segments.length - 1; i >= 0 && i >= this.segments.length - 64; i--) {
      const s = this.segments[i] as TraceSegment;
      if (s.arrival !== undefined && s.arrival > now) n++;
    }
    return n;
  }

  protected stack(side: Side): Stack {
    return side === 'A' ? this.sim.a : this.sim.b;
  }

  /** A host's newest connection (state and engine variables), or whether it listens. */
  host(side: Side): HostStatus {
    const stack = this.stack(side);
    const { name, address } = this.hosts[side];
    const local = parseAddress(address);
    const listening = local !== undefined && [...this.ports].some((p) => stack.hasListener(local, p));
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
    return { name, address, state, listening, ...(tcp !== undefined ? { tcp } : {}) };
  }

  /** The applications' events so far. */
  notes(): readonly DemoNote[] {
    return this.ctx.notes;
  }

  /** The scenario's explanation, from what actually happened ([] without a scenario). */
  explanation(): string[] {
    const lines = this.def?.explain(this.ctx, this.segments) ?? [];
    const e = this.ecnStats();
    if (e === undefined || this.def === undefined) return lines;
    if (!e.negotiated) return [...lines, 'ECN (RFC 3168) was asked for, but no connection got as far as negotiating it.'];
    return [
      ...lines,
      'ECN (RFC 3168): the SYN asked for it (ECE and CWR) and the SYN-ACK agreed (ECE), so new data went out ECN-capable (ECT(0)); SYNs, pure ACKs and retransmissions never do.',
      e.ceMarked === 0
        ? 'The link marked no packet Congestion Experienced.'
        : `The link marked ${e.ceMarked} ECN-capable packets Congestion Experienced instead of dropping them. The receiver echoed each mark with ECE (${e.eceSegments} segments) until the sender said CWR (${e.cwrSegments} segments); the sender reduced its window ${e.ecnReductions} times, as it would for a loss, without having to retransmit anything for it.`,
    ];
  }

  /** The run so far as `synack demo` reports it (after `run()`). */
  result(): DemoResult {
    const realMs = this.realStart !== undefined && this.options.realClock !== undefined ? this.options.realClock() - this.realStart : undefined;
    const sim = this.sim;
    const virtualMs = sim.now() - this.start;
    const completed = this.ctx.done;
    let bulk: BulkStats | undefined;
    if (this.scenario === 'bulk') {
      const f = this.ctx.facts;
      const bytes = this.options.bytes ?? 1024 * 1024;
      const began = typeof f.startedAt === 'number' ? f.startedAt : this.start;
      const span = Math.max(1e-9, sim.now() - began);
      const sha256Sent = String(f.sha256Sent ?? '');
      const sha256Received = String(f.sha256Received ?? '');
      bulk = {
        bytes,
        bytesReceived: Number(f.bytesReceived ?? 0),
        virtualMs,
        realMs,
        retransmissions: Number(f.retransA ?? 0) + Number(f.retransB ?? 0),
        fastRetransmits: Number(f.fastA ?? 0) + Number(f.fastB ?? 0),
        timeouts: Number(f.timeoutsA ?? 0) + Number(f.timeoutsB ?? 0),
        sha256Sent,
        sha256Received,
        intact: completed && sha256Sent !== '' && sha256Sent === sha256Received && Number(f.bytesReceived ?? -1) === bytes,
        goodputBps: (bytes * 8 * 1000) / span,
      };
    }
    const ecn = this.ecnStats();
    return {
      scenario: this.scenario ?? '',
      title: this.title,
      seed: sim.seed,
      hosts: this.hosts,
      segments: this.segments,
      packets: this.packets,
      notes: this.ctx.notes,
      explanation: this.explanation(),
      phaseTitles: this.phaseTitles,
      completed,
      virtualMs,
      link: this.link,
      drops: { A: nonZero(sim.a.counters.drops), B: nonZero(sim.b.counters.drops) },
      ...(bulk !== undefined ? { bulk } : {}),
      ...(ecn !== undefined ? { ecn } : {}),
    };
  }

  /** Stop the hosts and the link (the run is not used after). */
  dispose(): void {
    this.sim.close();
  }
}

/** Run a scenario to completion (or its time limit). Throws ScenarioError for an unknown name. */
export function runScenario(name: string, options: DemoOptions = {}): DemoResult {
  const run = new ScenarioRun(name, options);
  run.run();
  const result = run.result();
  run.dispose();
  return result;
}

/** An unknown scenario name (a usage error for the CLI). */
export class ScenarioError extends SynackError {
  constructor(message: string) {
    super('ERR_SYNACK_USAGE', message);
    this.name = 'ScenarioError';
  }
}

function stateOf(stack: Stack, local: string, localPort: number, remote: string, remotePort: number): string {
  const l = parseAddress(local);
  const r = parseAddress(remote);
  if (l === undefined || r === undefined) return '';
  const c = stack.findConnection(l, localPort, r, remotePort);
  if (c !== undefined) return c.conn.state;
  return stack.hasListener(l, localPort) ? 'LISTEN' : 'CLOSED';
}

function addrText(s: Stack): string {
  const a = s.interfaces[0]?.addresses[0];
  return a === undefined ? '' : formatAddress(a);
}

function nonZero(r: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(r)) if (v !== 0) out[k] = v;
  return out;
}
