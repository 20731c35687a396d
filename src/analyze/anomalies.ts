/**
 * TCP anomaly verdicts per frame, as Wireshark defines them: a port of the sequence analysis in
 * Wireshark's epan/dissectors/packet-tcp.c (tcp_analyze_sequence_number and the parts of
 * dissect_tcp around it: initial RTT, window-scale bookkeeping, port reuse), checked frame by frame
 * against tshark 4.0 (test/analyze/conns-anomalies.test.ts). The Wireshark User's Guide, section
 * "TCP Analysis", describes the same rules in prose; comments below quote the rule for each flag.
 *
 * One `SeqAnalysis` per connection (tshark's conversation); `analyze` takes the segments in
 * capture order and returns the frame's flag bits. State is O(1) per connection: unlike Wireshark
 * we keep no list of unacknowledged segments (it feeds RTT and bytes-in-flight, not the flags).
 *
 * Invariants: never throws; times are integer nanoseconds (exact in a double for ~104 days of
 * capture), compared as tshark compares its unsigned 64-bit deltas (a negative delta is huge, so
 * a frame earlier than its reference is never "within" a threshold); sequence numbers compare
 * modulo 2^32; a stored next-sequence or ack of 0 means "unknown", exactly as in Wireshark.
 */
import type { TcpSegment } from './conns-segment.js';

/** One bit per kind of verdict. The first fourteen are the counts of `synack conns`. */
export const AnomalyBit = {
  retransmission: 1 << 0,
  fastRetransmission: 1 << 1,
  spuriousRetransmission: 1 << 2,
  outOfOrder: 1 << 3,
  lostSegment: 1 << 4,
  ackedUnseen: 1 << 5,
  duplicateAck: 1 << 6,
  zeroWindow: 1 << 7,
  zeroWindowProbe: 1 << 8,
  windowFull: 1 << 9,
  windowUpdate: 1 << 10,
  keepAlive: 1 << 11,
  portReuse: 1 << 12,
  badChecksum: 1 << 13,
  keepAliveAck: 1 << 14,
  zeroWindowProbeAck: 1 << 15,
} as const;

export type AnomalyKind = keyof typeof AnomalyBit;

/** In report order. */
export const ANOMALY_KINDS: readonly AnomalyKind[] = [
  'retransmission',
  'fastRetransmission',
  'spuriousRetransmission',
  'outOfOrder',
  'lostSegment',
  'ackedUnseen',
  'duplicateAck',
  'zeroWindow',
  'zeroWindowProbe',
  'windowFull',
  'windowUpdate',
  'keepAlive',
  'portReuse',
  'badChecksum',
  'keepAliveAck',
  'zeroWindowProbeAck',
];

/** tshark's display-filter field for each kind (what the tests ask tshark for). */
export const TSHARK_FIELD: Readonly<Record<AnomalyKind, string>> = {
  retransmission: 'tcp.analysis.retransmission',
  fastRetransmission: 'tcp.analysis.fast_retransmission',
  spuriousRetransmission: 'tcp.analysis.spurious_retransmission',
  outOfOrder: 'tcp.analysis.out_of_order',
  lostSegment: 'tcp.analysis.lost_segment',
  ackedUnseen: 'tcp.analysis.ack_lost_segment',
  duplicateAck: 'tcp.analysis.duplicate_ack',
  zeroWindow: 'tcp.analysis.zero_window',
  zeroWindowProbe: 'tcp.analysis.zero_window_probe',
  windowFull: 'tcp.analysis.window_full',
  windowUpdate: 'tcp.analysis.window_update',
  keepAlive: 'tcp.analysis.keep_alive',
  portReuse: 'tcp.analysis.reused_ports',
  badChecksum: 'tcp.checksum_bad.expert',
  keepAliveAck: 'tcp.analysis.keep_alive_ack',
  zeroWindowProbeAck: 'tcp.analysis.zero_window_probe_ack',
};

/** The kinds set in a bit mask, in report order. */
export function anomalyKinds(bits: number): AnomalyKind[] {
  const out: AnomalyKind[] = [];
  for (const k of ANOMALY_KINDS) if ((bits & AnomalyBit[k]) !== 0) out.push(k);
  return out;
}

const FIN = 0x001;
const SYN = 0x002;
const RST = 0x004;
const ACK = 0x010;

/** 2^32 - 1: Wireshark's initial window value ("none seen yet"). */
const NO_WINDOW = 0xffffffff;
/** Fast retransmission: within 20 ms of the last duplicate ACK (packet-tcp.c). */
const FAST_RETRANSMISSION_NS = 20_000_000;
/** Out-of-order threshold before the initial RTT is known: 3 ms (packet-tcp.c). */
const DEFAULT_OOO_NS = 3_000_000;

/** a > b modulo 2^32 (Wireshark's GT_SEQ). */
function gtSeq(a: number, b: number): boolean {
  return ((b - a) | 0) < 0;
}
/** a < b modulo 2^32 (LT_SEQ). */
function ltSeq(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}
/** a <= b modulo 2^32 (LE_SEQ). */
function leSeq(a: number, b: number): boolean {
  return ((b - a) | 0) >= 0;
}
/** tshark subtracts times as unsigned 64-bit numbers: a negative delta is never below a limit. */
function within(delta: number, limit: number): boolean {
  return delta >= 0 && delta < limit;
}

/** One direction of a connection (Wireshark's tcp_flow_t with its tcp_analyze_seq_flow_info_t). */
class Flow {
  baseSeqSet = false;
  baseSeq = 0;
  /** Highest sequence number seen + 1 (0 = none yet). */
  nextseq = 0;
  nextseqFrame = 0;
  nextseqTime = 0;
  /** Highest contiguous sequence number that may be acknowledged (0 = none yet). */
  maxseqtobeacked = 0;
  lastack = 0;
  lastackTime = 0;
  /** Consecutive duplicate ACKs; -1 marks "an ACKed-unseen was reported" (an unsigned 0xffffffff in C). */
  dupacknum = 0;
  lastnondupack = 0;
  /** Raw (unscaled) window of the last segment. */
  window = NO_WINDOW;
  /** -1 unknown, -2 no scaling in use, else the shift (RFC 7323 2.3). */
  winScale = -1;
  /** True from a SYN until this side's first non-SYN ACK (window not yet scaled). */
  isFirstAck = false;
  /** Verdict bits of this direction's previous segment. */
  lastSegmentFlags = 0;
}

export class SeqAnalysis {
  private readonly flows: [Flow, Flow] = [new Flow(), new Flow()];
  /** Time of the most recent SYN (without ACK), ns; 0 = none (Wireshark's ts_mru_syn). */
  private tsMruSyn = 0;
  /** The initial RTT in ns: most recent SYN to the first ACK without SYN; 0 = not yet. */
  tsFirstRtt = 0;
  /** Frame that set tsFirstRtt (the handshake's third segment, usually). */
  firstRttFrame = 0;
  /** Frame of the SYN that tsFirstRtt was measured from. */
  firstRttSynFrame = 0;
  private mruSynFrame = 0;

  /**
   * A SYN-ACK whose sequence number is not the one seen before in its direction (packet-tcp.c,
   * dissect_tcp): flagged as a reused port; the direction's base sequence number becomes the new
   * one. Returns true when that happened (call before `analyze`).
   */
  synAckReuse(dir: 0 | 1, seg: TcpSegment): boolean {
    const fwd = this.flows[dir];
    if ((seg.flags & (SYN | ACK)) === (SYN | ACK) && fwd.baseSeqSet && seg.seq !== fwd.baseSeq) {
      fwd.baseSeq = seg.seq;
      return true;
    }
    return false;
  }

  /** The direction's first sequence number (ISN for a SYN, else seq - 1), if known. */
  baseSeq(dir: 0 | 1): number | undefined {
    const f = this.flows[dir];
    return f.baseSeqSet ? f.baseSeq : undefined;
  }

  /**
   * Analyze one segment sent in direction `dir` at `ns` nanoseconds; `preset` are bits already set
   * for the frame (port reuse). Returns the frame's bits.
   */
  analyze(dir: 0 | 1, seg: TcpSegment, ns: number, preset = 0): number {
    const fwd = this.flows[dir];
    const rev = this.flows[dir === 0 ? 1 : 0];
    const flags = seg.flags;
    if ((flags & (SYN | ACK)) === SYN && fwd.baseSeqSet && seg.seq === fwd.baseSeq) {
      // dissect_tcp: a retransmitted SYN restores nextseq to the highest contiguous sequence
      // number (Wireshark issue 17616: a RST may carry SEQ = the ACK it answers).
      fwd.nextseq = fwd.maxseqtobeacked;
    }
    const bits = this.sequence(fwd, rev, seg.seq, seg.ack, seg.payloadLength, flags, seg.window, seg.frame, ns, preset);

    // dissect_tcp after the analysis: the most recent SYN's time, window-scale state, iRTT.
    if ((flags & SYN) !== 0) {
      if ((flags & ACK) === 0) {
        this.tsMruSyn = ns;
        this.mruSynFrame = seg.frame;
      }
      fwd.isFirstAck = true;
    }
    if ((flags & (SYN | ACK)) === ACK && this.tsMruSyn !== 0 && this.tsFirstRtt === 0) {
      // "assume it's the last part of the handshake and store the initial RTT"
      this.tsFirstRtt = ns - this.tsMruSyn;
      this.firstRttFrame = seg.frame;
      this.firstRttSynFrame = this.mruSynFrame;
    }
    if ((flags & (SYN | ACK)) === ACK) fwd.isFirstAck = false;
    if (seg.syn?.wscale !== undefined) {
      // RFC 7323 2.3: a shift above 14 is used as 14.
      fwd.winScale = Math.min(seg.syn.wscale, 14);
    }
    if ((flags & SYN) !== 0) {
      // verify_tcp_window_scaling: scaling is only in use when both SYNs offered it.
      const isSynAck = (flags & ACK) !== 0;
      if (fwd.winScale === -1) {
        fwd.winScale = -2;
        rev.winScale = -2;
      } else if (isSynAck && rev.winScale === -2) {
        fwd.winScale = -2;
      }
    }
    return bits;
  }

  /** tcp_analyze_sequence_number. */
  private sequence(fwd: Flow, rev: Flow, seq: number, ack: number, seglen: number, flags: number, window: number, frame: number, ns: number, preset: number): number {
    let ta = preset;

    // The first segment of a direction fixes its base sequence number; the first ACK in the
    // other direction guesses the reverse one (ack - 1).
    if (!fwd.baseSeqSet) {
      fwd.baseSeq = (flags & SYN) !== 0 ? seq : (seq - 1) >>> 0;
      fwd.baseSeqSet = true;
    }
    if (!rev.baseSeqSet && (flags & ACK) !== 0) {
      rev.baseSeq = (ack - 1) >>> 0;
      rev.baseSeqSet = true;
    }

    finishedFwd: {
      // ZERO WINDOW PROBE: "the sequence number is the next expected one, the window in the other
      // direction is 0, the segment is exactly 1 byte".
      if (seglen === 1 && seq === fwd.nextseq && rev.window === 0) {
        ta |= ZWP;
        break finishedFwd;
      }
      // ZERO WINDOW: "window == 0 but none of SYN/FIN/RST set".
      if (window === 0 && (flags & (RST | FIN | SYN)) === 0) ta |= ZW;
      // LOST PACKET: "beyond the last seen nextseq" (only once segments were seen; not for RST).
      if (fwd.nextseq !== 0 && gtSeq(seq, fwd.nextseq) && (flags & RST) === 0) ta |= LOST;
      // KEEP ALIVE: "0 or 1 bytes of data starting one byte before the next expected sequence number".
      if ((seglen === 0 || seglen === 1) && seq === ((fwd.nextseq - 1) >>> 0) && (flags & (SYN | FIN | RST)) === 0) ta |= KA;
      // WINDOW UPDATE: "0 bytes, same SEQ/ACK as the previous segment, a new window".
      if (seglen === 0 && window !== 0 && window !== fwd.window && seq === fwd.nextseq && ack === fwd.lastack && (flags & (SYN | FIN | RST)) === 0) ta |= WU;
      // WINDOW FULL: "data that goes all the way to the edge of the advertised window" (scaling known).
      if (seglen > 0 && rev.winScale !== -1 && (flags & (SYN | FIN | RST)) === 0) {
        const shift = rev.isFirstAck ? 0 : rev.winScale === -2 ? 0 : rev.winScale;
        const edge = (rev.lastack + scaled(rev.window, shift)) >>> 0;
        if (((seq + seglen) >>> 0) === edge) ta |= WF;
      }
      // KEEP ALIVE ACK: repeats the previous ACK right after a keep-alive from the other side.
      if (
        seglen === 0 && window !== 0 && window === fwd.window && seq === fwd.nextseq && ack === fwd.lastack &&
        (rev.lastSegmentFlags & KA) !== 0 && (flags & (SYN | FIN | RST)) === 0
      ) {
        ta |= KAA;
        break finishedFwd;
      }
      // ZERO WINDOW PROBE ACK: repeats the previous zero-window ACK right after a probe.
      if (
        seglen === 0 && window === 0 && window === fwd.window && seq === fwd.nextseq && ack === fwd.lastack &&
        (rev.lastSegmentFlags & ZWP) !== 0 && (flags & (SYN | FIN | RST)) === 0
      ) {
        ta |= ZWPA;
        break finishedFwd;
      }
      // DUPLICATE ACK: "window/seq/ack the same as the previous segment and length 0".
      if (seglen === 0 && window !== 0 && window === fwd.window && seq === fwd.nextseq && ack === fwd.lastack && (flags & (SYN | FIN | RST)) === 0) {
        fwd.dupacknum = fwd.dupacknum === -1 ? 1 : fwd.dupacknum + 1;
        ta |= DUP;
      }
    }

    // finished_fwd: a new ACK number resets the duplicate-ACK count.
    if (ack !== fwd.lastack) {
      fwd.lastnondupack = frame;
      fwd.dupacknum = 0;
    }

    // ACKED LOST PACKET: "acks beyond the max seq to be acked in the other direction". tshark
    // 4.0 reports one gap once: if the other side sent new data since the bound was set, the
    // bound moves up to it and the frame is flagged; otherwise only the first such ACK after the
    // other side's ACK number last changed is flagged (its dupacknum becomes the marker -1).
    // Established by frame-by-frame comparison with tshark 4.0.17 (conns-anomalies.test.ts);
    // later Wireshark versions compare the other way round.
    if (rev.maxseqtobeacked !== 0 && gtSeq(ack, rev.maxseqtobeacked) && (flags & ACK) !== 0) {
      if (gtSeq(rev.nextseq, rev.maxseqtobeacked)) {
        rev.maxseqtobeacked = rev.nextseq;
        ta |= ACKLOST;
      } else {
        if (rev.dupacknum === 0) ta |= ACKLOST;
        rev.dupacknum = -1;
      }
    }

    // RETRANSMISSION / FAST RETRANSMISSION / OUT-OF-ORDER / SPURIOUS: data (or SYN/FIN) that does
    // not advance the sequence number. A keep-alive is none of them.
    if ((seglen > 0 || (flags & (SYN | FIN)) !== 0) && (ta & KA) === 0) {
      let seqNotAdvanced = fwd.nextseq !== 0 && ltSeq(seq, fwd.nextseq);
      // Not a retransmission: more than one byte starting one below nextseq (after a window probe).
      if (seglen > 1 && ((fwd.nextseq - 1) >>> 0) === seq) seqNotAdvanced = false;
      retrans: {
        // SPURIOUS: "seq + len <= the ack already seen from the other side".
        if (seglen > 0 && rev.lastack !== 0 && leSeq((seq + seglen) >>> 0, rev.lastack)) {
          ta |= SPURIOUS;
          break retrans;
        }
        // FAST: ">= 2 duplicate ACKs in the reverse direction, this seq matches them, within 20 ms".
        // (dupacknum is unsigned in packet-tcp.c: its -1 marker counts as a large number here.)
        if (seqNotAdvanced && rev.dupacknum >>> 0 >= 2 && rev.lastack === seq && within(ns - rev.lastackTime, FAST_RETRANSMISSION_NS)) {
          ta |= FAST;
          break retrans;
        }
        // OUT-OF-ORDER: "came relatively close (initial RTT, else 3 ms) after the segment with the
        // highest sequence number and does not look like a retransmission".
        // (A negative initial RTT, from timestamps going backwards, is a huge unsigned number in C.)
        const oooThreshold = this.tsFirstRtt === 0 ? DEFAULT_OOO_NS : this.tsFirstRtt < 0 ? Infinity : this.tsFirstRtt;
        const end = (seq + seglen + ((flags & (SYN | FIN)) !== 0 ? 1 : 0)) >>> 0;
        if (seqNotAdvanced && within(ns - fwd.nextseqTime, oooThreshold) && fwd.nextseq !== end) {
          ta |= OOO;
          break retrans;
        }
        if (seqNotAdvanced) ta |= RETRANS;
      }
    }

    // finished_checking_retransmission_type: the highest sequence number seen so far. Zero window
    // probes do not advance it.
    let nextseq = (seq + seglen) >>> 0;
    if ((seglen > 0 || (flags & (SYN | FIN)) !== 0) && (flags & (SYN | FIN)) !== 0) nextseq = (nextseq + 1) >>> 0;
    if (gtSeq(nextseq, fwd.nextseq) || fwd.nextseq === 0) {
      if ((ta & ZWP) === 0) {
        fwd.nextseq = nextseq;
        fwd.nextseqFrame = frame;
        fwd.nextseqTime = ns;
      }
    }
    // The highest contiguous sequence number, for ACKed-unseen.
    if (seq === fwd.maxseqtobeacked || fwd.maxseqtobeacked === 0) {
      if ((ta & ZWP) === 0) fwd.maxseqtobeacked = fwd.nextseq;
    }
    fwd.window = window;
    fwd.lastack = ack;
    fwd.lastackTime = ns;
    fwd.lastSegmentFlags = ta;
    return ta;
  }
}

const RETRANS = AnomalyBit.retransmission;
const FAST = AnomalyBit.fastRetransmission;
const SPURIOUS = AnomalyBit.spuriousRetransmission;
const OOO = AnomalyBit.outOfOrder;
const LOST = AnomalyBit.lostSegment;
const ACKLOST = AnomalyBit.ackedUnseen;
const DUP = AnomalyBit.duplicateAck;
const ZW = AnomalyBit.zeroWindow;
const ZWP = AnomalyBit.zeroWindowProbe;
const WF = AnomalyBit.windowFull;
const WU = AnomalyBit.windowUpdate;
const KA = AnomalyBit.keepAlive;
const KAA = AnomalyBit.keepAliveAck;
const ZWPA = AnomalyBit.zeroWindowProbeAck;

/** window << shift as a 32-bit unsigned number (C's guint32 shift). */
function scaled(window: number, shift: number): number {
  return shift >= 32 ? 0 : (window * 2 ** shift) % 0x100000000;
}
