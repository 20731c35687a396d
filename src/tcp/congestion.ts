/**
 * Congestion control as a plug-in behind one interface (RFC 9293 3.8.2, MUST-19, MAY-18).
 *
 * The engine detects loss (retransmission timeout, three duplicate ACKs, NewReno partial ACKs) and
 * tells the controller; the controller owns `cwnd` and `ssthresh` and nothing else. The engine never
 * sends more than `cwnd` bytes beyond SND.UNA. Two controllers ship now: `Reno` (RFC 5681 slow start
 * and congestion avoidance with RFC 6582 NewReno fast recovery) and `NoCongestionControl`
 * (cwnd = Infinity, for tests and closed networks). CUBIC (RFC 9438) slots in behind the same
 * interface.
 *
 * Invariant: cwnd >= 1 SMSS at all times for a real controller; all values are in bytes.
 */

/** What the engine knows at the moment of a congestion event. */
export interface CongestionContext {
  /** Effective send MSS (SMSS of RFC 5681). */
  readonly mss: number;
  /** Bytes sent but not yet acknowledged (FlightSize of RFC 5681), measured before the event. */
  readonly flightSize: number;
  readonly now: number;
}

export interface CongestionControl {
  readonly name: string;
  /** Congestion window in bytes (Infinity for no limit). */
  readonly cwnd: number;
  /** Slow-start threshold in bytes. */
  readonly ssthresh: number;
  /** New data was cumulatively acknowledged outside fast recovery. */
  onAck(acked: number, ctx: CongestionContext): void;
  /** The third duplicate ACK: fast retransmit and enter fast recovery (RFC 5681 3.2 steps 2-3). */
  onEnterRecovery(ctx: CongestionContext): void;
  /** Each further duplicate ACK during fast recovery (RFC 5681 3.2 step 4). */
  onDupAckInRecovery(ctx: CongestionContext): void;
  /** A partial ACK during NewReno fast recovery (RFC 6582 3.2 step 3). */
  onPartialAck(acked: number, ctx: CongestionContext): void;
  /** A full ACK ends fast recovery; `ctx.flightSize` is measured after the ACK (RFC 6582 3.2 step 3). */
  onExitRecovery(ctx: CongestionContext): void;
  /** The retransmission timer expired (RFC 5681 3.1, equation 4, and the loss window). */
  onTimeout(ctx: CongestionContext): void;
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
}

/** RFC 5681 3.1: the initial window for a given SMSS. */
export function initialWindow(mss: number): number {
  if (mss > 2190) return 2 * mss;
  if (mss > 1095) return 3 * mss;
  return 4 * mss;
}

/** RFC 5681 slow start + congestion avoidance, RFC 6582 NewReno fast recovery. */
export class Reno implements CongestionControl {
  readonly name = 'reno';
  cwnd: number;
  ssthresh = Infinity;
  /** Bytes acknowledged since cwnd last grew in congestion avoidance (RFC 3465 byte counting). */
  private caAcked = 0;

  constructor(mss: number) {
    this.cwnd = initialWindow(mss);
  }

  onAck(acked: number, ctx: CongestionContext): void {
    if (this.cwnd < this.ssthresh) {
      // Slow start (RFC 5681 equation 2): at most one SMSS per ACK.
      this.cwnd += Math.min(acked, ctx.mss);
      return;
    }
    // Congestion avoidance: one SMSS per cwnd of acknowledged data (RFC 5681 3.1, RFC 3465).
    this.caAcked += acked;
    if (this.caAcked >= this.cwnd) {
      this.caAcked -= this.cwnd;
      this.cwnd += ctx.mss;
    }
  }

  onEnterRecovery(ctx: CongestionContext): void {
    this.ssthresh = Math.max(Math.floor(ctx.flightSize / 2), 2 * ctx.mss); // equation 4
    this.cwnd = this.ssthresh + 3 * ctx.mss;
    this.caAcked = 0;
  }

  onDupAckInRecovery(ctx: CongestionContext): void {
    this.cwnd += ctx.mss;
  }

  onPartialAck(acked: number, ctx: CongestionContext): void {
    // Deflate by the newly acknowledged data, add back one SMSS if at least one SMSS was acknowledged.
    this.cwnd = Math.max(ctx.mss, this.cwnd - acked + (acked >= ctx.mss ? ctx.mss : 0));
  }

  onExitRecovery(ctx: CongestionContext): void {
    // RFC 6582 3.2 step 3, option (1).
    this.cwnd = Math.max(ctx.mss, Math.min(this.ssthresh, Math.max(ctx.flightSize, ctx.mss) + ctx.mss));
    this.caAcked = 0;
  }

  onTimeout(ctx: CongestionContext): void {
    this.ssthresh = Math.max(Math.floor(ctx.flightSize / 2), 2 * ctx.mss);
    this.cwnd = ctx.mss; // loss window
    this.caAcked = 0;
  }
}
