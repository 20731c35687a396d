/**
 * Congestion control as a plug-in behind one interface (RFC 9293 3.8.2, MUST-19, MAY-18).
 *
 * The engine detects congestion (retransmission timeout, duplicate ACKs, SACK-based loss, RFC 6675)
 * and runs loss recovery itself (which octets to resend, NewReno partial ACKs, pipe); it tells the
 * controller what happened and the controller owns `cwnd` and `ssthresh` and nothing else. The
 * engine never lets more than `cwnd` bytes be in flight (FlightSize, or pipe during SACK recovery).
 *
 * Controllers, one file each: `Reno` (reno.ts: RFC 5681 with RFC 3465 byte counting and RFC 6582
 * NewReno fast recovery), `Cubic` (cubic.ts: RFC 9438), and `NoCongestionControl` here (cwnd =
 * Infinity, for tests and closed networks).
 *
 * Invariant: cwnd >= 1 SMSS at all times for a real controller; all values are in bytes; the
 * engine passes one context object per connection, refreshed before each call (never retained).
 */

/** What the engine knows at the moment of a congestion event or ACK. */
export interface CongestionContext {
  /** Effective send MSS (SMSS of RFC 5681). */
  readonly mss: number;
  /** Bytes in flight before the event (FlightSize of RFC 5681; pipe with SACK, RFC 6675). */
  readonly flightSize: number;
  /** Virtual time, ms. */
  readonly now: number;
  /** Smoothed RTT, ms (undefined before the first sample). */
  readonly srtt: number | undefined;
  /** Smallest RTT sample seen, ms (undefined before the first sample). */
  readonly minRtt: number | undefined;
  /** Loss recovery counts pipe (RFC 6675): no window inflation or deflation during recovery. */
  readonly sack: boolean;
  /**
   * The window was the limit on sending before this ACK (RFC 7661 2: a cwnd-limited sender); a
   * controller should not grow a window the sender is not using.
   */
  readonly cwndLimited: boolean;
  /** Consecutive retransmission timeouts of the same data, counting this one (onTimeout only). */
  readonly timeouts: number;
}

export interface CongestionControl {
  readonly name: string;
  /** Congestion window in bytes (Infinity for no limit). */
  readonly cwnd: number;
  /** Slow-start threshold in bytes. */
  readonly ssthresh: number;
  /** New data was cumulatively acknowledged outside fast recovery. */
  onAck(acked: number, ctx: CongestionContext): void;
  /** Loss detected by duplicate ACKs or SACK: enter fast recovery (RFC 5681 3.2, RFC 6675 5 step 4). */
  onEnterRecovery(ctx: CongestionContext): void;
  /** Each further duplicate ACK during NewReno fast recovery (RFC 5681 3.2 step 4; not with SACK). */
  onDupAckInRecovery(ctx: CongestionContext): void;
  /** A partial ACK during NewReno fast recovery (RFC 6582 3.2 step 3; not with SACK). */
  onPartialAck(acked: number, ctx: CongestionContext): void;
  /** A full ACK ends fast recovery; `ctx.flightSize` is measured after the ACK (RFC 6582 3.2 step 3). */
  onExitRecovery(ctx: CongestionContext): void;
  /** The retransmission timer expired (RFC 5681 3.1: equation 4 and the loss window). */
  onTimeout(ctx: CongestionContext): void;
  /** Sending restarts after an idle period longer than the RTO (RFC 5681 4.1). */
  onIdleRestart?(ctx: CongestionContext): void;
  /**
   * Congestion signalled without a loss (an ECN-Echo, RFC 3168 6.1.2): the reduction a loss would
   * bring, with no recovery to follow. Without it the engine uses onEnterRecovery with `sack` set
   * (cwnd = ssthresh, no inflation).
   */
  onCongestionSignal?(ctx: CongestionContext): void;
}

/** Builds a controller for a connection once its effective send MSS is known. */
export type CongestionControlFactory = (mss: number) => CongestionControl;

/** No congestion control: the window is unlimited. Only for tests and closed networks. */
export class NoCongestionControl implements CongestionControl {
  readonly name = 'none';
  readonly cwnd = Infinity;
  readonly ssthresh = Infinity;
  onAck(): void {}
  onEnterRecovery(): void {}
  onDupAckInRecovery(): void {}
  onPartialAck(): void {}
  onExitRecovery(): void {}
  onTimeout(): void {}
  onCongestionSignal(): void {}
}

/**
 * The default slow-start limit L (RFC 3465 2.2-2.3), in SMSS per ACK: none, as Linux's
 * tcp_slow_start (cwnd = min(cwnd + acked, ssthresh)) and RFC 9406 4.3 for paced senders. A
 * receiver that acknowledges a GRO batch of 16 segments at once (ours, Linux's) then still doubles
 * the window each round trip; with L = 2 it would grow it by 1/8. The cost is bursts: an ACK for N
 * segments releases up to 2 N back to back. RFC 3465 2.3 (Experimental)
 * says L MUST NOT exceed 2; RFC 9406 (Proposed Standard) supersedes that for paced senders.
 */
export const DEFAULT_SLOW_START_LIMIT = Infinity;

/** Options every built-in controller takes besides the SMSS. */
export interface ControllerOptions {
  /**
   * L of RFC 3465 2.2, in SMSS: slow start grows cwnd by min(acked, L * SMSS) per ACK; Infinity
   * counts every acknowledged byte. Default DEFAULT_SLOW_START_LIMIT. After a retransmission
   * timeout L is 1 whatever this says (RFC 3465 2.3, 3.2).
   */
  readonly slowStartLimit?: number;
}

/** Whether `v` is a usable slow-start limit: a number >= 1 (SMSS per ACK), Infinity included. */
export function isSlowStartLimit(v: unknown): v is number {
  return typeof v === 'number' && v >= 1; // (NaN fails the comparison)
}

/** RFC 5681 3.1: the initial window for a given SMSS. */
export function initialWindow(mss: number): number {
  if (mss > 2190) return 2 * mss;
  if (mss > 1095) return 3 * mss;
  return 4 * mss;
}

/** RFC 5681 3.1 equation 4: ssthresh = max(FlightSize / 2, 2 * SMSS). */
export function halvedWindow(flightSize: number, mss: number): number {
  return Math.max(Math.floor(flightSize / 2), 2 * mss);
}
