/**
 * Display filters: the common cases of Wireshark's display-filter language, parsed into a tree,
 * compiled into a predicate, and evaluated against the fields of one frame.
 *
 *   tcp.port == 139        tcp.flags.syn == 1       ip.addr == 131.107.2.214     ip.src != 10.0.0.0/8
 *   tcp && !(udp || arp)   frame.number <= 100      conn == 3                    tcp.port in {80 443 8000..8080}
 *
 * Semantics follow Wireshark 4 (so tshark -Y gives the same frames, which the tests check):
 *  - a field alone tests that the frame has it (`tcp.flags.syn` is true for every TCP frame);
 *  - a field with several values (`tcp.port`, `ip.addr`, `eth.addr`) matches `==`, `<`, `in` when
 *    any value does, and `!=` when none is equal (`a != v` is `!(a == v)`);
 *  - a comparison on a field the frame does not have is false (and `!=` too).
 * `tcp.seq`/`tcp.ack` are the raw numbers on the wire (Wireshark's tcp.seq_raw); `conn` (alias
 * `tcp.stream`) is the connection id the caller supplies (src/analyze/conns.ts, tcp.stream order).
 *
 * Invariants: parseFilter never throws anything but a FilterError, whose `position`/`length` point
 * at the offending text; nesting is bounded (MAX_DEPTH) so no input overflows the stack;
 * FilterFields.load never throws and never reads outside the frame; it decides which protocols a
 * frame has exactly as dissect.ts does. Browser-safe.
 */
import { SynackError } from '../errors.js';
import { decodeLink } from '../capture/linktype.js';
import { u16, u32 } from '../wire/bytes.js';
import { EtherType, isVlanTpid, parseMac } from '../wire/ethernet.js';
import { IpProtocol, parseIpv4Address } from '../wire/ipv4.js';
import { isIpv6ExtensionHeader, parseIpv6Address } from '../wire/ipv6.js';
import type { FrameInput } from './dissect.js';

export class FilterError extends SynackError {
  /** 0-based index of the offending text in the filter string. */
  readonly position: number;
  /** Length of the offending text (at least 1). */
  readonly length: number;
  constructor(message: string, position: number, length = 1) {
    super('ERR_SYNACK_FILTER', message);
    this.name = 'FilterError';
    this.position = position;
    this.length = Math.max(1, length);
  }
}

// ---------------------------------------------------------------------------------------------
// Fields

/** Protocol bits of a frame (FilterFields.protocols). */
export const Proto = {
  ETH: 1 << 0,
  VLAN: 1 << 1,
  ARP: 1 << 2,
  IP: 1 << 3,
  IPV6: 1 << 4,
  TCP: 1 << 5,
  UDP: 1 << 6,
  ICMP: 1 << 7,
  ICMPV6: 1 << 8,
} as const;

type FieldType = 'proto' | 'uint' | 'bool' | 'ipv4' | 'ipv6' | 'mac';

/** A field: its type, the protocol it needs, and how to read its value(s). */
interface FieldDef {
  readonly type: FieldType;
  /** Protocol bit the frame must have for the field to exist (0: always). */
  readonly needs: number;
  /** Number fields: the values (one or two, for src/dst pairs); undefined when absent. */
  readonly num?: (f: FilterFields) => number | undefined;
  readonly num2?: (f: FilterFields) => number | undefined;
  /** Largest value the field can hold (checks literals). */
  readonly max?: number;
  /** Address fields: offsets of the address bytes in the frame (one or two). */
  readonly at?: (f: FilterFields) => number;
  readonly at2?: (f: FilterFields) => number;
}

const U32 = 0xffffffff;

const flag = (bit: number): FieldDef => ({ type: 'bool', needs: Proto.TCP, num: (f) => ((f.tcpFlags & bit) !== 0 ? 1 : 0), max: 1 });

const FIELDS: ReadonlyMap<string, FieldDef> = new Map<string, FieldDef>([
  ['frame', { type: 'proto', needs: 0 }],
  ['frame.number', { type: 'uint', needs: 0, num: (f) => f.frame, max: Number.MAX_SAFE_INTEGER }],
  ['frame.len', { type: 'uint', needs: 0, num: (f) => f.len, max: U32 }],
  ['frame.cap_len', { type: 'uint', needs: 0, num: (f) => f.capLen, max: U32 }],
  ['eth', { type: 'proto', needs: Proto.ETH }],
  ['eth.src', { type: 'mac', needs: Proto.ETH, at: () => 6 }],
  ['eth.dst', { type: 'mac', needs: Proto.ETH, at: () => 0 }],
  ['eth.addr', { type: 'mac', needs: Proto.ETH, at: () => 6, at2: () => 0 }],
  ['eth.type', { type: 'uint', needs: Proto.ETH, num: (f) => f.etherType, max: 0xffff }],
  ['vlan', { type: 'proto', needs: Proto.VLAN }],
  ['vlan.id', { type: 'uint', needs: Proto.VLAN, num: (f) => f.vlanId, max: 0xfff }],
  ['arp', { type: 'proto', needs: Proto.ARP }],
  ['arp.opcode', { type: 'uint', needs: Proto.ARP, num: (f) => f.arpOp, max: 0xffff }],
  ['ip', { type: 'proto', needs: Proto.IP }],
  ['ip.src', { type: 'ipv4', needs: Proto.IP, at: (f) => f.ipAt + 12 }],
  ['ip.dst', { type: 'ipv4', needs: Proto.IP, at: (f) => f.ipAt + 16 }],
  ['ip.addr', { type: 'ipv4', needs: Proto.IP, at: (f) => f.ipAt + 12, at2: (f) => f.ipAt + 16 }],
  ['ip.ttl', { type: 'uint', needs: Proto.IP, num: (f) => f.data[f.ipAt + 8], max: 0xff }],
  ['ip.proto', { type: 'uint', needs: Proto.IP, num: (f) => f.data[f.ipAt + 9], max: 0xff }],
  ['ip.id', { type: 'uint', needs: Proto.IP, num: (f) => u16(f.data, f.ipAt + 4), max: 0xffff }],
  ['ip.len', { type: 'uint', needs: Proto.IP, num: (f) => u16(f.data, f.ipAt + 2), max: 0xffff }],
  ['ip.hdr_len', { type: 'uint', needs: Proto.IP, num: (f) => ((f.data[f.ipAt] ?? 0) & 0x0f) * 4, max: 60 }],
  ['ip.flags.df', { type: 'bool', needs: Proto.IP, num: (f) => (u16(f.data, f.ipAt + 6) >>> 14) & 1, max: 1 }],
  ['ip.flags.mf', { type: 'bool', needs: Proto.IP, num: (f) => (u16(f.data, f.ipAt + 6) >>> 13) & 1, max: 1 }],
  ['ipv6', { type: 'proto', needs: Proto.IPV6 }],
  ['ipv6.src', { type: 'ipv6', needs: Proto.IPV6, at: (f) => f.ipAt + 8 }],
  ['ipv6.dst', { type: 'ipv6', needs: Proto.IPV6, at: (f) => f.ipAt + 24 }],
  ['ipv6.addr', { type: 'ipv6', needs: Proto.IPV6, at: (f) => f.ipAt + 8, at2: (f) => f.ipAt + 24 }],
  ['ipv6.hlim', { type: 'uint', needs: Proto.IPV6, num: (f) => f.data[f.ipAt + 7], max: 0xff }],
  ['ipv6.nxt', { type: 'uint', needs: Proto.IPV6, num: (f) => f.data[f.ipAt + 6], max: 0xff }],
  ['ipv6.plen', { type: 'uint', needs: Proto.IPV6, num: (f) => u16(f.data, f.ipAt + 4), max: 0xffff }],
  ['tcp', { type: 'proto', needs: Proto.TCP }],
  ['tcp.srcport', { type: 'uint', needs: Proto.TCP, num: (f) => f.srcPort, max: 0xffff }],
  ['tcp.dstport', { type: 'uint', needs: Proto.TCP, num: (f) => f.dstPort, max: 0xffff }],
  ['tcp.port', { type: 'uint', needs: Proto.TCP, num: (f) => f.srcPort, num2: (f) => f.dstPort, max: 0xffff }],
  ['tcp.seq', { type: 'uint', needs: Proto.TCP, num: (f) => u32(f.data, f.l4At + 4), max: U32 }],
  ['tcp.seq_raw', { type: 'uint', needs: Proto.TCP, num: (f) => u32(f.data, f.l4At + 4), max: U32 }],
  ['tcp.ack', { type: 'uint', needs: Proto.TCP, num: (f) => u32(f.data, f.l4At + 8), max: U32 }],
  ['tcp.ack_raw', { type: 'uint', needs: Proto.TCP, num: (f) => u32(f.data, f.l4At + 8), max: U32 }],
  ['tcp.len', { type: 'uint', needs: Proto.TCP, num: (f) => f.tcpLen, max: U32 }],
  ['tcp.hdr_len', { type: 'uint', needs: Proto.TCP, num: (f) => ((f.data[f.l4At + 12] ?? 0) >>> 4) * 4, max: 60 }],
  ['tcp.window_size_value', { type: 'uint', needs: Proto.TCP, num: (f) => u16(f.data, f.l4At + 14), max: 0xffff }],
  ['tcp.checksum', { type: 'uint', needs: Proto.TCP, num: (f) => u16(f.data, f.l4At + 16), max: 0xffff }],
  ['tcp.urgent_pointer', { type: 'uint', needs: Proto.TCP, num: (f) => u16(f.data, f.l4At + 18), max: 0xffff }],
  ['tcp.flags', { type: 'uint', needs: Proto.TCP, num: (f) => f.tcpFlags, max: 0xfff }],
  ['tcp.flags.fin', flag(0x001)],
  ['tcp.flags.syn', flag(0x002)],
  ['tcp.flags.reset', flag(0x004)],
  ['tcp.flags.rst', flag(0x004)],
  ['tcp.flags.push', flag(0x008)],
  ['tcp.flags.psh', flag(0x008)],
  ['tcp.flags.ack', flag(0x010)],
  ['tcp.flags.urg', flag(0x020)],
  ['tcp.flags.ece', flag(0x040)],
  ['tcp.flags.cwr', flag(0x080)],
  ['tcp.flags.ae', flag(0x100)],
  ['tcp.stream', { type: 'uint', needs: Proto.TCP, num: (f) => (f.conn < 0 ? undefined : f.conn), max: U32 }],
  ['conn', { type: 'uint', needs: Proto.TCP, num: (f) => (f.conn < 0 ? undefined : f.conn), max: U32 }],
  ['udp', { type: 'proto', needs: Proto.UDP }],
  ['udp.srcport', { type: 'uint', needs: Proto.UDP, num: (f) => f.srcPort, max: 0xffff }],
  ['udp.dstport', { type: 'uint', needs: Proto.UDP, num: (f) => f.dstPort, max: 0xffff }],
  ['udp.port', { type: 'uint', needs: Proto.UDP, num: (f) => f.srcPort, num2: (f) => f.dstPort, max: 0xffff }],
  ['udp.length', { type: 'uint', needs: Proto.UDP, num: (f) => u16(f.data, f.l4At + 4), max: 0xffff }],
  ['icmp', { type: 'proto', needs: Proto.ICMP }],
  ['icmp.type', { type: 'uint', needs: Proto.ICMP, num: (f) => f.data[f.l4At], max: 0xff }],
  ['icmp.code', { type: 'uint', needs: Proto.ICMP, num: (f) => f.data[f.l4At + 1], max: 0xff }],
  ['icmpv6', { type: 'proto', needs: Proto.ICMPV6 }],
  ['icmpv6.type', { type: 'uint', needs: Proto.ICMPV6, num: (f) => f.data[f.l4At], max: 0xff }],
  ['icmpv6.code', { type: 'uint', needs: Proto.ICMPV6, num: (f) => f.data[f.l4At + 1], max: 0xff }],
]);

/** Every field and protocol name the filter knows, sorted. */
export const FILTER_FIELD_NAMES: readonly string[] = [...FIELDS.keys()].sort();

const EMPTY = new Uint8Array(0);

/**
 * The fields of one frame that filters read: which protocols it has and where their headers start.
 * Reusable: `load` overwrites everything, so one object serves a million frames without garbage.
 */
export class FilterFields {
  data: Uint8Array = EMPTY;
  frame = 0;
  len = 0;
  capLen = 0;
  /** Connection id (tcp.stream), -1 when unknown. */
  conn = -1;
  protocols = 0;
  etherType = 0;
  vlanId = 0;
  arpOp = 0;
  /** Offset of the IPv4 or IPv6 header. */
  ipAt = 0;
  /** Offset of the TCP/UDP/ICMP header. */
  l4At = 0;
  srcPort = 0;
  dstPort = 0;
  tcpFlags = 0;
  tcpLen = 0;

  /** Read the frame's headers. The protocols found are those dissect() finds. Never throws. */
  load(input: FrameInput, conn = -1): this {
    const d = input.data;
    this.data = d;
    this.frame = input.frame;
    this.len = input.originalLength;
    this.capLen = input.capturedLength;
    this.conn = conn;
    this.protocols = 0;
    this.etherType = 0;
    const link = decodeLink(input.linkType, d);
    if (!link.ok) return this;
    if (link.next === 'ethernet') {
      // EthernetFrame.check: 14 bytes, and every VLAN tag and the inner EtherType present.
      if (d.length < 14) return this;
      let at = 12;
      let et = u16(d, 12);
      let tags = 0;
      while (isVlanTpid(et)) {
        if (tags === 0) this.vlanId = u16(d, at + 2) & 0x0fff;
        tags++;
        at += 4;
        if (d.length < at + 2) return this;
        et = u16(d, at);
      }
      this.protocols = Proto.ETH | (tags > 0 ? Proto.VLAN : 0);
      this.etherType = et;
      this.network(et, at + 2);
    } else {
      this.etherType = link.etherType;
      this.network(link.etherType, link.offset);
    }
    return this;
  }

  private network(etherType: number, at: number): void {
    const d = this.data;
    const avail = d.length - at;
    if (etherType === EtherType.IPV4) {
      if (avail < 20 || (d[at] ?? 0) >>> 4 !== 4) return;
      const hl = ((d[at] ?? 0) & 0x0f) * 4;
      if (hl < 20 || hl > avail) return;
      this.protocols |= Proto.IP;
      this.ipAt = at;
      const total = u16(d, at + 2);
      const declared = total === 0 ? avail : total;
      if (declared < hl) return;
      // A non-first fragment carries no transport header (dissect.ts: data).
      if ((u16(d, at + 6) & 0x1fff) !== 0) return;
      this.transport(d[at + 9] ?? 0, at + hl, declared - hl, Math.min(declared, avail) - hl);
    } else if (etherType === EtherType.IPV6) {
      if (avail < 40 || (d[at] ?? 0) >>> 4 !== 6) return;
      this.protocols |= Proto.IPV6;
      this.ipAt = at;
      const declared = 40 + u16(d, at + 4);
      const end = Math.min(declared, avail);
      // The extension-header chain, as walkIpv6Chain walks it (lengths only).
      let next = d[at + 6] ?? 0;
      let off = 40;
      let first = true;
      while (isIpv6ExtensionHeader(next) && next !== 50) {
        if (next === 0 && !first) return;
        if (off + 8 > end) return;
        const len = next === 44 ? 8 : next === 51 ? ((d[at + off + 1] ?? 0) + 2) * 4 : ((d[at + off + 1] ?? 0) + 1) * 8;
        if (off + len > end) return;
        if (next === 44 && (u16(d, at + off + 2) & 0xfff8) !== 0) return; // non-first fragment
        next = d[at + off] ?? 0;
        off += len;
        first = false;
      }
      if (next === 59 || next === 50) return;
      this.transport(next, at + off, declared - off, end - off);
    } else if (etherType === EtherType.ARP) {
      // ArpPacket.check: 8 fixed bytes and the four addresses.
      if (avail < 8) return;
      const n = 8 + 2 * ((d[at + 4] ?? 0) + (d[at + 5] ?? 0));
      if (avail < n) return;
      this.protocols |= Proto.ARP;
      this.arpOp = u16(d, at + 6);
    }
  }

  private transport(protocol: number, at: number, declared: number, captured: number): void {
    const d = this.data;
    this.l4At = at;
    if (protocol === IpProtocol.TCP) {
      if (captured < 20) return;
      this.protocols |= Proto.TCP;
      this.srcPort = u16(d, at);
      this.dstPort = u16(d, at + 2);
      this.tcpFlags = u16(d, at + 12) & 0x0fff;
      const hl = ((d[at + 12] ?? 0) >>> 4) * 4;
      this.tcpLen = hl < 20 ? 0 : Math.max(0, declared - hl);
    } else if (protocol === IpProtocol.UDP) {
      if (captured < 8) return;
      this.protocols |= Proto.UDP;
      this.srcPort = u16(d, at);
      this.dstPort = u16(d, at + 2);
    } else if (protocol === IpProtocol.ICMP || protocol === IpProtocol.ICMPV6) {
      if (captured < 4) return;
      // dissect.ts decodes ICMP in either IP version by the protocol number alone.
      this.protocols |= protocol === IpProtocol.ICMP ? Proto.ICMP : Proto.ICMPV6;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Syntax tree

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** A literal, converted for its field: a number, or address bytes with a prefix length. */
export type FilterValue = { readonly kind: 'num'; readonly value: number } | { readonly kind: 'addr'; readonly bytes: Uint8Array; readonly prefix: number };

export type FilterExpr =
  | { readonly kind: 'all' }
  | { readonly kind: 'has'; readonly field: string }
  | { readonly kind: 'cmp'; readonly field: string; readonly op: CompareOp; readonly value: FilterValue }
  | { readonly kind: 'in'; readonly field: string; readonly ranges: readonly (readonly [number, number])[] }
  | { readonly kind: 'not'; readonly expr: FilterExpr }
  | { readonly kind: 'and' | 'or'; readonly left: FilterExpr; readonly right: FilterExpr };

/** Longest filter text accepted, and deepest nesting of parentheses and `!`. */
export const MAX_FILTER_LENGTH = 4096;
const MAX_DEPTH = 64;

type TokKind = 'ident' | 'word' | 'op' | 'and' | 'or' | 'not' | 'lparen' | 'rparen' | 'lbrace' | 'rbrace' | 'range' | 'in' | 'end';

interface Token {
  readonly kind: TokKind;
  readonly text: string;
  readonly pos: number;
}

const WORD_OPS: Readonly<Record<string, CompareOp>> = { eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' };

/** Characters that end a value word. */
function endsWord(c: string): boolean {
  return /[\s()&|!{}=<>,]/.test(c);
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '&&' || two === '||') {
      out.push({ kind: two === '&&' ? 'and' : 'or', text: two, pos: i });
      i += 2;
      continue;
    }
    if (two === '==' || two === '!=' || two === '<=' || two === '>=') {
      out.push({ kind: 'op', text: two, pos: i });
      i += 2;
      continue;
    }
    if (two === '..') {
      out.push({ kind: 'range', text: two, pos: i });
      i += 2;
      continue;
    }
    if (c === '<' || c === '>') {
      out.push({ kind: 'op', text: c, pos: i });
      i++;
      continue;
    }
    if (c === '!') {
      out.push({ kind: 'not', text: c, pos: i });
      i++;
      continue;
    }
    if (c === '=') throw new FilterError(`'=' is not an operator; did you mean '=='?`, i);
    if (c === '&' || c === '|') throw new FilterError(`'${c}' is not an operator; did you mean '${c}${c}'?`, i);
    if (c === '(' || c === ')' || c === '{' || c === '}') {
      out.push({ kind: c === '(' ? 'lparen' : c === ')' ? 'rparen' : c === '{' ? 'lbrace' : 'rbrace', text: c, pos: i });
      i++;
      continue;
    }
    if (c === ',') {
      // Wireshark allows commas between set members; treat as whitespace inside braces.
      i++;
      continue;
    }
    // A word: a field name, a keyword, or a value (number, address). Stops at a '..' range.
    let j = i;
    while (j < n && !endsWord(text[j] as string) && !(text[j] === '.' && text[j + 1] === '.')) j++;
    const w = text.slice(i, j);
    const lower = w.toLowerCase();
    if (lower === 'and' || lower === 'or' || lower === 'not' || lower === 'in') out.push({ kind: lower, text: w, pos: i });
    else if (WORD_OPS[lower] !== undefined) out.push({ kind: 'op', text: WORD_OPS[lower], pos: i });
    else if (/^[A-Za-z_][A-Za-z0-9_.]*$/.test(w)) out.push({ kind: 'ident', text: w, pos: i });
    else out.push({ kind: 'word', text: w, pos: i });
    i = j;
  }
  out.push({ kind: 'end', text: '', pos: n });
  return out;
}

/** Levenshtein distance, for "did you mean" (short strings only). */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] as number;
}

function suggest(name: string): string {
  let best: string | undefined;
  let bestD = 3;
  for (const f of FIELDS.keys()) {
    const dd = distance(name.toLowerCase(), f);
    if (dd < bestD) {
      bestD = dd;
      best = f;
    }
  }
  return best === undefined ? '' : `; did you mean ${best}?`;
}

function describe(t: Token): string {
  return t.kind === 'end' ? 'the end of the filter' : `'${t.text}'`;
}

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly toks: readonly Token[]) {}

  private peek(): Token {
    return this.toks[this.i] as Token;
  }
  private next(): Token {
    const t = this.toks[this.i] as Token;
    if (t.kind !== 'end') this.i++;
    return t;
  }

  parse(): FilterExpr {
    const e = this.or();
    const t = this.peek();
    if (t.kind !== 'end') {
      if (t.kind === 'rparen') throw new FilterError(`')' without a matching '('`, t.pos);
      throw new FilterError(`expected '&&', '||' or the end of the filter, found ${describe(t)}`, t.pos, t.text.length);
    }
    return e;
  }

  private or(): FilterExpr {
    let left = this.and();
    while (this.peek().kind === 'or') {
      const op = this.next();
      left = { kind: 'or', left, right: this.operand(op, () => this.and()) };
    }
    return left;
  }

  private and(): FilterExpr {
    let left = this.unary();
    while (this.peek().kind === 'and') {
      const op = this.next();
      left = { kind: 'and', left, right: this.operand(op, () => this.unary()) };
    }
    return left;
  }

  /** The right operand of `op`, with a clear message when it is missing. */
  private operand(op: Token, parse: () => FilterExpr): FilterExpr {
    const t = this.peek();
    if (t.kind === 'end' || t.kind === 'rparen' || t.kind === 'and' || t.kind === 'or') {
      throw new FilterError(`expected a field, a protocol, '!' or '(' after '${op.text}', found ${describe(t)}`, t.pos, t.text.length);
    }
    return parse();
  }

  private unary(): FilterExpr {
    const t = this.peek();
    if (t.kind === 'not') {
      this.next();
      this.enter(t);
      const e = this.operand(t, () => this.unary());
      this.depth--;
      return { kind: 'not', expr: e };
    }
    return this.primary();
  }

  private enter(t: Token): void {
    if (++this.depth > MAX_DEPTH) throw new FilterError(`filter nests deeper than ${MAX_DEPTH} levels`, t.pos);
  }

  private primary(): FilterExpr {
    const t = this.next();
    if (t.kind === 'lparen') {
      this.enter(t);
      const e = this.operand(t, () => this.or());
      const close = this.next();
      if (close.kind !== 'rparen') throw new FilterError(`missing ')' for the '(' at column ${t.pos + 1}; found ${describe(close)}`, close.pos, close.text.length);
      this.depth--;
      return e;
    }
    if (t.kind === 'ident') return this.comparison(t);
    if (t.kind === 'word') {
      if (/^[0-9]/.test(t.text)) throw new FilterError(`expected a field or protocol name, found the value '${t.text}'`, t.pos, t.text.length);
      throw new FilterError(`'${t.text}' is not a field or protocol name`, t.pos, t.text.length);
    }
    if (t.kind === 'end') throw new FilterError('expected a field, a protocol, \'!\' or \'(\', found the end of the filter', t.pos);
    throw new FilterError(`expected a field, a protocol, '!' or '(', found ${describe(t)}`, t.pos, t.text.length);
  }

  private comparison(name: Token): FilterExpr {
    const field = name.text.toLowerCase();
    const def = FIELDS.get(field);
    if (def === undefined) throw new FilterError(`'${name.text}' is not a field or protocol I know${suggest(name.text)}`, name.pos, name.text.length);
    const t = this.peek();
    if (t.kind === 'in') {
      this.next();
      return this.set(field, def, t);
    }
    if (t.kind !== 'op') return { kind: 'has', field };
    this.next();
    const op = t.text as CompareOp;
    if (def.type === 'proto') throw new FilterError(`'${field}' is a protocol; it takes no comparison (write '${field}' alone)`, t.pos, t.text.length);
    const v = this.next();
    if (v.kind !== 'word' && v.kind !== 'ident') throw new FilterError(`expected a value after '${t.text}', found ${describe(v)}`, v.pos, v.text.length);
    const value = literal(field, def, v);
    if (value.kind === 'addr' && op !== '==' && op !== '!=') throw new FilterError(`${field} is an address: only '==' and '!=' compare it`, t.pos, t.text.length);
    return { kind: 'cmp', field, op, value };
  }

  private set(field: string, def: FieldDef, inTok: Token): FilterExpr {
    if (def.type !== 'uint' && def.type !== 'bool') throw new FilterError(`'in' takes a number field; ${field} is ${def.type === 'proto' ? 'a protocol' : 'an address'}`, inTok.pos, 2);
    const open = this.next();
    if (open.kind !== 'lbrace') throw new FilterError(`expected '{' after 'in', found ${describe(open)}`, open.pos, open.text.length);
    const ranges: [number, number][] = [];
    for (;;) {
      const t = this.next();
      if (t.kind === 'rbrace') break;
      if (t.kind !== 'word' && t.kind !== 'ident') throw new FilterError(`expected a value or '}' in the set, found ${describe(t)}`, t.pos, t.text.length);
      const lo = numberLiteral(field, def, t);
      let hi = lo;
      if (this.peek().kind === 'range') {
        this.next();
        const u = this.next();
        if (u.kind !== 'word' && u.kind !== 'ident') throw new FilterError(`expected a value after '..', found ${describe(u)}`, u.pos, u.text.length);
        hi = numberLiteral(field, def, u);
        if (hi < lo) throw new FilterError(`range ${lo}..${hi} is empty`, t.pos, u.pos + u.text.length - t.pos);
      }
      ranges.push([lo, hi]);
      if (ranges.length > 1024) throw new FilterError('a set holds at most 1024 members', t.pos);
    }
    if (ranges.length === 0) throw new FilterError('the set is empty', open.pos);
    return { kind: 'in', field, ranges };
  }
}

function numberLiteral(field: string, def: FieldDef, t: Token): number {
  const s = t.text.toLowerCase();
  let v: number;
  if (def.type === 'bool' && (s === 'true' || s === 'false')) v = s === 'true' ? 1 : 0;
  else if (/^0x[0-9a-f]+$/.test(s)) v = parseInt(s.slice(2), 16);
  else if (/^[0-9]+$/.test(s)) v = Number(s);
  else throw new FilterError(`${field} wants a number, and '${t.text}' is not one`, t.pos, t.text.length);
  const max = def.max ?? U32;
  if (!Number.isSafeInteger(v) || v > max) throw new FilterError(`${field}: ${t.text} is out of range (0..${max})`, t.pos, t.text.length);
  return v;
}

function literal(field: string, def: FieldDef, t: Token): FilterValue {
  const text = t.text;
  if (def.type === 'uint' || def.type === 'bool') return { kind: 'num', value: numberLiteral(field, def, t) };
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const maxPrefix = def.type === 'ipv4' ? 32 : def.type === 'ipv6' ? 128 : 48;
  let prefix = maxPrefix;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (def.type === 'mac' || !/^[0-9]{1,3}$/.test(p) || Number(p) > maxPrefix) {
      throw new FilterError(`${field}: '/${p}' is not a prefix length (0..${maxPrefix})`, t.pos + slash, text.length - slash);
    }
    prefix = Number(p);
  }
  if (def.type === 'ipv4') {
    const r = parseIpv4Address(addrText);
    if (!r.ok) throw new FilterError(`${field} wants an IPv4 address, and '${addrText}' is not one`, t.pos, addrText.length);
    const a = r.value;
    return { kind: 'addr', bytes: new Uint8Array([a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff]), prefix };
  }
  if (def.type === 'ipv6') {
    const r = parseIpv6Address(addrText);
    if (!r.ok) throw new FilterError(`${field} wants an IPv6 address, and '${addrText}' is not one`, t.pos, addrText.length);
    return { kind: 'addr', bytes: r.value, prefix };
  }
  const r = parseMac(addrText.replace(/-/g, ':'));
  if (!r.ok) throw new FilterError(`${field} wants a MAC address like 00:11:22:33:44:55, and '${addrText}' is not one`, t.pos, addrText.length);
  return { kind: 'addr', bytes: r.value, prefix };
}

/** Parse a display filter. Blank text is the filter that shows everything. Throws FilterError. */
export function parseFilter(text: string): FilterExpr {
  if (text.length > MAX_FILTER_LENGTH) throw new FilterError(`filter is longer than ${MAX_FILTER_LENGTH} characters`, MAX_FILTER_LENGTH);
  if (text.trim() === '') return { kind: 'all' };
  return new Parser(tokenize(text)).parse();
}

// ---------------------------------------------------------------------------------------------
// Evaluation

type Pred = (f: FilterFields) => boolean;

function compare(op: CompareOp, a: number, b: number): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

/** The first `prefix` bits of the address at d[at] equal those of `want`. */
function addrMatch(d: Uint8Array, at: number, want: Uint8Array, prefix: number): boolean {
  if (at + want.length > d.length) return false;
  let bits = prefix;
  for (let i = 0; i < want.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((d[at + i] as number) & mask) !== ((want[i] as number) & mask)) return false;
  }
  return true;
}

function compileExpr(e: FilterExpr): Pred {
  switch (e.kind) {
    case 'all':
      return () => true;
    case 'not': {
      const p = compileExpr(e.expr);
      return (f) => !p(f);
    }
    case 'and': {
      const l = compileExpr(e.left);
      const r = compileExpr(e.right);
      return (f) => l(f) && r(f);
    }
    case 'or': {
      const l = compileExpr(e.left);
      const r = compileExpr(e.right);
      return (f) => l(f) || r(f);
    }
    case 'has': {
      const def = FIELDS.get(e.field) as FieldDef;
      const needs = def.needs;
      const num = def.num;
      // A number field exists when its protocol does and its value is known (conn ids may not be).
      if (num !== undefined) return (f) => (f.protocols & needs) === needs && num(f) !== undefined;
      return (f) => (f.protocols & needs) === needs;
    }
    case 'in': {
      const def = FIELDS.get(e.field) as FieldDef;
      const needs = def.needs;
      const ranges = e.ranges;
      const inSet = (v: number | undefined): boolean => v !== undefined && ranges.some(([lo, hi]) => v >= lo && v <= hi);
      const a = def.num as (f: FilterFields) => number | undefined;
      const b = def.num2;
      return (f) => (f.protocols & needs) === needs && (inSet(a(f)) || (b !== undefined && inSet(b(f))));
    }
    case 'cmp': {
      const def = FIELDS.get(e.field) as FieldDef;
      const needs = def.needs;
      const v = e.value;
      const negate = e.op === '!=';
      if (v.kind === 'addr') {
        const at = def.at as (f: FilterFields) => number;
        const at2 = def.at2;
        const { bytes, prefix } = v;
        const eq = (f: FilterFields): boolean => addrMatch(f.data, at(f), bytes, prefix) || (at2 !== undefined && addrMatch(f.data, at2(f), bytes, prefix));
        return negate ? (f) => (f.protocols & needs) === needs && !eq(f) : (f) => (f.protocols & needs) === needs && eq(f);
      }
      const a = def.num as (f: FilterFields) => number | undefined;
      const b = def.num2;
      const want = v.value;
      const op: CompareOp = negate ? '==' : e.op;
      const any = (f: FilterFields): boolean => {
        const x = a(f);
        if (x !== undefined && compare(op, x, want)) return true;
        if (b === undefined) return false;
        const y = b(f);
        return y !== undefined && compare(op, y, want);
      };
      if (!negate) return (f) => (f.protocols & needs) === needs && any(f);
      return (f) => (f.protocols & needs) === needs && a(f) !== undefined && !any(f);
    }
  }
}

function uses(e: FilterExpr, names: readonly string[]): boolean {
  switch (e.kind) {
    case 'all':
      return false;
    case 'not':
      return uses(e.expr, names);
    case 'and':
    case 'or':
      return uses(e.left, names) || uses(e.right, names);
    default:
      return names.includes(e.field);
  }
}

export interface CompiledFilter {
  readonly text: string;
  readonly expr: FilterExpr;
  /** True for the blank filter (everything matches). */
  readonly all: boolean;
  /** The filter reads connection ids (`conn`, `tcp.stream`): the caller must supply them. */
  readonly needsConn: boolean;
  matches(fields: FilterFields): boolean;
}

/** Parse and compile. Throws FilterError. */
export function compileFilter(text: string): CompiledFilter {
  const expr = parseFilter(text);
  const pred = compileExpr(expr);
  return { text, expr, all: expr.kind === 'all', needsConn: uses(expr, ['conn', 'tcp.stream']), matches: pred };
}

/** Check a filter's syntax: undefined when it parses, else the error. */
export function filterError(text: string): FilterError | undefined {
  try {
    parseFilter(text);
    return undefined;
  } catch (e) {
    if (e instanceof FilterError) return e;
    throw e;
  }
}
