/**
 * Packet capture for links: `CaptureRecorder` turns (time, IP packet) pairs into pcap or pcapng
 * bytes (LINKTYPE_RAW, 101: the record is the IP packet itself, IPv4 or IPv6, which tshark and
 * tcpdump read without any synthesized link header), and `PcapTap` wraps any Link and records every
 * packet crossing it, both directions.
 *
 * Browser-safe: output goes to a caller-supplied sink of Uint8Array chunks (a file writer in Node,
 * a Blob builder in a browser).
 *
 * Invariant: the first chunk given to the sink is the file header; every later chunk is exactly one
 * record; timestamps never go backwards (a clock that does is clamped to the last timestamp).
 */
import { LinkType } from '../capture/linktype.js';
import { PcapWriter } from '../capture/pcap.js';
import { PcapngWriter } from '../capture/pcapng.js';
import type { WritablePacket } from '../capture/pcap.js';
import type { BatchReceiveCallback, Link, ReceiveCallback } from './link.js';

export interface CaptureRecorderOptions {
  /** Receives the file's bytes chunk by chunk. */
  readonly sink: (chunk: Uint8Array) => void;
  /** 'pcap' (default) or 'pcapng'. */
  readonly format?: 'pcap' | 'pcapng';
  /** Wall-clock seconds (Unix time) that time 0 corresponds to (default 0). */
  readonly epochSeconds?: number;
  /** pcapng interface name (default "synack"). */
  readonly interfaceName?: string;
  /** pcapng: write a comment "A -> B" style per record when given. */
  readonly comment?: (direction: 'out' | 'in', packet: Uint8Array) => string | undefined;
}

export class CaptureRecorder {
  private readonly encode: (p: WritablePacket) => Uint8Array;
  private readonly sink: (chunk: Uint8Array) => void;
  private readonly epoch: number;
  private readonly comment: ((direction: 'out' | 'in', packet: Uint8Array) => string | undefined) | undefined;
  private lastMs = 0;
  /** Records written. */
  count = 0;

  constructor(options: CaptureRecorderOptions) {
    this.sink = options.sink;
    this.epoch = options.epochSeconds ?? 0;
    this.comment = options.comment;
    if ((options.format ?? 'pcap') === 'pcap') {
      const w = new PcapWriter({ linkType: LinkType.RAW, nanosecond: true });
      this.sink(w.header());
      this.encode = (p) => w.packet(p);
    } else {
      const w = new PcapngWriter({});
      this.sink(w.sectionHeader());
      this.sink(w.addInterface({ linkType: LinkType.RAW, name: options.interfaceName ?? 'synack' }));
      this.encode = (p) => w.packet(p);
    }
  }

  /** Record one IP packet seen at time `ms` (milliseconds from time 0). */
  record(ms: number, packet: Uint8Array, direction: 'out' | 'in' = 'out'): void {
    const t = Math.max(this.lastMs, Number.isFinite(ms) ? ms : this.lastMs);
    this.lastMs = t;
    const totalNs = Math.round(t * 1e6);
    const tsSec = this.epoch + Math.floor(totalNs / 1e9);
    const tsNsec = totalNs % 1e9;
    const c = this.comment?.(direction, packet);
    this.sink(this.encode({ tsSec, tsNsec, data: packet, ...(c !== undefined ? { comments: [c] } : {}) }));
    this.count++;
  }
}

/**
 * A Link that records every packet sent through it and every packet it delivers. Batches pass
 * through as batches when the inner link reads in batches (each packet recorded in order).
 */
export class PcapTap implements Link {
  private cb: ReceiveCallback | undefined;
  private batchCb: BatchReceiveCallback | undefined;

  constructor(
    private readonly inner: Link,
    private readonly recorder: CaptureRecorder,
    private readonly clock: () => number,
  ) {
    inner.onReceive((p) => {
      this.recorder.record(this.clock(), p, 'in');
      if (this.batchCb !== undefined) this.batchCb([p]);
      else this.cb?.(p);
    });
  }

  get mtu(): number {
    return this.inner.mtu;
  }

  send(packet: Uint8Array): void {
    this.recorder.record(this.clock(), packet, 'out');
    this.inner.send(packet);
  }

  sendMany(packets: readonly Uint8Array[]): void {
    const t = this.clock();
    for (const p of packets) this.recorder.record(t, p, 'out');
    if (this.inner.sendMany !== undefined) this.inner.sendMany(packets);
    else for (const p of packets) this.inner.send(p);
  }

  onReceive(cb: ReceiveCallback): void {
    this.cb = cb;
  }

  onPackets(cb: BatchReceiveCallback): void {
    this.batchCb = cb;
    const inner = this.inner;
    if (inner.onPackets === undefined) return;
    // The inner link batches: take its batches instead of its single packets.
    inner.onReceive(() => undefined);
    inner.onPackets((ps) => {
      const t = this.clock();
      for (const p of ps) this.recorder.record(t, p, 'in');
      this.batchCb?.(ps);
    });
  }

  close(): void {
    this.cb = undefined;
    this.batchCb = undefined;
    this.inner.close();
  }
}
