/**
 * Segment processing in the LISTEN state (RFC 9293 3.10.7.2) as a pure function, for stacks that
 * keep one listener per port and create a connection only when a SYN arrives.
 *
 * The stack calls `listenSegment(seg)` for a segment that matches a listener and no connection:
 *  - 'ignore': a RST ("could not be valid"), drop it;
 *  - 'reset': send `reply` (any ACK-bearing segment gets <SEQ=SEG.ACK><CTL=RST>);
 *  - 'accept': a SYN: choose an ISS and call `TcpConnection.accept({ syn: seg, iss, ... })`;
 *  - 'drop': anything else.
 * Invariant: pure; no state, no allocation beyond the reply.
 */
import { TcpFlag, type TcpRepr } from '../wire/tcp.js';
import { resetFor, resetWithSeq } from './reset.js';

/** Information about an arriving segment that is not part of the TcpRepr. */
export interface SegmentMeta {
  /**
   * The codec found an option with an illegal length (RFC 9293 MUST-7); `options` holds what was
   * parsed before the error.
   */
  readonly optionError?: boolean;
  /** The IP header carried Congestion Experienced (ECN field 11, RFC 3168 5). */
  readonly ce?: boolean;
}

export type ListenAction =
  | { readonly action: 'ignore'; readonly reason: 'listen-rst' }
  | { readonly action: 'reset'; readonly reply: TcpRepr; readonly reason: 'listen-ack' | 'option-error' }
  | { readonly action: 'accept' }
  | { readonly action: 'drop'; readonly reason: 'listen-no-syn' | 'listen-syn-fin' };

export function listenSegment(seg: TcpRepr, meta?: SegmentMeta): ListenAction {
  const f = seg.flags;
  // First, check for a RST: ignore it.
  if (f & TcpFlag.RST) return { action: 'ignore', reason: 'listen-rst' };
  // Second, check for an ACK: any acknowledgment is bad in LISTEN; <SEQ=SEG.ACK><CTL=RST>.
  if (f & TcpFlag.ACK) return { action: 'reset', reply: resetWithSeq(seg, seg.ack), reason: 'listen-ack' };
  // Third, check for a SYN.
  if (f & TcpFlag.SYN) {
    // SYN+FIN is a scan signature with no legitimate use; Linux and FreeBSD drop it in LISTEN.
    if (f & TcpFlag.FIN) return { action: 'drop', reason: 'listen-syn-fin' };
    // MUST-7: a SYN with an illegal option length is refused (no connection to reset yet).
    if (meta?.optionError) {
      const reply = resetFor(seg);
      if (reply) return { action: 'reset', reply, reason: 'option-error' };
    }
    return { action: 'accept' };
  }
  // Fourth, other text or control: drop.
  return { action: 'drop', reason: 'listen-no-syn' };
}
