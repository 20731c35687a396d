/**
 * The frame list's columns for one frame, from the library's dissector and summary line: number,
 * time since the first frame, source, destination, protocol, length, and the rest of the summary
 * (`.A..S. [SYN, ACK] seq=1109645 ack=8221823 win=8760 len=0 <mss 1460>`), plus a tone that colours
 * the row (SYN/FIN, RST, problems...). Kept in a small bounded cache: only rows on screen are ever
 * computed.
 */
import type { CaptureRecord } from '../capture/index.js';
import { dissect } from '../analyze/dissect.js';
import { summaryInfo } from '../analyze/summary.js';

export type Tone = 'tcp' | 'synfin' | 'rst' | 'bad' | 'udp' | 'arp' | 'icmp' | 'other';

export interface RowText {
  readonly no: string;
  readonly time: string;
  readonly src: string;
  readonly dst: string;
  readonly proto: string;
  readonly len: string;
  readonly info: string;
  readonly tone: Tone;
}

/** The columns of record `r`; `origin` is the time (seconds) the time column counts from. */
export function rowText(r: CaptureRecord, origin: number): RowText {
  const d = dissect(r);
  const j = d.json;
  const summary = summaryInfo(d);
  // summaryInfo is "SRC -> DST rest" for IP and Ethernet frames, "ARP who-has ..." otherwise.
  const m = /^(\S+) -> (\S+) (.*)$/s.exec(summary);
  let src = '';
  let dst = '';
  let info = summary;
  if (m !== null) {
    src = m[1] as string;
    dst = m[2] as string;
    info = m[3] as string;
  }
  const proto = d.protocol;
  if (info.startsWith(`${proto} `)) info = info.slice(proto.length + 1);
  else if (proto === 'ARP' && info.startsWith('ARP ')) info = info.slice(4);
  let tone: Tone = 'other';
  if (j.problems !== undefined) tone = 'bad';
  else if (j.tcp !== undefined) tone = j.tcp.flags.rst ? 'rst' : j.tcp.flags.syn || j.tcp.flags.fin ? 'synfin' : 'tcp';
  else if (j.udp !== undefined) tone = 'udp';
  else if (j.arp !== undefined) tone = 'arp';
  else if (j.icmp !== undefined) tone = 'icmp';
  if (j.arp !== undefined) {
    src = j.arp.senderMac;
    dst = j.arp.operation === 1 ? 'broadcast' : j.arp.targetMac;
  }
  return {
    no: String(r.frame),
    time: (r.timestamp - origin).toFixed(6),
    src,
    dst,
    proto,
    len: String(r.originalLength),
    info,
    tone,
  };
}

/** Row texts by frame index, at most `limit` kept (cleared wholesale when full). */
export class RowCache {
  private readonly map = new Map<number, RowText>();
  constructor(private readonly limit = 4096) {}
  get(i: number, make: () => RowText): RowText {
    let t = this.map.get(i);
    if (t === undefined) {
      if (this.map.size >= this.limit) this.map.clear();
      t = make();
      this.map.set(i, t);
    }
    return t;
  }
  clear(): void {
    this.map.clear();
  }
}
