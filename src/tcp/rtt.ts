/**
 * Retransmission timeout computation, RFC 6298 (required by RFC 9293 3.8.1, MUST-18).
 *
 * Time is in milliseconds; clock granularity G is 1 ms. Before the first sample RTO is the initial
 * value (1 s, RFC 6298 2.1); every computed RTO is clamped to [minRto, maxRto] (2.4, 2.5); a timeout
 * doubles it (5.5) and the backed-off value holds until the next valid sample. Karn's algorithm
 * (never sample a retransmitted segment) is the caller's job: it only calls `sample` with RTTs of
 * segments that were not retransmitted, or with timestamp echoes (RFC 7323 4).
 *
 * Invariant: minRto <= rto <= maxRto.
 */

export class RttEstimator {
  /** Smoothed RTT, undefined before the first sample. */
  srtt: number | undefined = undefined;
  rttvar = 0;
  private current: number;

  constructor(
    private readonly initialRto: number,
    private readonly minRto: number,
    private readonly maxRto: number,
  ) {
    this.current = this.clamp(initialRto);
  }

  get rto(): number {
    return this.current;
  }

  private clamp(v: number): number {
    return Math.min(this.maxRto, Math.max(this.minRto, v));
  }

  /** Feed one RTT measurement R (ms). Negative or non-finite values are ignored. */
  sample(r: number): void {
    if (!Number.isFinite(r) || r < 0) return;
    if (this.srtt === undefined) {
      // (2.2) first measurement
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      // (2.3) alpha = 1/8, beta = 1/4; RTTVAR first, with the old SRTT
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    this.current = this.clamp(this.srtt + Math.max(1, 4 * this.rttvar));
  }

  /** (5.5) back off the timer after an expiry. */
  backoff(): void {
    this.current = this.clamp(this.current * 2);
  }

  /**
   * Forget all samples and restart at `rto` (default: the initial RTO). RFC 6298 5.7: if the SYN timed
   * out, the RTO is re-initialized to 3 s when data transmission begins.
   */
  restart(rto: number = this.initialRto): void {
    this.srtt = undefined;
    this.rttvar = 0;
    this.current = this.clamp(rto);
  }
}
