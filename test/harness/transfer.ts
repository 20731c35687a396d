/**
 * One simulated transfer between two engines (test/harness/pair.ts), as the matrix and benchmarks
 * run it: A streams `aToB` seeded bytes and shuts down; B reads everything, streams `bToA` bytes
 * back (from the start, or after A's FIN with `halfClose`) and closes. The outcome says whether
 * every byte arrived once, in order and intact (SHA-256 of what was sent and of what was read), and
 * how each side ended.
 */
import { createHash } from 'node:crypto';
import { SeededRandom } from '../../src/link/rng.js';
import type { TcpConfig } from '../../src/tcp/config.js';
import { TcpState } from '../../src/tcp/state.js';
import { Pair, StreamApp, type LinkConfig } from './pair.js';

export interface TransferCell {
  readonly seed: number;
  readonly aToB: number;
  readonly bToA?: number;
  readonly halfClose?: boolean;
  readonly link?: LinkConfig;
  readonly config?: Partial<TcpConfig>;
  readonly configA?: Partial<TcpConfig>;
  readonly configB?: Partial<TcpConfig>;
  readonly maxTime?: number;
  readonly issA?: number;
  readonly issB?: number;
  /** B's application reads at most this many bytes per wake-up (default: everything). */
  readonly readChunk?: number;
  /** Keep the segment trace (Pair.trace). */
  readonly trace?: boolean;
}

export interface TransferOutcome {
  readonly pair: Pair;
  readonly finished: boolean;
  readonly sentAB: string;
  readonly gotAB: string;
  readonly sentBA: string;
  readonly gotBA: string;
  readonly bytesAB: number;
  readonly bytesBA: number;
  /** Last event of each side ('closed' for a clean end), and A's final state. */
  readonly endA: string | undefined;
  readonly endB: string | undefined;
  readonly stateA: TcpState;
  readonly stateB: TcpState;
}

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

export function runTransfer(cell: TransferCell): TransferOutcome {
  const pair = new Pair({
    seed: cell.seed,
    link: cell.link ?? {},
    configA: { ...cell.config, ...cell.configA },
    configB: { ...cell.config, ...cell.configB },
    trace: cell.trace ?? false,
    ...(cell.issA === undefined ? {} : { issA: cell.issA }),
    ...(cell.issB === undefined ? {} : { issB: cell.issB }),
  });
  const gen = new SeededRandom(cell.seed ^ 0x5eed);
  const dataA = gen.fill(new Uint8Array(cell.aToB));
  const dataB = gen.fill(new Uint8Array(cell.bToA ?? 0));
  const fromA = new StreamApp(dataA);
  const fromB = new StreamApp(dataB);
  const atB = new StreamApp(new Uint8Array(0));
  const atA = new StreamApp(new Uint8Array(0));
  const chunk = cell.readChunk;
  const finished = pair.run({
    app: (p) => {
      fromA.pump(p.a);
      if (chunk === undefined) atB.drain(p.b);
      else if (p.b.readableBytes > 0) {
        const part = p.b.read(chunk);
        atB.received.push(part);
        atB.receivedBytes += part.length;
      }
      if (!cell.halfClose || p.b.eof) fromB.pump(p.b);
      atA.drain(p.a);
    },
    // A slow reader takes one chunk per millisecond.
    appWakeAt: (p) => (chunk !== undefined && p.b.readableBytes > 0 ? p.now + 1 : undefined),
    done: (p) => p.b.isClosed && p.b.readableBytes === 0 && p.a.readableBytes === 0 && (p.a.state === TcpState.TimeWait || p.a.isClosed),
    maxTime: cell.maxTime ?? 100_000_000,
  });
  const gotA = atB.joined();
  const gotB = atA.joined();
  return {
    pair,
    finished,
    sentAB: sha256(dataA),
    gotAB: sha256(gotA),
    sentBA: sha256(dataB),
    gotBA: sha256(gotB),
    bytesAB: gotA.length,
    bytesBA: gotB.length,
    endA: pair.eventsA.at(-1)?.type,
    endB: pair.eventsB.at(-1)?.type,
    stateA: pair.a.state,
    stateB: pair.b.state,
  };
}

/** Why an outcome is not a clean, complete transfer (undefined when it is). */
export function transferProblem(cell: TransferCell, o: TransferOutcome): string | undefined {
  const p = o.pair;
  if (!o.finished) return `did not finish by t=${p.now}: A ${o.stateA} (${o.endA}), B ${o.stateB} (${o.endB}); A->B ${o.bytesAB}/${cell.aToB}, B->A ${o.bytesBA}/${cell.bToA ?? 0}`;
  if (o.bytesAB !== cell.aToB || o.gotAB !== o.sentAB) return `A->B: ${o.bytesAB} of ${cell.aToB} bytes, sha256 ${o.gotAB.slice(0, 12)} != ${o.sentAB.slice(0, 12)}`;
  if (o.bytesBA !== (cell.bToA ?? 0) || o.gotBA !== o.sentBA) return `B->A: ${o.bytesBA} of ${cell.bToA ?? 0} bytes, sha256 differs`;
  if (o.endB !== 'closed') return `B ended with '${o.endB}'`;
  if (!(o.stateA === TcpState.TimeWait || o.endA === 'closed')) return `A ended ${o.stateA} with '${o.endA}'`;
  return undefined;
}
