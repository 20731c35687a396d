/**
 * English for ladder diagrams. Anomaly marks are tshark's own short words ("dup ACK",
 * "previous segment not captured"), as Wireshark's expert info prints them; the other languages
 * use the words their `synack explain` catalogue uses for the same kinds.
 *
 * Invariant: a template for every ladder message id (the `LadderTemplates` type); no placeholders
 * left in the output.
 */
import type { AnomalyKind } from '../anomalies.js';
import { millis, ttlText } from './format.js';
import type { CaptureBasis, LadderTemplates } from './ladder-types.js';
import type { Side } from './types.js';

/** Short labels for anomaly marks, in tshark's words. */
export const MARK_WORDS: Readonly<Record<AnomalyKind, string>> = {
  retransmission: 'retransmission',
  fastRetransmission: 'fast retransmission',
  spuriousRetransmission: 'spurious retransmission',
  outOfOrder: 'out-of-order',
  lostSegment: 'previous segment not captured',
  ackedUnseen: 'ACKed unseen segment',
  duplicateAck: 'dup ACK',
  zeroWindow: 'zero window',
  zeroWindowProbe: 'zero window probe',
  windowFull: 'window full',
  windowUpdate: 'window update',
  keepAlive: 'keep-alive',
  portReuse: 'port reuse',
  badChecksum: 'bad checksum',
  keepAliveAck: 'keep-alive ACK',
  zeroWindowProbeAck: 'zero window probe ACK',
};

const other = (s: Side): Side => (s === 'client' ? 'server' : 'client');

const ms = (s: number): string => `${millis(s)} ms`;
const ttl = ttlText;

/** The reason in words. */
function basisText(b: CaptureBasis): string {
  switch (b.kind) {
    case 'ttl':
      return `TTL: the ${b.point}'s packets carry an initial TTL (${b.own}), the ${other(b.point)}'s arrive with ${b.other}`;
    case 'timing':
      return `handshake timing: SYN to SYN-ACK ${ms(b.toSynAck)}, SYN-ACK to ACK ${ms(b.toAck)}`;
    case 'unclear':
      return `handshake timing does not tell (SYN to SYN-ACK ${ms(b.toSynAck)}, SYN-ACK to ACK ${ms(b.toAck)}); TTLs ${ttl(b.ttlClient)}/${ttl(b.ttlServer)}`;
    case 'none':
      return 'no complete handshake and no telling TTLs';
  }
}

const why = (b: CaptureBasis): string => {
  const t = basisText(b);
  return t === '' ? '' : ` (${t})`;
};

export const ladderEn: LadderTemplates = {
  title: (p) => `Connection ${p.id}: client ${p.client}, server ${p.server}, frames ${p.first}–${p.last}${p.relative ? ' (relative sequence numbers)' : ''}`,
  'host.client': () => 'client',
  'host.server': () => 'server',
  'caption.at': (p) => `Captured at the ${p.point}${why(p.basis)}: times are the ${p.point}'s; arrows touch the ${p.point}'s line at their time.`,
  'caption.unknown': (p) => `Capture point unknown${why(p.basis)}: times are true only where the capture was taken; arrows are drawn level.`,
  'phase.open': () => 'three-way handshake',
  'phase.data': () => 'data transfer',
  'phase.close': () => 'terminating the connection',
  legend: () => 'seq: sequence number, ack: acknowledgment number, len: bytes of data; "!": anomalies as tshark flags them ("?": only suspected).',
  mark: (p) => `${MARK_WORDS[p.kind]}${p.suspected ? '?' : ''}`,
  'head.frame': () => 'frame',
  'head.time': () => 'ms',
  'head.state': () => 'state',
  omitted: (p) => `${p.omitted} more ${p.omitted === 1 ? 'segment' : 'segments'} not shown: only the first ${p.kept} were kept.`,
  'row.title': (p) =>
    `Frame ${p.frame}, ${p.time} ${p.unit}: ${p.from} → ${p.to}, ${p.label}${p.marks.length > 0 ? ` [${p.marks.join(', ')}]` : ''}${p.note !== null ? ` (${p.note})` : ''}`,
  'ui.drawFailed': () => 'The ladder diagram could not be drawn.',
  'fate.lost': () => 'lost on the link',
  'fate.corrupted': () => 'corrupted on the link (a bit flipped): dropped on the checksum',
  'fate.duplicated': () => 'duplicated by the link',
  'fate.tooBig': () => 'larger than the link MTU: dropped',
  'fate.queueFull': () => 'link queue full: dropped',
  'fate.closed': () => 'link closed',
  'fate.reordered': () => 'held back by the link (reordered)',
};
