/**
 * Reno congestion control: RFC 5681 slow start and congestion avoidance, with appropriate byte
 * counting (RFC 3465) and the NewReno fast-recovery window arithmetic (RFC 6582); with SACK the
 * engine counts pipe instead (RFC 6675) and the window is simply ssthresh during recovery.
 *
 * Slow start counts the acknowledged bytes up to L SMSS per ACK (`slowStartLimit`, default none,
 * as Linux), 1 SMSS after a retransmission timeout, and never carries cwnd past ssthresh: what an
 * ACK acknowledges beyond the point where cwnd reaches ssthresh counts toward congestion avoidance.
 *
 * Invariant: mss <= cwnd; ssthresh >= 2 * mss once set; one ACK never moves cwnd from below
 * ssthresh to above it by slow start; the window grows only while the sender is cwnd-limited
 * (RFC 7661 2), so an application- or receiver-limited flow never builds a window it has not used.
 */
import { SynackError } from '../errors.js';
import { DEFAULT_SLOW_START_LIMIT, halvedWindow, initialWindow, isSlowStartLimit, type CongestionContext, type CongestionControl, type ControllerOptions } from './congestion.js';

export class Reno implements CongestionControl {
  readonly name: string = 'reno';
  cwnd: number;
  ssthresh = Infinity;
  /** L of RFC 3465 2.2 in SMSS (Infinity: every acknowledged byte counts). */
  readonly slowStartLimit: number;
  /** Bytes acknowledged since cwnd last grew in congestion avoidance (RFC 3465 2.1). */
  protected caAcked = 0;
  /** Slow start after a timeout: L = 1 SMSS until the next loss-free slow start (RFC 3465 2.3). */
  protected afterTimeout = false;

  constructor(mss: number, options: ControllerOptions = {}) {
    this.cwnd = initialWindow(mss);
    const limit = options.slowStartLimit ?? DEFAULT_SLOW_START_LIMIT;
    if (!isSlowStartLimit(limit)) throw new SynackError('ERR_SYNACK_BAD_ARGUMENT', `slowStartLimit must be a number >= 1 (SMSS per ACK) or Infinity, got ${String(limit)}`);
    this.slowStartLimit = limit;
  }

  onAck(acked: number, ctx: CongestionContext): void {
    if (!ctx.cwndLimited) return;
    if (this.cwnd < this.ssthresh) {
      // Slow start with appropriate byte counting (RFC 3465 2.2): cwnd += min(N, L * SMSS). L = 1
      // in the slow start that follows a retransmission timeout, where one ACK may cover segments
      // that left the network long ago (2.3, and 3.2: MUST NOT exceed 1 in slow-start-based
      // recovery). Otherwise `slowStartLimit`: by default none, as Linux's tcp_slow_start, so a
      // stretch ACK for a GRO batch doubles the window per RTT as per-segment ACKs would; RFC 3465
      // 2.3 itself caps it at 2, RFC 9406 4.3 lifts the cap for paced senders.
      const grow = Math.min(acked, (this.afterTimeout ? 1 : this.slowStartLimit) * ctx.mss);
      const room = this.ssthresh - this.cwnd;
      if (grow < room) {
        this.cwnd += grow;
        return;
      }
      // cwnd reaches ssthresh within this ACK: stop there (RFC 5681 3.1: slow start ends at
      // ssthresh) and count the rest of the acknowledged bytes into congestion avoidance, as Linux
      // returns tcp_slow_start's leftover to tcp_cong_avoid_ai.
      this.cwnd = this.ssthresh;
      acked -= room;
      if (acked <= 0) return;
    }
    this.afterTimeout = false;
    this.congestionAvoidance(acked, ctx);
  }

  /** RFC 5681 3.1 / RFC 3465 2.1: one SMSS per cwnd of acknowledged bytes. */
  protected congestionAvoidance(acked: number, ctx: CongestionContext): void {
    this.caAcked += acked;
    if (this.caAcked >= this.cwnd) {
      this.caAcked -= this.cwnd;
      this.cwnd += ctx.mss;
    }
  }

  /** The new ssthresh on a congestion event (equation 4). */
  protected reducedWindow(ctx: CongestionContext): number {
    return halvedWindow(ctx.flightSize, ctx.mss);
  }

  onEnterRecovery(ctx: CongestionContext): void {
    this.ssthresh = this.reducedWindow(ctx);
    // RFC 5681 3.2 step 3: inflate by the three segments that left the network; with SACK the
    // engine counts them out of pipe instead (RFC 6675 5 step 4.2: cwnd = ssthresh).
    this.cwnd = ctx.sack ? this.ssthresh : this.ssthresh + 3 * ctx.mss;
    this.caAcked = 0;
    this.afterTimeout = false;
  }

  /** ECN-Echo (RFC 3168 6.1.2): halve as for a loss (CUBIC: its beta and W_max), without inflation. */
  onCongestionSignal(ctx: CongestionContext): void {
    this.onEnterRecovery(ctx.sack ? ctx : { ...ctx, sack: true });
  }

  onDupAckInRecovery(ctx: CongestionContext): void {
    if (!ctx.sack) this.cwnd += ctx.mss; // RFC 5681 3.2 step 4
  }

  onPartialAck(acked: number, ctx: CongestionContext): void {
    if (ctx.sack) return;
    // RFC 6582 3.2 step 3: deflate by the newly acknowledged data, add back one SMSS if at least
    // one SMSS was acknowledged.
    this.cwnd = Math.max(ctx.mss, this.cwnd - acked + (acked >= ctx.mss ? ctx.mss : 0));
  }

  onExitRecovery(ctx: CongestionContext): void {
    // RFC 6582 3.2 step 3, option (1): min(ssthresh, max(FlightSize, SMSS) + SMSS); with SACK the
    // window is already ssthresh.
    this.cwnd = ctx.sack ? Math.max(ctx.mss, this.ssthresh) : Math.max(ctx.mss, Math.min(this.ssthresh, Math.max(ctx.flightSize, ctx.mss) + ctx.mss));
    this.caAcked = 0;
  }

  onTimeout(ctx: CongestionContext): void {
    // RFC 5681 3.1: ssthresh by equation 4 only on the first timeout of the data; held on
    // backed-off timeouts ("ssthresh is held constant").
    if (ctx.timeouts <= 1) this.ssthresh = this.reducedWindow(ctx);
    this.cwnd = ctx.mss; // loss window LW
    this.caAcked = 0;
    this.afterTimeout = true;
  }

  onIdleRestart(ctx: CongestionContext): void {
    // RFC 5681 4.1: restart window RW = min(IW, cwnd).
    this.cwnd = Math.max(ctx.mss, Math.min(this.cwnd, initialWindow(ctx.mss)));
    this.caAcked = 0;
  }
}
