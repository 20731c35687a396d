/**
 * Zeek's view of a TCP connection: the per-endpoint state machine of Zeek's TCP analyzer
 * (src/packet_analysis/protocol/tcp/TCP.cc and TCPSessionAdapter.cc, TCP_Endpoint.cc), the
 * `history` string of conn.log, and `conn_state` as base/protocols/conn/main.zeek computes it.
 * A port of the parts that decide those two fields; Zeek's events, weirds, timers and payload
 * reassembly are left out (so the 'g' content-gap letter is never produced, see docs/analyzer.md).
 *
 * History letters (main.zeek): s SYN, h SYN-ACK, a pure ACK, d data, f FIN, r RST, c bad checksum,
 * t retransmitted payload, w zero window, i FIN+RST, q SYN+FIN or SYN+RST, ^ roles flipped;
 * upper case from the originator. a/d/i/q are recorded once per direction; s/h/f/r again when the
 * sequence number differs from the last one of that kind; c/t/w at the 1st, 10th, 100th... event.
 *
 * Invariants: `process` never throws; the history only grows; `state()` is one of the thirteen
 * conn_state codes. Sequence arithmetic is Zeek's: 32-bit numbers with wrap counters, relative
 * sequence numbers as exact integers.
 */

export type ZeekConnState = 'S0' | 'S1' | 'SF' | 'REJ' | 'S2' | 'S3' | 'RSTO' | 'RSTR' | 'RSTOS0' | 'RSTRH' | 'SH' | 'SHR' | 'OTH';

/** Zeek's TCP_Endpoint states (TCP_Endpoint.h). */
export const ZState = {
  INACTIVE: 0,
  SYN_SENT: 1,
  SYN_ACK_SENT: 2,
  PARTIAL: 3,
  ESTABLISHED: 4,
  CLOSED: 5,
  RESET: 6,
} as const;
export type ZState = (typeof ZState)[keyof typeof ZState];

const FIN = 0x001;
const SYN = 0x002;
const RST = 0x004;
const ACK = 0x010;

const HIST_SYN_PKT = 0x1;
const HIST_FIN_PKT = 0x2;
const HIST_RST_PKT = 0x4;
const HIST_FIN_RST_PKT = 0x8;
const HIST_DATA_PKT = 0x10;
const HIST_ACK_PKT = 0x20;
const HIST_MULTI_FLAG_PKT = 0x40;

/** TCP.cc: sequence jumps larger than this on SYN/RST are not trusted. */
const TOO_LARGE_SEQ_DELTA = 1048576;
const TWO32 = 0x100000000;

/**
 * TCP ports Zeek's default scripts add to `likely_server_ports` (each base protocol script does
 * `redef likely_server_ports += { ports }`): the ports of the analyzers loaded by default.
 * Used only to decide the originator of a connection whose first packet is not a plain SYN.
 */
export const ZEEK_LIKELY_SERVER_PORTS: ReadonlySet<number> = new Set([
  21, 22, 23, 25, 53, 80, 81, 88, 110, 111, 135, 139, 143, 389, 443, 445, 502, 563, 585, 587, 614, 631, 636, 989, 990, 992, 993,
  995, 1080, 1433, 1434, 1883, 2049, 2811, 3128, 3268, 3306, 3389, 5222, 5223, 5269, 5432, 6379, 6666, 6667, 6668, 6669, 8000,
  8080, 8888, 20000,
]);

/** Zeek's seq_delta: the signed 32-bit difference a - b. */
function seqDelta(a: number, b: number): number {
  return (a - b) | 0;
}

class Endpoint {
  state: ZState = ZState.INACTIVE;
  prevState: ZState = ZState.INACTIVE;
  startSeq = 0;
  lastSeq = 0;
  ackSeq = 0;
  seqWraps = 0;
  ackWraps = 0;
  finCnt = 0;
  didClose = false;
  histLastSyn = 0;
  histLastFin = 0;
  histLastRst = 0;
  chkCnt = 0;
  chkThresh = 1;
  rxmtCnt = 0;
  rxmtThresh = 1;
  win0Cnt = 0;
  win0Thresh = 1;
  peer!: Endpoint;

  constructor(public isOrig: boolean) {}

  setState(s: ZState): void {
    if (s !== this.state) {
      this.prevState = this.state;
      this.state = s;
    }
  }

  updateLastSeq(seq: number): void {
    if (seq < this.lastSeq) this.seqWraps++;
    this.lastSeq = seq;
  }

  updateAckSeq(seq: number): void {
    if (seq < this.ackSeq) this.ackWraps++;
    this.ackSeq = seq;
  }

  /** NoDataAcked: the peer acknowledged at most the SYN. */
  noDataAcked(): boolean {
    const ack = this.ackWraps * TWO32 + this.ackSeq;
    return ack === this.startSeq || ack === this.startSeq + 1;
  }

  /** TCP_Endpoint::Size: bytes in sequence space, SYN and FIN excluded. */
  size(): number {
    if (this.prevState === ZState.SYN_SENT && this.state === ZState.RESET && this.peer.state === ZState.INACTIVE && !this.noDataAcked()) return 0;
    const last = this.seqWraps * TWO32 + this.lastSeq;
    const ack = this.ackWraps * TWO32 + this.ackSeq;
    let size = (last > ack ? last : ack) - this.startSeq;
    if (size !== 0) size--;
    if (this.finCnt > 0 && size !== 0) size--;
    return size;
  }
}

export class ZeekConn {
  history = '';
  private histSeen = 0;
  /** The endpoint that is currently the originator. */
  private orig: Endpoint;
  private resp: Endpoint;
  /** The endpoint of the connection's first sender. */
  private readonly first: Endpoint;

  /**
   * A new connection, created by its first packet (`flags`, sent from `srcPort` to `dstPort`).
   * Zeek's TCPAnalyzer::WantConnection: a connection that does not start with a plain SYN is
   * flipped when its source port is a likely server port (and the destination is not, or is a
   * higher one and the packet is not a SYN-ACK).
   */
  constructor(flags: number, srcPort: number, dstPort: number, likelyServer: (port: number) => boolean = (p) => ZEEK_LIKELY_SERVER_PORTS.has(p)) {
    this.first = new Endpoint(true);
    const other = new Endpoint(false);
    this.first.peer = other;
    other.peer = this.first;
    this.orig = this.first;
    this.resp = other;
    if ((flags & SYN) === 0 || (flags & ACK) !== 0) {
      let flip = false;
      if (likelyServer(srcPort)) flip = likelyServer(dstPort) ? (flags & SYN) === 0 && srcPort < dstPort : true;
      if (flip) this.flipRoles();
    }
  }

  /** True when the connection's first sender is Zeek's originator. */
  get firstIsOrig(): boolean {
    return this.first.isOrig;
  }

  private addHistory(e: Endpoint, code: string): void {
    this.history += e.isOrig ? code : code.toLowerCase();
  }

  /** Connection::CheckHistory through TCP_Endpoint: true if already seen, else records it. */
  private checkHistory(e: Endpoint, mask: number, code: string): boolean {
    const m = e.isOrig ? mask : mask << 16;
    if ((this.histSeen & m) === 0) {
      this.histSeen |= m;
      this.addHistory(e, code);
      return false;
    }
    return true;
  }

  /** Connection::ScaledHistoryEntry with base 10: letters at the 1st, 10th, 100th... event. */
  private scaled(e: Endpoint, code: string, counter: 'chk' | 'rxmt' | 'win0'): void {
    const cnt = `${counter}Cnt` as const;
    const thr = `${counter}Thresh` as const;
    e[cnt]++;
    if (e[cnt] === e[thr]) {
      this.addHistory(e, code);
      const next = e[thr] * 10;
      if (next > 0xffffffff) e[cnt] = 0;
      else e[thr] = next;
    }
  }

  private flipRoles(): void {
    const t = this.orig;
    this.orig = this.resp;
    this.resp = t;
    this.orig.isOrig = true;
    this.resp.isOrig = false;
    this.history += '^';
  }

  /**
   * One packet. `fromFirst`: sent by the connection's first sender. `checksumBad`: Zeek drops the
   * packet after recording 'c' (TCPAnalyzer::ValidateChecksum).
   */
  process(fromFirst: boolean, flags: number, seq: number, ack: number, len: number, window: number, checksumBad: boolean): void {
    const endpoint = fromFirst ? this.first : this.first.peer;
    const peer = endpoint.peer;
    if (checksumBad) {
      this.scaled(endpoint, 'C', 'chk');
      return;
    }
    const isOrig = endpoint.isOrig;
    // get_segment_len: SYN and FIN take a sequence number each; a RST's data is not stream data.
    let segLen = len + ((flags & SYN) !== 0 ? 1 : 0) + ((flags & FIN) !== 0 ? 1 : 0);
    if ((flags & RST) !== 0) segLen -= len;
    const seqOnePast = (seq + segLen) >>> 0;

    this.initEndpoint(endpoint, flags, seq, seqOnePast);
    const relSeq = this.relativeSeq(endpoint, seq, endpoint.lastSeq, endpoint.seqWraps).value;
    this.updateHistory(flags, endpoint, relSeq, len);
    // update_window: a zero window is 'w' unless it comes with or after a RST, or after the
    // peer's FIN (scaling cannot turn a non-zero 16-bit window into zero).
    if (window === 0 && (flags & RST) === 0 && peer.state !== ZState.CLOSED && endpoint.state !== ZState.RESET) this.scaled(endpoint, 'W', 'win0');
    if ((flags & FIN) !== 0) endpoint.finCnt++;
    if ((flags & ACK) !== 0) {
      if (peer.state === ZState.INACTIVE) {
        // init_peer: number the peer as if its SYN had been seen.
        const s = (ack - 1) >>> 0;
        peer.startSeq = s;
        peer.ackSeq = s;
        peer.lastSeq = s;
      } else {
        const r = this.relativeSeq(peer, ack, peer.ackSeq, peer.ackWraps);
        if (!r.underflow && (flags & RST) === 0) {
          // update_ack_seq
          const delta = seqDelta(ack, peer.ackSeq);
          if (!(ack === 0 && delta > TOO_LARGE_SEQ_DELTA) && delta > 0) peer.updateAckSeq(ack);
        }
      }
    }
    this.updateLastSeq(endpoint, seqOnePast, flags, len);
    const close = this.stateMachine(endpoint, peer, seq, len, isOrig, flags);
    // ConnectionClosed (no payload reassembly here, so nothing is ever pending).
    if (close) endpoint.didClose = true;
  }

  private initEndpoint(e: Endpoint, flags: number, firstSeq: number, lastSeq: number): void {
    switch (e.state) {
      case ZState.INACTIVE:
        if ((flags & SYN) !== 0) {
          e.ackSeq = firstSeq;
          e.startSeq = firstSeq;
        } else {
          // A partial connection: number as though a SYN had been seen; the first packet is not a
          // duplicate.
          e.ackSeq = (firstSeq - 1) >>> 0;
          e.startSeq = (firstSeq - 1) >>> 0;
          lastSeq = firstSeq;
        }
        e.lastSeq = lastSeq;
        break;
      case ZState.SYN_SENT:
      case ZState.SYN_ACK_SENT:
        if ((flags & SYN) !== 0 && firstSeq !== e.startSeq) {
          e.startSeq = firstSeq;
          e.ackSeq = firstSeq;
          e.lastSeq = lastSeq;
        }
        break;
      case ZState.ESTABLISHED:
      case ZState.PARTIAL:
        if ((flags & SYN) !== 0) {
          e.startSeq = firstSeq;
          e.ackSeq = firstSeq;
          e.lastSeq = lastSeq;
        }
        break;
      case ZState.RESET:
        if ((flags & SYN) !== 0 && e.prevState === ZState.INACTIVE) {
          e.startSeq = firstSeq;
          e.ackSeq = firstSeq;
          e.lastSeq = lastSeq;
        }
        break;
      default:
        break;
    }
  }

  /** get_relative_seq: the 64-bit sequence number relative to the endpoint's start. */
  private relativeSeq(e: Endpoint, cur: number, last: number, wraps: number): { value: number; underflow: boolean } {
    const delta = seqDelta(cur, last);
    if (delta < 0) {
      if (wraps !== 0 && cur > last) wraps--;
    } else if (delta > 0) {
      if (cur < last) wraps++;
    }
    if (wraps === 0) {
      const d = seqDelta(cur, e.startSeq);
      // A negative delta becomes a huge unsigned 64-bit number in Zeek; any distinct value will do
      // for the equality tests it feeds.
      return { value: d, underflow: d < 0 };
    }
    return { value: wraps * TWO32 + cur - e.startSeq, underflow: false };
  }

  /** update_history (TCP.cc). */
  private updateHistory(flags: number, e: Endpoint, relSeq: number, len: number): void {
    const bits = ((flags & SYN) !== 0 ? 1 : 0) + ((flags & FIN) !== 0 ? 1 : 0) + ((flags & RST) !== 0 ? 1 : 0);
    if (bits > 1) {
      if ((flags & FIN) !== 0 && (flags & RST) !== 0) this.checkHistory(e, HIST_FIN_RST_PKT, 'I');
      else this.checkHistory(e, HIST_MULTI_FLAG_PKT, 'Q');
    } else if (bits === 1) {
      if ((flags & SYN) !== 0) {
        const code = (flags & ACK) !== 0 ? 'H' : 'S';
        if (this.checkHistory(e, HIST_SYN_PKT, code) && relSeq !== e.histLastSyn) this.addHistory(e, code);
        e.histLastSyn = relSeq;
      }
      if ((flags & FIN) !== 0) {
        // A FIN's sequence number is taken at the end of its data.
        if (this.checkHistory(e, HIST_FIN_PKT, 'F') && relSeq + len !== e.histLastFin) this.addHistory(e, 'F');
        e.histLastFin = relSeq + len;
      }
      if ((flags & RST) !== 0) {
        if (this.checkHistory(e, HIST_RST_PKT, 'R') && relSeq !== e.histLastRst) this.addHistory(e, 'R');
        e.histLastRst = relSeq;
      }
    } else if (len > 0) this.checkHistory(e, HIST_DATA_PKT, 'D');
    else if ((flags & ACK) !== 0) this.checkHistory(e, HIST_ACK_PKT, 'A');
  }

  /** update_last_seq: returns the distance of the segment's end from the endpoint's last seq. */
  private updateLastSeq(e: Endpoint, lastSeq: number, flags: number, len: number): number {
    const delta = seqDelta(lastSeq, e.lastSeq);
    if ((flags & (SYN | RST)) !== 0 && (delta > TOO_LARGE_SEQ_DELTA || delta < -TOO_LARGE_SEQ_DELTA)) {
      // untrusted jump
    } else if ((flags & FIN) !== 0 && e.lastSeq === ((e.startSeq + 1) >>> 0)) {
      e.updateLastSeq(lastSeq);
    } else if (e.state === ZState.RESET) {
      // no sequence numbers trusted after a RST
    } else if (delta > 0) {
      e.updateLastSeq(lastSeq);
    } else if (len > 0) {
      // TCP_Endpoint::DidRxmit: payload that does not advance the sequence number.
      this.scaled(e, 'T', 'rxmt');
    }
    return delta;
  }

  /** UpdateStateMachine; returns do_close. */
  private stateMachine(e: Endpoint, peer: Endpoint, seq: number, len: number, isOrig: boolean, flags: number): boolean {
    switch (e.state) {
      case ZState.INACTIVE:
        return this.inactive(e, peer, seq, len, isOrig, flags);
      case ZState.SYN_SENT:
      case ZState.SYN_ACK_SENT:
        if ((flags & FIN) !== 0) e.setState(ZState.CLOSED);
        if ((flags & RST) !== 0) e.setState(ZState.RESET);
        return (flags & (FIN | RST)) !== 0;
      case ZState.ESTABLISHED:
      case ZState.PARTIAL: {
        let close = false;
        if ((flags & SYN) !== 0 && e.state === ZState.PARTIAL && peer.state === ZState.INACTIVE && (flags & ACK) === 0) e.setState(ZState.SYN_SENT);
        if ((flags & FIN) !== 0 && (flags & RST) === 0) {
          e.setState(ZState.CLOSED);
          // The peer sent a FIN and then a RST: that was a normal termination after all.
          if (peer.state === ZState.RESET && peer.prevState === ZState.CLOSED) peer.setState(ZState.CLOSED);
          close = true;
        }
        if ((flags & RST) !== 0) {
          e.setState(ZState.RESET);
          close = true;
        }
        return close;
      }
      case ZState.CLOSED: {
        // (UpdateClosedState also looks at deltaLast, but only for a weird.) After a FIN
        // exchange a RST does not change the state.
        if ((flags & RST) !== 0 && peer.state !== ZState.CLOSED) {
          e.setState(ZState.RESET);
          return !e.didClose;
        }
        return false;
      }
      case ZState.RESET:
      default:
        return false;
    }
  }

  /** UpdateInactiveState. */
  private inactive(e: Endpoint, peer: Endpoint, seq: number, len: number, isOrig: boolean, flags: number): boolean {
    let close = false;
    if ((flags & SYN) !== 0) {
      if (isOrig) {
        e.setState((flags & ACK) !== 0 ? ZState.SYN_ACK_SENT : ZState.SYN_SENT);
      } else {
        if ((flags & ACK) === 0 && peer.state === ZState.SYN_ACK_SENT && seq === e.startSeq) {
          // A SYN/SYN-ACK reversal: flip the endpoints and establish the connection.
          this.flipRoles();
          peer.setState(ZState.ESTABLISHED);
        }
        if (peer.state === ZState.SYN_SENT) peer.setState(ZState.ESTABLISHED);
        e.setState(ZState.ESTABLISHED);
      }
    }
    if ((flags & FIN) !== 0) {
      e.setState(ZState.CLOSED);
      close = true;
    }
    if ((flags & RST) !== 0) {
      e.setState(ZState.RESET);
      close = true;
    }
    if (e.state === ZState.INACTIVE) {
      if (!isOrig && len === 0 && this.orig.state === ZState.SYN_SENT) {
        // An ACK of the SYN before the SYN-ACK: not a partial connection.
      } else if ((flags & ACK) !== 0 && peer.state === ZState.ESTABLISHED) {
        // SYN-ACK seen but no SYN, now a pure ACK: the SYN was missed.
        e.setState(ZState.ESTABLISHED);
      } else {
        e.setState(ZState.PARTIAL);
      }
    }
    return close;
  }

  /** conn_state (base/protocols/conn/main.zeek). */
  state(): ZeekConnState {
    const os = this.orig.state;
    const rs = this.resp.state;
    const oInactive = os === ZState.INACTIVE || os === ZState.PARTIAL;
    const rInactive = rs === ZState.INACTIVE || rs === ZState.PARTIAL;
    if (rs === ZState.RESET) {
      if (os === ZState.SYN_SENT || os === ZState.SYN_ACK_SENT || (os === ZState.RESET && this.orig.size() === 0 && this.resp.size() === 0)) return 'REJ';
      if (oInactive) return 'RSTRH';
      return 'RSTR';
    }
    if (os === ZState.RESET) {
      if (rInactive) return /^\^?S[^HAFGIQ]*R.*$/s.test(this.history) ? 'RSTOS0' : 'OTH';
      return 'RSTO';
    }
    if (rs === ZState.CLOSED && os === ZState.CLOSED) return 'SF';
    if (os === ZState.CLOSED) return rInactive ? 'SH' : 'S2';
    if (rs === ZState.CLOSED) return oInactive ? 'SHR' : 'S3';
    if (os === ZState.SYN_SENT && rs === ZState.INACTIVE) return 'S0';
    if (os === ZState.ESTABLISHED && rs === ZState.ESTABLISHED) return 'S1';
    return 'OTH';
  }

  /** orig_bytes / resp_bytes of conn.log: payload bytes in sequence space (may be negative if Zeek's would wrap). */
  bytes(): { orig: number; resp: number } {
    return { orig: this.orig.size(), resp: this.resp.size() };
  }

  /** Endpoint states, for tests and explanations. */
  states(): { orig: ZState; resp: ZState } {
    return { orig: this.orig.state, resp: this.resp.state };
  }
}
