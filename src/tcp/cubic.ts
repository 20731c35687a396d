/**
 * CUBIC congestion control (RFC 9438). Slow start, the loss window after a timeout and the
 * NewReno recovery arithmetic are Reno's (RFC 9438 4.10 allows Reno's slow start; 4.8, 4.9, 4.6
 * "standard fast recovery"): slow start with the same limit L (`slowStartLimit`) and the same
 * hand-over at ssthresh, where an ACK's bytes beyond ssthresh go straight into the cubic epoch (as
 * Linux's bictcp_cong_avoid passes tcp_slow_start's leftover on). There is no HyStart++ exit
 * (RFC 9406) yet. What differs is the multiplicative decrease (beta = 0.7) and the window growth in
 * congestion avoidance, which follows the cubic function of the time since the last congestion
 * event:
 *
 *   W_cubic(t) = C * (t - K)^3 + W_max,   K = cbrt((W_max - cwnd_epoch) / C)        (eq. 1, 2)
 *
 * with C = 0.4, t in seconds and windows in segments; each ACK moves cwnd toward the target
 * W_cubic(t + RTT) (clamped to [cwnd, 1.5 cwnd], 4.2), and never below the Reno-friendly estimate
 * W_est (4.3). Fast convergence (4.7) lowers W_max when a flow loses before regaining its old one.
 *
 * Invariant: windows are kept in bytes as Reno does (fractional bytes allowed; the engine compares);
 * W_max, W_est and cwnd_epoch are in segments of the current SMSS, as in the RFC's formulas.
 */
import type { CongestionContext } from './congestion.js';
import { Reno } from './reno.js';

/** RFC 9438 5.1: C = 0.4 (segments / s^3). */
export const CUBIC_C = 0.4;
/** RFC 9438 4.6: beta_cubic = 0.7. */
export const CUBIC_BETA = 0.7;
/** RFC 9438 4.3: alpha_cubic = 3 (1 - beta) / (1 + beta), the Reno-friendly AIMD increase. */
const ALPHA_CUBIC = (3 * (1 - CUBIC_BETA)) / (1 + CUBIC_BETA);

export class Cubic extends Reno {
  override readonly name: string = 'cubic';
  /** W_max (segments): the window before the last reduction; 0 = none yet (or after a timeout). */
  wMax = 0;
  /** Start of the current congestion avoidance epoch (ms), or undefined when none is running. */
  epochStart: number | undefined = undefined;
  /** K (s) and cwnd_epoch (segments) of the running epoch. */
  k = 0;
  cwndEpoch = 0;
  /** Reno-friendly window estimate W_est (segments). */
  wEst = 0;
  /** cwnd_prior (segments): the window when ssthresh was last set (4.3, 4.6). */
  cwndPrior = 0;

  /** W_cubic(t), t in seconds, in segments. */
  wCubic(t: number): number {
    return CUBIC_C * (t - this.k) ** 3 + this.wMax;
  }

  protected override congestionAvoidance(acked: number, ctx: CongestionContext): void {
    const mss = ctx.mss;
    const cwnd = this.cwnd / mss;
    if (this.epochStart === undefined) {
      // A new congestion avoidance stage (4.2). After a timeout, or above the old maximum, W_max is
      // the window now and K = 0 (4.8; as Linux does when cwnd exceeds the last maximum).
      this.epochStart = ctx.now;
      this.cwndEpoch = cwnd;
      if (this.wMax <= cwnd) {
        this.wMax = cwnd;
        this.k = 0;
      } else {
        this.k = Math.cbrt((this.wMax - cwnd) / CUBIC_C); // eq. 2
      }
      this.wEst = cwnd;
    }
    const segs = acked / mss;
    const rtt = (ctx.srtt ?? 0) / 1000;
    const t = (ctx.now - this.epochStart) / 1000;
    // 4.2: the target one RTT ahead, clamped to [cwnd, 1.5 cwnd]; grow by (target - cwnd) / cwnd
    // per acknowledged segment.
    let target = this.wCubic(t + rtt);
    if (target < cwnd) target = cwnd;
    else if (target > 1.5 * cwnd) target = 1.5 * cwnd;
    let next = cwnd + ((target - cwnd) / cwnd) * segs;
    // 4.3: the Reno-friendly estimate grows by alpha per cwnd of acknowledged segments (alpha = 1
    // once it reaches cwnd_prior); in the Reno-friendly region cwnd follows it.
    this.wEst += ((this.wEst >= this.cwndPrior ? 1 : ALPHA_CUBIC) * segs) / cwnd;
    if (this.wCubic(t) < this.wEst && this.wEst > next) next = this.wEst;
    this.cwnd = next * mss;
  }

  protected override reducedWindow(ctx: CongestionContext): number {
    // 4.6: ssthresh = flight_size * beta_cubic (at least 2 segments).
    return Math.max(Math.floor(ctx.flightSize * CUBIC_BETA), 2 * ctx.mss);
  }

  override onEnterRecovery(ctx: CongestionContext): void {
    const cwnd = this.cwnd / ctx.mss;
    this.cwndPrior = cwnd;
    // 4.7 fast convergence: a flow that loses below its previous maximum releases bandwidth.
    this.wMax = cwnd < this.wMax ? (cwnd * (1 + CUBIC_BETA)) / 2 : cwnd;
    this.epochStart = undefined;
    super.onEnterRecovery(ctx);
  }

  override onTimeout(ctx: CongestionContext): void {
    // 4.8: Reno's loss window with CUBIC's ssthresh; the next congestion avoidance stage starts
    // with K = 0 and W_max = its starting window.
    if (ctx.timeouts <= 1) {
      this.wMax = 0;
      this.cwndPrior = this.cwnd / ctx.mss;
    }
    this.epochStart = undefined;
    super.onTimeout(ctx);
  }

  override onIdleRestart(ctx: CongestionContext): void {
    // After idleness the cubic clock would jump ahead by the idle time: start a new epoch.
    this.epochStart = undefined;
    super.onIdleRestart(ctx);
  }
}
