/**
 * Reset generation for segments that belong to no connection (RFC 9293 3.10.7.1, 3.5.2 group 1),
 * and small segment helpers shared by the engine and the stack.
 *
 * Invariant: never answers a RST with a RST.
 */
import { seqAdd } from '../wire/seq.js';
import { TcpFlag, type TcpRepr } from '../wire/tcp.js';

/** SEG.LEN: payload bytes plus one for SYN and one for FIN (RFC 9293 3.3.1). */
export function segmentLength(seg: TcpRepr): number {
  return seg.payload.length + (seg.flags & TcpFlag.SYN ? 1 : 0) + (seg.flags & TcpFlag.FIN ? 1 : 0);
}

const EMPTY = new Uint8Array(0);

/** A bare control segment from `seg`'s destination back to its source. */
function reply(seg: TcpRepr, seq: number, ack: number, flags: number): TcpRepr {
  return {
    srcPort: seg.dstPort,
    dstPort: seg.srcPort,
    seq: seq >>> 0,
    ack: ack >>> 0,
    flags,
    window: 0,
    urgentPointer: 0,
    options: [],
    payload: EMPTY,
  };
}

/**
 * The reset to send in answer to `seg` when no connection exists (CLOSED), or undefined when `seg`
 * is itself a RST. ACK on: <SEQ=SEG.ACK><CTL=RST>; ACK off: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
 */
export function resetFor(seg: TcpRepr): TcpRepr | undefined {
  if (seg.flags & TcpFlag.RST) return undefined;
  if (seg.flags & TcpFlag.ACK) return reply(seg, seg.ack, 0, TcpFlag.RST);
  return reply(seg, 0, seqAdd(seg.seq, segmentLength(seg)), TcpFlag.RST | TcpFlag.ACK);
}

/** <SEQ=seq><CTL=RST> in answer to `seg` (used for unacceptable ACKs in non-synchronized states). */
export function resetWithSeq(seg: TcpRepr, seq: number): TcpRepr {
  return reply(seg, seq, 0, TcpFlag.RST);
}
