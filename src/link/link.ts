/**
 * The one interface every link implements: something that moves whole IP packets (Uint8Array, no
 * link-layer header) between a stack and something else (an in-memory peer, a pcap tap, a TUN
 * device). Kept deliberately small so a new link is a few lines.
 *
 * Also the clock/scheduler contract the links and drivers share: `now()` in milliseconds and
 * `schedule(at, fn)`. A virtual-time scheduler (scheduler.ts) makes a whole network deterministic;
 * a real-time one runs it against the host's timers.
 *
 * Invariants: a link never hands a packet to the receive callback synchronously from inside
 * `send` (delivery is always scheduled), so a stack never re-enters itself through a link; after
 * `close()` nothing is delivered and `send` is a no-op.
 */

export type ReceiveCallback = (packet: Uint8Array) => void;
/** Packets that arrived together (read in one go), in order. */
export type BatchReceiveCallback = (packets: readonly Uint8Array[]) => void;

export interface Link {
  /** The largest IP packet this link carries, in bytes. */
  readonly mtu: number;
  /** Hand one IP packet to the link. The link may keep a reference: do not reuse the buffer. */
  send(packet: Uint8Array): void;
  /**
   * Optional: hand several packets over at once, in order (a stack's poll output); the same as
   * calling send for each, but lets a link write them together (a TUN device with offload merges
   * a connection's back-to-back segments).
   */
  sendMany?(packets: readonly Uint8Array[]): void;
  /** Set the function that receives packets arriving from the other side (one callback; replaces). */
  onReceive(cb: ReceiveCallback): void;
  /**
   * Optional: receive packets in the batches the link reads them in (a TUN device hands over
   * everything one read returned). A consumer sets either this or onReceive, not both: a link
   * with both set may deliver each packet to both.
   */
  onPackets?(cb: BatchReceiveCallback): void;
  /** Stop: drop what is in flight, deliver nothing more. */
  close(): void;
}

/** A cancellable scheduled call. */
export interface Timer {
  cancel(): void;
}

/** Time in milliseconds (virtual or real) and deferred calls at absolute times. */
export interface Scheduler {
  now(): number;
  /** Run `fn` at time `at` (or as soon as possible when `at` <= now). Calls at equal times run in order. */
  schedule(at: number, fn: () => void): Timer;
}
