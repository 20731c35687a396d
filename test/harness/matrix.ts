/**
 * The cells of the transfer matrix (test/tcp/matrix.test.ts): the axes of issue 4 (loss, link
 * fault, delay, bandwidth, buffers, TCP options, congestion controller, seed) and how a cell's
 * traffic and configuration follow from them, deterministically, so any cell can be replayed from
 * its name.
 */
import { SeededRandom } from '../../src/link/rng.js';
import type { TcpConfig } from '../../src/tcp/config.js';
import type { LinkConfig } from './pair.js';
import type { TransferCell } from './transfer.js';

const LOSSES = [0, 0.01, 0.05, 0.2] as const;
const DELAYS = [0, 10, 100] as const;
const FAULTS = ['none', 'reorder', 'duplicate', 'corrupt', 'all'] as const;
const BANDWIDTHS = ['unlimited', '10Mbit', '1Mbit'] as const;
const BUFFERS = ['small', 'default', 'large'] as const;
const OPTIONS = ['all', 'no-sack', 'none'] as const;
const CONTROLLERS = ['reno', 'cubic'] as const;

type Fault = (typeof FAULTS)[number];
type Bandwidth = (typeof BANDWIDTHS)[number];
type Buffers = (typeof BUFFERS)[number];
type Options = (typeof OPTIONS)[number];
type Controller = (typeof CONTROLLERS)[number];

export interface Axes {
  readonly loss: number;
  readonly delay: number;
  readonly fault: Fault;
  readonly bandwidth: Bandwidth;
  readonly buffers: Buffers;
  readonly options: Options;
  readonly cc: Controller;
  readonly seed: number;
}

function linkFor(a: Axes): LinkConfig {
  const faults: LinkConfig = {
    none: {},
    reorder: { reorder: 0.1, reorderDelay: a.delay / 2 + 3, jitter: Math.min(5, a.delay / 4) },
    duplicate: { duplicate: 0.05 },
    corrupt: { corrupt: 0.03 },
    all: { reorder: 0.05, reorderDelay: a.delay / 2 + 3, jitter: Math.min(5, a.delay / 4), duplicate: 0.03, corrupt: 0.02 },
  }[a.fault];
  const bw: LinkConfig = {
    unlimited: {},
    '10Mbit': { rate: 1250, queue: 64 * 1024 },
    '1Mbit': { rate: 125, queue: 16 * 1024 },
  }[a.bandwidth];
  return { delay: a.delay, loss: a.loss, ...faults, ...bw };
}

function configFor(a: Axes, rng: SeededRandom): Partial<TcpConfig> {
  const buffers: Partial<TcpConfig> = {
    small: { sendBufferSize: 8 * 1024, recvBufferSize: 4 * 1024 },
    default: {},
    large: { sendBufferSize: 4 << 20, recvBufferSize: 4 << 20 },
  }[a.buffers];
  const options: Partial<TcpConfig> = {
    all: {},
    'no-sack': { sack: false },
    none: { sack: false, timestamps: false, windowScaling: false },
  }[a.options];
  return {
    ...buffers,
    ...options,
    congestionControl: a.cc,
    minRto: rng.chance(0.5) ? 200 : 1000,
    mtu: rng.chance(0.2) ? 9000 : 1500,
    nagle: rng.chance(0.8),
    delayedAck: rng.chance(0.2) ? 0 : 40,
    userTimeout: 1e9,
    // RFC 9293 3.4.1's MSL of 2 minutes: TIME-WAIT (4 min) outlasts the 60 s RTO ceiling, so a peer
    // whose FIN retransmissions keep getting lost at 20% loss is not answered by a RST.
    msl: 120_000,
  };
}

export function cellFor(a: Axes): TransferCell {
  const rng = new SeededRandom(a.seed * 7919 + Math.round(a.loss * 1000) * 31 + a.delay * 17 + FAULTS.indexOf(a.fault));
  const slow = a.bandwidth === '1Mbit' || a.delay === 100 || a.loss >= 0.2;
  const maxBytes = a.buffers === 'large' && !slow ? 4_000_000 : slow ? 150_000 : 600_000;
  const aToB = rng.int(maxBytes + 1);
  const twoWay = rng.chance(0.3);
  const config = configFor(a, rng);
  // Some cells send every segment through the wire codec (options must encode, checksums verify),
  // and some start just below 2^32 so sequence numbers wrap mid-transfer.
  const wire = rng.chance(0.25);
  const wrap = rng.chance(0.2);
  return {
    seed: a.seed,
    aToB,
    bToA: twoWay ? rng.int(maxBytes / 4 + 1) : 0,
    halfClose: twoWay && rng.chance(0.5),
    link: { ...linkFor(a), wire },
    config,
    ...(wrap ? { issA: 0xffffffff - rng.int(aToB + 1), issB: 0xffffffff - rng.int(1001) } : {}),
    ...(rng.chance(0.1) ? { readChunk: 100 + rng.int(2901) } : {}),
  };
}

export function cellName(a: Axes, c: TransferCell): string {
  return [
    `loss ${a.loss * 100}%`,
    a.fault,
    `delay ${a.delay} ms`,
    a.bandwidth,
    `${a.buffers} buffers`,
    `options ${a.options}`,
    a.cc,
    `${c.aToB}+${c.bToA ?? 0} B`,
    ...(c.readChunk === undefined ? [] : [`reads of ${c.readChunk} B`]),
    ...(c.link?.wire === true ? ['through the codec'] : []),
    ...(c.issA === undefined ? [] : ['sequence wrap']),
    `seed ${a.seed}`,
  ].join(', ');
}

export function* matrixCells(long: boolean): Generator<Axes> {
  const pick = new SeededRandom(9293);
  for (const loss of LOSSES) {
    for (const fault of FAULTS) {
      for (const delay of DELAYS) {
        if (long) {
          for (const bandwidth of BANDWIDTHS) {
            for (const buffers of BUFFERS) {
              for (const options of OPTIONS) {
                for (let seed = 1; seed <= 3; seed++) {
                  yield { loss, fault, delay, bandwidth, buffers, options, cc: CONTROLLERS[seed % 2]!, seed };
                }
              }
            }
          }
        } else {
          for (let seed = 1; seed <= 6; seed++) {
            yield {
              loss,
              fault,
              delay,
              bandwidth: BANDWIDTHS[pick.int(BANDWIDTHS.length)]!,
              buffers: BUFFERS[pick.int(BUFFERS.length)]!,
              options: OPTIONS[pick.int(OPTIONS.length)]!,
              cc: CONTROLLERS[pick.int(CONTROLLERS.length)]!,
              seed,
            };
          }
        }
      }
    }
  }
}

