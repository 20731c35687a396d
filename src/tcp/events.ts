/**
 * What the engine reports to its user (RFC 9293 3.9.1.8 asynchronous reports), and why it dropped
 * segments (for tracing; counted, never thrown).
 *
 * Invariant: a connection emits exactly one terminal event ('closed', 'reset' or 'timed-out'), and
 * level-style events ('readable', 'writable', 'urgent') are queued at most once until consumed, so
 * the event queue stays a handful of entries long.
 */

/** Why a connection was reset. */
export type ResetReason =
  /** RST answering our SYN (SYN-SENT, or SYN-RECEIVED after an active open): "connection refused". */
  | 'refused'
  /** RST in a synchronized state: "connection reset". */
  | 'reset'
  /** We reset it: a segment with an illegal option length arrived (MUST-7). */
  | 'illegal-option'
  /** We reset it: data arrived after the application closed for reading (SHLD-3). */
  | 'data-after-close'
  /** An ICMP error that RFC 1122 calls hard: protocol or port unreachable (SHLD-26). */
  | 'icmp-unreachable';

/** Why a connection timed out. */
export type TimeoutReason =
  /** SYN or SYN-ACK retransmitted maxSynRetries times without answer (MUST-20, MUST-23). */
  | 'syn'
  /** A data or FIN segment retransmitted maxRetransmits times (R2, MUST-20). */
  | 'retransmit'
  /** Zero-window probes went unanswered maxRetransmits times (a zero window itself is fine, MUST-37). */
  | 'zero-window-probe'
  /** No acknowledgment at all for `userTimeout` ms while data was outstanding (RFC 9293 USER TIMEOUT). */
  | 'user-timeout'
  /** keepAliveCount probes went unanswered. */
  | 'keepalive'
  /** An orphaned connection sat in FIN-WAIT-2 for finWait2Timeout ms. */
  | 'fin-wait-2';

export type TcpEvent =
  /** ESTABLISHED reached. */
  | { readonly type: 'connected' }
  /** New in-order data can be read. */
  | { readonly type: 'readable' }
  /** Send buffer space is available again after a send() took less than offered. */
  | { readonly type: 'writable' }
  /** The peer's FIN arrived in order: no more data will come ("connection closing"). */
  | { readonly type: 'peer-closed' }
  /** Our FIN is acknowledged: everything we sent was received (the CLOSE is "ok"). */
  | { readonly type: 'fin-acked' }
  /** Urgent data is pending in the stream; `pending` bytes up to the urgent pointer (MUST-32, MUST-33). */
  | { readonly type: 'urgent'; readonly pending: number }
  /** R1 reached: `count` retransmissions of the same segment (MUST-20 (b) advice, SHLD-9). */
  | { readonly type: 'retransmitting'; readonly count: number }
  /** A passive open in SYN-RECEIVED was reset or saw a new SYN: back in LISTEN (3.10.7.4). */
  | { readonly type: 'returned-to-listen' }
  /** A soft ICMP error (3.9.2.2, SHLD-25): reported, the connection goes on (MUST-56). */
  | { readonly type: 'icmp-error'; readonly notice: IcmpNotice }
  /** Terminal: the connection reached CLOSED normally (or by the application's own abort/close). */
  | { readonly type: 'closed' }
  /** Terminal: reset (MUST-12: the application learns it was aborted, not closed). */
  | { readonly type: 'reset'; readonly reason: ResetReason }
  /** Terminal: gave up. */
  | { readonly type: 'timed-out'; readonly reason: TimeoutReason };

export type TcpEventType = TcpEvent['type'];

/**
 * An ICMP error about one of this connection's segments, as the stack decoded it (RFC 9293
 * 3.9.2.2). `seq` is the sequence number in the quoted TCP header; the engine ignores notices whose
 * `seq` is not one it has outstanding (RFC 5927 4.1), so off-path ICMP cannot tear connections down.
 */
export type IcmpNotice =
  /** Destination unreachable; `code` as in ICMPv4 type 3 (0 net, 1 host, 2 protocol, 3 port, 5 source route). */
  | { readonly kind: 'unreachable'; readonly code: number; readonly seq: number }
  /** Fragmentation needed / packet too big, with the next-hop MTU (RFC 1191, RFC 8201). */
  | { readonly kind: 'packet-too-big'; readonly mtu: number; readonly seq: number }
  | { readonly kind: 'time-exceeded'; readonly seq: number }
  | { readonly kind: 'parameter-problem'; readonly seq: number }
  /** Source quench: silently discarded (MUST-55, RFC 6633). */
  | { readonly kind: 'source-quench'; readonly seq: number };

/** Why an arriving segment was dropped. */
export const DROP_REASONS = [
  'port-mismatch',
  'closed',
  'listen-rst',
  'listen-no-syn',
  'listen-syn-fin',
  'syn-sent-bad-ack',
  'syn-sent-rst-no-ack',
  'syn-sent-no-syn',
  'out-of-window',
  'rst-out-of-window',
  'rst-not-exact',
  'syn-in-window',
  'no-ack',
  'ack-unacceptable',
  'ack-unsent',
  'paws',
  'missing-timestamp',
  'ooo-full',
  'data-after-fin',
  'syn-data',
  'option-error',
  'closing-not-fin-ack',
  'icmp-ignored',
] as const;

export type DropReason = (typeof DROP_REASONS)[number];

/** Counters for tracing and tests. */
export interface TcpCounters {
  segmentsIn: number;
  segmentsOut: number;
  bytesIn: number;
  bytesOut: number;
  retransmissions: number;
  fastRetransmits: number;
  timeouts: number;
  challengeAcks: number;
  challengeAcksSuppressed: number;
  dupAcksIn: number;
  /** ACKs carrying a D-SACK block (RFC 2883): duplicates the peer reported. */
  dsacksIn: number;
  /** Tail loss probes sent (RFC 8985 7). */
  tailLossProbes: number;
  /** Retransmissions RACK found lost and sent again (RFC 8985 6). */
  lostRetransmissions: number;
  /** Segments that arrived marked Congestion Experienced (RFC 3168), on an ECN connection. */
  ceIn: number;
  /** Window reductions in answer to an ECN-Echo (RFC 3168 6.1.2). */
  ecnReductions: number;
  drops: Record<DropReason, number>;
}

export function newCounters(): TcpCounters {
  // Spelled out (not built in a loop) so V8 gives it a fast, shared shape: a dictionary-mode object
  // here would cost 1.5 KB per connection.
  const drops: Record<DropReason, number> = {
    'port-mismatch': 0,
    closed: 0,
    'listen-rst': 0,
    'listen-no-syn': 0,
    'listen-syn-fin': 0,
    'syn-sent-bad-ack': 0,
    'syn-sent-rst-no-ack': 0,
    'syn-sent-no-syn': 0,
    'out-of-window': 0,
    'rst-out-of-window': 0,
    'rst-not-exact': 0,
    'syn-in-window': 0,
    'no-ack': 0,
    'ack-unacceptable': 0,
    'ack-unsent': 0,
    paws: 0,
    'missing-timestamp': 0,
    'ooo-full': 0,
    'data-after-fin': 0,
    'syn-data': 0,
    'option-error': 0,
    'closing-not-fin-ack': 0,
    'icmp-ignored': 0,
  };
  return {
    segmentsIn: 0,
    segmentsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    retransmissions: 0,
    fastRetransmits: 0,
    timeouts: 0,
    challengeAcks: 0,
    challengeAcksSuppressed: 0,
    dupAcksIn: 0,
    dsacksIn: 0,
    tailLossProbes: 0,
    lostRetransmissions: 0,
    ceIn: 0,
    ecnReductions: 0,
    drops,
  };
}
