/**
 * English for `synack explain`: the register of the support article KB 172983 (seeds/000-002 are
 * its translations): say what each frame does and why, in plain sentences, with the numbers from
 * the frame. Sequence and port numbers are printed as plain digits, exactly as in the frame.
 *
 * Invariant: a template for every message id (the `Templates` type), each returning complete
 * sentences with no placeholders left.
 */
import type { AnomalyKind } from '../anomalies.js';
import { durationParts, percent } from './format.js';
import type { Offer, Side, Templates, ZeekState } from './types.js';

const who = (s: Side): string => (s === 'client' ? 'the client' : 'the server');
const Who = (s: Side): string => (s === 'client' ? 'The client' : 'The server');
const other = (s: Side): Side => (s === 'client' ? 'server' : 'client');

/** "a", "a and b", "a, b and c". */
function list(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "Frame 4", "Frames 4–62". */
function frameRange(first: number, last: number): string {
  return first === last ? `Frame ${first}` : `Frames ${first}–${last}`;
}

/** "frame 62", "frames 35, 36 and 42", "frames 35, 36, 37 … (20 in all)". */
function frameList(frames: readonly number[], count: number): string {
  const shown = list(frames.map(String));
  if (count > frames.length) return `frames ${frames.join(', ')} and ${count - frames.length} more`;
  return frames.length === 1 ? `frame ${shown}` : `frames ${shown}`;
}

/** Seconds as "37 µs", "708.5 ms", "2.5 s". */
function duration(s: number): string {
  const d = durationParts(s);
  return `${d.value} ${d.unit}`;
}

function offerText(o: Offer): string {
  const parts: string[] = [];
  if (o.mss !== null) parts.push(`a maximum segment size (MSS) of ${o.mss} bytes`);
  if (o.windowScale !== null) parts.push(`window scaling (shift ${o.windowScale})`);
  if (o.sackPermitted) parts.push('selective acknowledgments (SACK)');
  if (o.timestamps) parts.push('timestamps');
  return parts.length === 0 ? 'offers no options' : `offers ${list(parts)}`;
}

const KIND: Readonly<Record<AnomalyKind, [string, string]>> = {
  retransmission: ['retransmission', 'retransmissions'],
  fastRetransmission: ['fast retransmission', 'fast retransmissions'],
  spuriousRetransmission: ['spurious retransmission', 'spurious retransmissions'],
  outOfOrder: ['out-of-order segment', 'out-of-order segments'],
  lostSegment: ['segment missing before the next one', 'segments missing before the next one'],
  ackedUnseen: ['acknowledgment of data the capture missed', 'acknowledgments of data the capture missed'],
  duplicateAck: ['duplicate ACK', 'duplicate ACKs'],
  zeroWindow: ['zero window', 'zero windows'],
  zeroWindowProbe: ['zero-window probe', 'zero-window probes'],
  windowFull: ['full window', 'full windows'],
  windowUpdate: ['window update', 'window updates'],
  keepAlive: ['keep-alive', 'keep-alives'],
  portReuse: ['port reuse', 'port reuses'],
  badChecksum: ['bad checksum', 'bad checksums'],
  keepAliveAck: ['keep-alive ACK', 'keep-alive ACKs'],
  zeroWindowProbeAck: ['zero-window probe ACK', 'zero-window probe ACKs'],
};

function kindCount(kind: AnomalyKind, n: number): string {
  const [one, many] = KIND[kind];
  return plural(n, one, many);
}

const STATE: Readonly<Record<ZeekState, string>> = {
  S0: 'connection attempt seen, no reply',
  S1: 'established, not terminated',
  SF: 'normal establishment and termination',
  REJ: 'connection attempt rejected',
  S2: 'established, close attempt by the originator seen, no reply from the responder',
  S3: 'established, close attempt by the responder seen, no reply from the originator',
  RSTO: 'established, the originator aborted (sent a RST)',
  RSTR: 'established, the responder aborted (sent a RST)',
  RSTOS0: 'the originator sent a SYN followed by a RST, no SYN-ACK seen',
  RSTRH: 'the responder sent a SYN-ACK followed by a RST, no SYN seen',
  SH: 'the originator sent a SYN followed by a FIN, no SYN-ACK seen',
  SHR: 'the responder sent a SYN-ACK followed by a FIN, no SYN seen',
  OTH: 'no SYN seen, just midstream traffic',
};

export const en: Templates = {
  'conn.title': (p) =>
    `Connection ${p.id}: client ${p.client} port ${p.clientPort}, server ${p.server} port ${p.serverPort} (IPv${p.family}), ${plural(p.segments, 'segment', 'segments')} in frames ${p.first}–${p.last}.`,
  'conn.rolesFromSynAck': () => 'The SYN is not in the capture; the client is the side the SYN-ACK was sent to.',
  'conn.rolesGuessed': () =>
    'Neither SYN nor SYN-ACK is in the capture, so which side is the client is a guess: the first sender, unless the port numbers suggest otherwise (Zeek’s rule).',
  'conn.midstream': (p) => `The capture begins in the middle of this connection: frame ${p.frame} is its first, the handshake happened before the capture started.`,
  'conn.notContinuation': (p) =>
    `${frameRange(p.first, p.last)} do not belong to the connection of frames ${p.prevFirst}–${p.prevLast}, although they follow it and look like its close. ` +
    `They carry other addresses and ports (${p.client}:${p.clientPort} and ${p.server}:${p.serverPort}, not ${p.prevClient}:${p.prevClientPort} and ${p.prevServer}:${p.prevServerPort})` +
    `${p.otherMacs ? ' and other Ethernet addresses' : ''}, and their sequence numbers do not continue it: frame ${p.first} has seq ${p.seq} and ack ${p.ack}, where the client of frames ${p.prevFirst}–${p.prevLast} would send seq ${p.prevSeq} and ack ${p.prevAck}. ` +
    `The bytes contradict any description of these frames as the open and close of one connection: the connection of frames ${p.prevFirst}–${p.prevLast} is never closed in this capture, and this one was opened before it began.`,
  'conn.endedOpen': (p) => `The capture ends (last frame ${p.frame}) before this connection is closed.`,

  'capture.ttl': (p) =>
    `The capture was taken at the ${p.point}: its packets carry an initial TTL (${p.own}), while the ${other(p.point)}’s arrive with ${p.other}, lowered by the routers on the way. Times in this explanation are as the ${p.point} saw them.`,
  'capture.timing': (p) =>
    `The capture was probably taken near the ${p.point}: the SYN-ACK followed the SYN after ${duration(p.toSynAck)}, the ACK followed the SYN-ACK after ${duration(p.toAck)}, so most of the network path lies between the capture point and ${who(other(p.point))}. Times and losses are as seen there.`,
  'capture.unknown': () =>
    'Where the capture was taken cannot be told from the bytes (neither the TTLs nor the handshake timing tell); times and losses are only true at the capture point.',

  'hs.syn': (p) =>
    `Frame ${p.frame}: the client ${p.client} asks the server ${p.server} to open a connection from port ${p.clientPort} to port ${p.serverPort} (SYN). ` +
    `It chooses the initial sequence number (ISN) ${p.isn} and ${offerText(p.offer)}. The ACK flag is not set, so the acknowledgment number means nothing yet: this is the first step of the three-way handshake.`,
  'hs.synOptionBytes': (p) =>
    `The SYN carries no data: the segment is only its ${p.headerBytes}-byte TCP header, ${p.optionBytes} bytes of which are options.`,
  'hs.netmonLen': (p) =>
    `(Microsoft Network Monitor, quoted in KB 172983, shows such a SYN as “len: ${p.optionBytes}”: it counts the ${p.optionBytes} option bytes as if they were data.)`,
  'hs.synRetry': (p) =>
    `Frame ${p.frame}: the client sends its SYN again (same ISN ${p.isn}), ${duration(p.after)} after the first one: no answer had arrived, so the SYN or the server’s answer was probably lost.`,
  'hs.synAck': (p) =>
    `Frame ${p.frame}: the server ${p.server} accepts: it acknowledges the client’s SYN and sends its own SYN in the same segment (SYN, ACK). ` +
    (p.clientIsn !== null
      ? `Its acknowledgment number ${p.ack} is the client’s ISN ${p.clientIsn} plus 1, because a SYN occupies one sequence number. `
      : `Its acknowledgment number is ${p.ack}: the client’s SYN, which the capture did not see, had the ISN ${(p.ack - 1) >>> 0}. `) +
    `The server’s own initial sequence number is ${p.isn}; it ${offerText(p.offer)}.`,
  'hs.synAckWrongAck': (p) =>
    `Here the bytes contradict the handshake: the acknowledgment number should be ${p.expected} (the client’s ISN plus 1) but is ${p.ack}. The client will refuse this SYN-ACK with a reset.`,
  'hs.synAckRetry': (p) =>
    `Frame ${p.frame}: the server sends its SYN-ACK again, ${duration(p.after)} after the first: the client’s ACK had not arrived (or the client repeated its SYN).`,
  'hs.ack': (p) =>
    `Frame ${p.frame}: the client acknowledges the server’s SYN with acknowledgment number ${p.ack}, the server’s ISN ${p.serverIsn} plus 1` +
    `${p.bytes > 0 ? `, and already sends ${plural(p.bytes, 'byte', 'bytes')} of data in the same segment` : ''}. ` +
    'The three-way handshake is complete: both sides know each other’s sequence numbers and the connection is established.',
  'hs.rtt': (p) => `From the SYN to this ACK took ${duration(p.rtt)}: the round-trip time of the handshake (tshark’s initial RTT).`,
  'hs.windowScale': (p) =>
    p.client !== null && p.server !== null
      ? `Both sides offered window scaling, so from now on the client’s window field counts in units of ${2 ** p.client} bytes and the server’s in units of ${2 ** p.server} bytes (RFC 7323).`
      : `Only the ${p.client !== null ? 'client' : 'server'} offered window scaling, so neither side scales its window (RFC 7323: both must offer it).`,

  'rst.refused': (p) =>
    `Frame ${p.frame}: the server answers the SYN with a reset (RST), ${duration(p.after)} later: the connection is refused. Nothing listens on port ${p.serverPort} at ${p.server}, or a firewall rejects the connection on its behalf.`,
  'rst.abort': (p) =>
    `Frame ${p.frame}: ${who(p.from)} aborts the connection with a reset (RST). Unlike a FIN, a reset ends both directions at once and throws away data still in flight: the application on ${who(p.from)} closed its socket abruptly (or with data it had not read), or the host lost the connection’s state.`,
  'rst.afterFin': (p) =>
    `Frame ${p.frame}: ${who(p.from)} sends a reset (RST) after the close had begun: a segment arrived for a socket that was already closed, or the application closed with data it had not read. The connection ends at once.`,
  'rst.again': (p) => `Frame ${p.frame}: another reset from ${who(p.from)}; the connection is already over.`,

  'data.run': (p) => {
    const side = (s: Side): string => {
      const segs = p.segs[s];
      const acks = p.acks[s];
      if (segs === 0 && acks === 0) return `${who(s)} sends nothing`;
      if (segs === 0) return `${who(s)} only acknowledges (${plural(acks, 'segment', 'segments')} without data)`;
      return `${who(s)} sends ${plural(p.bytes[s], 'byte', 'bytes')} in ${plural(segs, 'segment', 'segments')}${acks > 0 ? ` and ${plural(acks, 'acknowledgment', 'acknowledgments')} without data` : ''}`;
    };
    const text = `${side('client')}; ${side('server')}.`;
    return `${frameRange(p.first, p.last)} (${duration(p.duration)}): data transfer. ${text.charAt(0).toUpperCase()}${text.slice(1)}`;
  },
  'data.segment': (p) =>
    `Frame ${p.frame}: ${who(p.from)} sends ${plural(p.bytes, 'byte', 'bytes')} of data (seq ${p.seq})` +
    `${p.ack !== null ? ` and acknowledges everything before ${p.ack}` : ''}.`,
  'data.ack': (p) =>
    `Frame ${p.frame}: ${who(p.from)} acknowledges everything before ${p.ack} (ACK without data)${p.window !== null ? `; its receive window is ${p.window} bytes` : ''}.`,
  'data.dupAcks': (p) =>
    p.again
      ? `${p.count === 1 ? 'A duplicate ACK' : `${p.count} duplicate ACKs`} from ${who(p.from)} (${frameList(p.frames, p.count)}) for ${p.ack}: again a segment is missing from ${p.ack} on.`
      : `${p.count === 1 ? 'A duplicate ACK' : `${p.count} duplicate ACKs`} from ${who(p.from)} (${frameList(p.frames, p.count)}) for ${p.ack}: ` +
    `${who(p.from)} received data beyond a gap and keeps asking for the bytes from ${p.ack} on. A segment was probably lost (or reordered); three duplicate ACKs make the sender retransmit it at once (fast retransmit).`,
  'data.windowUpdates': (p) =>
    p.again
      ? `${p.count === 1 ? 'Another window update' : `${p.count} more window updates`} from ${who(p.from)} (${frameList(p.frames, p.count)}).`
      : `${p.count === 1 ? 'A window update' : `${p.count} window updates`} from ${who(p.from)} (${frameList(p.frames, p.count)}): it announces a different receive window without acknowledging new data, usually because its application has read data and made room.`,
  'data.keepAliveAcks': (p) =>
    `${Who(p.from)} answers the keep-alive${p.count === 1 ? '' : 's'} (${frameList(p.frames, p.count)}): the connection is still alive.`,
  'data.probeAcks': (p) =>
    `${Who(p.from)} answers the zero-window probe${p.count === 1 ? '' : 's'} (${frameList(p.frames, p.count)}); its window is still closed.`,
  'data.halfClose': (p) =>
    `Frame ${p.frame}: the connection is half-closed (RFC 9293 3.6): ${who(p.closed)} has finished sending, but ${who(p.sender)} still sends data, ${plural(p.bytes, 'byte', 'bytes')} in all after the FIN, and ${who(p.closed)} keeps receiving and acknowledging them.`,

  'close.fin': (p) =>
    `Frame ${p.frame}: ${who(p.from)} has no more data to send and says so with FIN (seq ${p.seq})` +
    `${p.bytes > 0 ? `, together with its last ${plural(p.bytes, 'byte', 'bytes')} of data` : ''}. ` +
    `This closes only its own direction: it can still receive data from ${who(other(p.from))}.` +
    `${p.ack !== null ? ` The ACK flag in the same segment acknowledges everything before ${p.ack}.` : ''}`,
  'close.finAck': (p) =>
    `Frame ${p.frame}: ${who(p.from)} acknowledges the FIN of frame ${p.finFrame} (ack ${p.ack}: a FIN occupies one sequence number, like a SYN).`,
  'close.fin2': (p) =>
    `Frame ${p.frame}: ${who(p.from)} closes its direction as well (FIN, seq ${p.seq}). The two directions of a TCP connection are closed independently, which is why a close takes four segments rather than three.`,
  'close.fin2Ack': (p) =>
    `Frame ${p.frame}: ${who(p.from)} acknowledges the FIN of frame ${p.finFrame} (ack ${p.ack}) and closes its own direction in the same segment (FIN, seq ${p.seq}).`,
  'close.finalAck': (p) =>
    `Frame ${p.frame}: ${who(p.from)} acknowledges the FIN of frame ${p.finFrame} (ack ${p.ack}). Both directions are closed: the connection has ended gracefully. ${Who(p.from)}, which closed first, now waits in TIME-WAIT before the same port pair may be used again.`,
  'close.finRetry': (p) =>
    `Frame ${p.frame}: ${who(p.from)} sends its FIN again (seq ${p.seq}): its acknowledgment had not arrived in time.`,

  'anom.retransmission': (p) =>
    p.again
      ? `Frame ${p.frame}: ${who(p.from)} sends the ${plural(p.bytes, 'byte', 'bytes')} at seq ${p.seq} again (retransmission).`
      : `Frame ${p.frame}: ${who(p.from)} sends the ${plural(p.bytes, 'byte', 'bytes')} at seq ${p.seq} again (retransmission): the segment or its acknowledgment was probably lost, and ${who(p.from)}’s retransmission timer ran out. Losses slow the connection down.`,
  'anom.fastRetransmission': (p) =>
    p.again
      ? `Frame ${p.frame}: fast retransmission of the ${plural(p.bytes, 'byte', 'bytes')} at seq ${p.seq} by ${who(p.from)}, after duplicate ACKs.`
      : `Frame ${p.frame}: fast retransmission: ${who(p.from)} resends the ${plural(p.bytes, 'byte', 'bytes')} at seq ${p.seq} as soon as the duplicate ACKs showed that they were missing, without waiting for its timer.`,
  'anom.spuriousRetransmission': (p) =>
    p.again
      ? `Frame ${p.frame}: ${who(p.from)} again sends data at seq ${p.seq} (${plural(p.bytes, 'byte', 'bytes')}) that had already been acknowledged (spurious retransmission${p.suspected ? ', only suspected' : ''}).`
      : `Frame ${p.frame}: ${who(p.from)} sends the data at seq ${p.seq} (${plural(p.bytes, 'byte', 'bytes')}) again although ${who(other(p.from))} had already acknowledged it (spurious retransmission): nothing was lost, the timer was too short or the acknowledgment late.` +
    `${p.suspected ? ` Only suspected: the capture was not taken at ${who(p.from)}, which may not have had the acknowledgment yet.` : ''}`,
  'anom.outOfOrder': (p) =>
    p.again
      ? `Frame ${p.frame}: another segment from ${who(p.from)} out of order (seq ${p.seq}, ${plural(p.bytes, 'byte', 'bytes')}${p.suspected ? ', only suspected' : ''}).`
      : `Frame ${p.frame}: a segment from ${who(p.from)} (seq ${p.seq}, ${plural(p.bytes, 'byte', 'bytes')}) arrives out of order, behind data with higher sequence numbers: reordered on the way, or a quick retransmission.` +
    `${p.suspected ? ` Only suspected: the capture was not taken at the receiver, so it is more likely a retransmission sent soon after the original.` : ''}`,
  'anom.lostSegment': (p) =>
    p.again
      ? `Frame ${p.frame}: again a segment from ${who(p.from)} before seq ${p.seq} is not in the capture${p.suspected ? ' (probably missed by the capture)' : ''}.`
      : `Frame ${p.frame}: ${who(p.from)}’s segment starts at seq ${p.seq}, beyond the next expected sequence number: a segment before it is not in the capture.` +
    `${p.suspected ? ' Only suspected as a loss: where the capture was taken, the capture itself more likely missed it.' : ' It was probably lost in the network.'}`,
  'anom.ackedUnseen': (p) =>
    p.again
      ? `Frame ${p.frame}: ${who(p.from)} again acknowledges data up to ${p.ack} that the capture did not see.`
      : `Frame ${p.frame}: ${who(p.from)} acknowledges data up to ${p.ack} that the capture never saw: ${who(p.from)} did receive it, so the capture missed segments (a gap in the capture, not a network problem).`,
  'anom.zeroWindow': (p) =>
    p.again
      ? `Frame ${p.frame}: ${who(p.from)} advertises a zero window again.`
      : `Frame ${p.frame}: ${who(p.from)} advertises a zero window: its receive buffer is full because its application is not reading. ${Who(other(p.from))} must stop sending and probe until the window opens again.`,
  'anom.zeroWindowProbe': (p) =>
    p.again
      ? `Frame ${p.frame}: ${who(p.from)} probes the zero window again.`
      : `Frame ${p.frame}: ${who(p.from)} probes the zero window (one byte) to learn whether ${who(other(p.from))} has room again.`,
  'anom.windowFull': (p) =>
    p.again
      ? `Frame ${p.frame}: again a segment from ${who(p.from)} fills ${who(other(p.from))}’s receive window.`
      : `Frame ${p.frame}: this segment fills ${who(other(p.from))}’s receive window completely; ${who(p.from)} must now wait for acknowledgments before it may send more. The receiver (or its application) limits the speed here.`,
  'anom.keepAlive': (p) =>
    p.again
      ? `Frame ${p.frame}: another keep-alive from ${who(p.from)}.`
      : `Frame ${p.frame}: keep-alive from ${who(p.from)}: after a quiet period it sends a segment one below the next sequence number to make ${who(other(p.from))} confirm that the connection is still there.`,
  'anom.portReuse': (p) =>
    `Frame ${p.frame}: a SYN on the same ports (${p.clientPort} and ${p.serverPort}) with a new initial sequence number: an earlier connection on this port pair is over and a new one begins (port reuse).`,
  'anom.badChecksum': (p) =>
    p.again
      ? `Frame ${p.frame}: another segment from ${who(p.from)} with a wrong TCP checksum.`
      : `Frame ${p.frame}: the TCP checksum of this segment from ${who(p.from)} is wrong. If every segment sent by the capturing host has a wrong checksum, the network card computes it after the capture (checksum offload) and nothing is wrong; otherwise the segment was damaged and the receiver discards it.`,

  'sum.head': (p) =>
    `In short (connection ${p.id}, ${duration(p.duration)} from first to last frame): the client sent ${plural(p.segs.client, 'segment', 'segments')} with ${plural(p.bytes.client, 'byte', 'bytes')} of data, the server ${plural(p.segs.server, 'segment', 'segments')} with ${plural(p.bytes.server, 'byte', 'bytes')}.`,
  'sum.opened': (p) => `It was opened with a complete three-way handshake${p.rtt !== null ? ` (round-trip time ${duration(p.rtt)})` : ''}.`,
  'sum.refused': () => 'The server refused the connection with a reset: no data was exchanged.',
  'sum.unanswered': (p) =>
    `The client’s SYN (${p.attempts === 1 ? 'one attempt' : `${p.attempts} attempts`}) was never answered in the capture: the server is unreachable or down, or a firewall silently drops the SYN.`,
  'sum.midstream': () => 'It was already open when the capture began.',
  'sum.closeGraceful': (p) => `${Who(p.by)} closed first; both sides sent a FIN and the last one was acknowledged: a graceful close.`,
  'sum.halfClose': (p) =>
    `${Who(p.by)} closed its direction first, and ${who(p.by === 'client' ? 'server' : 'client')} went on sending ${plural(p.bytes, 'byte', 'bytes')} over the half-closed connection before closing too.`,
  'sum.closeReset': (p) => `${Who(p.by)} ended it with a reset (RST), not with the FIN exchange: an abort.`,
  'sum.closeIncomplete': (p) => `${Who(p.by)} began the close with a FIN, but the capture does not show both FINs acknowledged.`,
  'sum.open': () => 'It was still open when the capture ended.',
  'sum.anomalies': (p) => {
    const parts = p.counts.map((c) => `${kindCount(c.kind, c.count)}${c.suspected > 0 ? ` (${c.suspected === c.count ? (c.count === 1 ? 'only suspected' : 'all only suspected') : `${c.suspected} only suspected`})` : ''}`);
    return `Anomalies as tshark flags them: ${list(parts)}.`;
  },
  'sum.clean': () => 'No anomalies: no losses, retransmissions or window problems.',
  'sum.loss': (p) =>
    `${plural(p.retransmitted, 'data segment was', 'data segments were')} sent again, out of ${p.dataSegments} (${percent(p.retransmitted, p.dataSegments)}%). Every loss makes TCP slow down; if the path is not lossy on purpose, look for congestion, a full queue or a faulty link.`,
  'sum.zeroWindow': (p) =>
    `${Who(p.from)} closed its window ${p.count === 1 ? 'once' : `${p.count} times`}: its application did not read fast enough. The bottleneck is the receiving application, not the network.`,
  'sum.capped': (p) =>
    `Only the first few are explained one by one: ${kindCount(p.kind, p.count)} more in frames ${p.first}–${p.last}.`,
  'sum.zeek': (p) => `Zeek would log it with conn_state ${p.state} (${STATE[p.state]}) and history ${p.history === '' ? '(empty)' : p.history}.`,
};
