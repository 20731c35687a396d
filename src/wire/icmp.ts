/**
 * ICMPv4 (RFC 792) and ICMPv6 (RFC 4443, RFC 4861 neighbor discovery): enough to name a message and
 * verify its checksum. Both share one shape: type, code, checksum, a 32-bit "rest of header"
 * (identifier+sequence, MTU, pointer, gateway, reserved/flags...) and a body.
 *
 * Invariant: after `check()` succeeds the 8-byte header lies inside the bytes. The ICMPv4 checksum
 * covers the message; the ICMPv6 checksum also covers the IPv6 pseudo-header (RFC 4443 2.3).
 */
import { type FieldTable, checkBuffer, checkUint, copyInto, put16, put32, put8, u16, u32, u8 } from './bytes.js';
import { checksumAdd, checksumFinish, internetChecksum } from './checksum.js';
import { type IpAddressPair, pseudoHeaderSum } from './ip.js';
import { formatIpv4Address } from './ipv4.js';
import { formatIpv6Address } from './ipv6.js';
import { type ParseResult, WireError, WireErrorCode, fail, ok } from './result.js';

/** Same layout for ICMPv4 and ICMPv6. `rest` is the second 32-bit word, read per type. */
export const ICMP_FIELDS = {
  type: [0, 1],
  code: [1, 1],
  checksum: [2, 2],
  rest: [4, 4],
  identifier: [4, 2],
  sequence: [6, 2],
} as const satisfies FieldTable;

export const ICMP_HEADER_LEN = 8;

export const Icmpv4Type = {
  ECHO_REPLY: 0,
  DEST_UNREACHABLE: 3,
  SOURCE_QUENCH: 4,
  REDIRECT: 5,
  ECHO_REQUEST: 8,
  ROUTER_ADVERTISEMENT: 9,
  ROUTER_SOLICITATION: 10,
  TIME_EXCEEDED: 11,
  PARAMETER_PROBLEM: 12,
  TIMESTAMP: 13,
  TIMESTAMP_REPLY: 14,
} as const;

export const Icmpv6Type = {
  DEST_UNREACHABLE: 1,
  PACKET_TOO_BIG: 2,
  TIME_EXCEEDED: 3,
  PARAMETER_PROBLEM: 4,
  ECHO_REQUEST: 128,
  ECHO_REPLY: 129,
  MLD_QUERY: 130,
  MLD_REPORT: 131,
  MLD_DONE: 132,
  ROUTER_SOLICITATION: 133,
  ROUTER_ADVERTISEMENT: 134,
  NEIGHBOR_SOLICITATION: 135,
  NEIGHBOR_ADVERTISEMENT: 136,
  REDIRECT: 137,
  MLDV2_REPORT: 143,
} as const;

const V4_TYPES: ReadonlyMap<number, string> = new Map([
  [0, 'echo reply'],
  [3, 'destination unreachable'],
  [4, 'source quench'],
  [5, 'redirect'],
  [8, 'echo request'],
  [9, 'router advertisement'],
  [10, 'router solicitation'],
  [11, 'time exceeded'],
  [12, 'parameter problem'],
  [13, 'timestamp request'],
  [14, 'timestamp reply'],
]);

const V4_CODES: ReadonlyMap<number, readonly string[]> = new Map([
  [
    3,
    [
      'net unreachable',
      'host unreachable',
      'protocol unreachable',
      'port unreachable',
      'fragmentation needed',
      'source route failed',
      'destination network unknown',
      'destination host unknown',
      'source host isolated',
      'network administratively prohibited',
      'host administratively prohibited',
      'network unreachable for TOS',
      'host unreachable for TOS',
      'communication administratively prohibited',
      'host precedence violation',
      'precedence cutoff in effect',
    ],
  ],
  [5, ['redirect for network', 'redirect for host', 'redirect for TOS and network', 'redirect for TOS and host']],
  [11, ['time to live exceeded in transit', 'fragment reassembly time exceeded']],
  [12, ['pointer indicates the error', 'missing a required option', 'bad length']],
]);

const V6_TYPES: ReadonlyMap<number, string> = new Map([
  [1, 'destination unreachable'],
  [2, 'packet too big'],
  [3, 'time exceeded'],
  [4, 'parameter problem'],
  [128, 'echo request'],
  [129, 'echo reply'],
  [130, 'multicast listener query'],
  [131, 'multicast listener report'],
  [132, 'multicast listener done'],
  [133, 'router solicitation'],
  [134, 'router advertisement'],
  [135, 'neighbor solicitation'],
  [136, 'neighbor advertisement'],
  [137, 'redirect'],
  [143, 'multicast listener report v2'],
]);

const V6_CODES: ReadonlyMap<number, readonly string[]> = new Map([
  [
    1,
    [
      'no route to destination',
      'administratively prohibited',
      'beyond scope of source address',
      'address unreachable',
      'port unreachable',
      'source address failed ingress/egress policy',
      'reject route to destination',
    ],
  ],
  [3, ['hop limit exceeded in transit', 'fragment reassembly time exceeded']],
  [4, ['erroneous header field', 'unrecognized next header', 'unrecognized IPv6 option']],
]);

/** "echo request", "destination unreachable", ... or undefined. */
export function icmpv4TypeName(type: number): string | undefined {
  return V4_TYPES.get(type);
}
export function icmpv4CodeName(type: number, code: number): string | undefined {
  return V4_CODES.get(type)?.[code];
}
export function icmpv6TypeName(type: number): string | undefined {
  return V6_TYPES.get(type);
}
export function icmpv6CodeName(type: number, code: number): string | undefined {
  return V6_CODES.get(type)?.[code];
}

/** Common view of an ICMP message (both versions). */
abstract class IcmpView {
  readonly bytes: Uint8Array;
  protected abstract readonly label: string;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  check(): WireError | undefined {
    if (this.bytes.length < ICMP_HEADER_LEN) {
      return new WireError(WireErrorCode.TRUNCATED, `${this.label} header needs 8 bytes, have ${this.bytes.length}`, this.bytes.length);
    }
    return undefined;
  }

  get type(): number {
    return u8(this.bytes, 0);
  }
  set type(v: number) {
    put8(this.bytes, 0, v);
  }
  get code(): number {
    return u8(this.bytes, 1);
  }
  set code(v: number) {
    put8(this.bytes, 1, v);
  }
  get checksum(): number {
    return u16(this.bytes, 2);
  }
  set checksum(v: number) {
    put16(this.bytes, 2, v);
  }
  /** The second 32-bit word (identifier+sequence for echo, MTU for packet too big, ...). */
  get rest(): number {
    return u32(this.bytes, 4);
  }
  set rest(v: number) {
    put32(this.bytes, 4, v);
  }
  get identifier(): number {
    return u16(this.bytes, 4);
  }
  get sequence(): number {
    return u16(this.bytes, 6);
  }
  get payload(): Uint8Array {
    return this.bytes.subarray(Math.min(ICMP_HEADER_LEN, this.bytes.length));
  }
}

export interface IcmpRepr {
  readonly type: number;
  readonly code: number;
  /** The second 32-bit word as an unsigned number. */
  readonly rest: number;
  /** The body after the 8-byte header; aliases the parsed bytes. */
  readonly payload: Uint8Array;
}

/** Zero-copy view of an ICMPv4 message. */
export class Icmpv4Packet extends IcmpView {
  protected override readonly label = 'ICMPv4';

  verifyChecksum(): boolean {
    return internetChecksum(this.bytes) === 0;
  }
  fillChecksum(): void {
    this.checksum = 0;
    this.checksum = internetChecksum(this.bytes);
  }
  override toString(): string {
    const r = parseIcmpv4(this, { verifyChecksum: false });
    return r.ok ? icmpv4ToString(r.value) : `[ICMP: ${r.error.message}]`;
  }
}

/** The ICMPv6 checksum of `message` under the IPv6 pseudo-header of `ip` (0 over a correct message). */
export function icmpv6Checksum(message: Uint8Array, ip: IpAddressPair): number {
  return checksumFinish(checksumAdd(pseudoHeaderSum(ip, 58, message.length), message));
}

/** Zero-copy view of an ICMPv6 message. */
export class Icmpv6Packet extends IcmpView {
  protected override readonly label = 'ICMPv6';

  verifyChecksum(ip: IpAddressPair): boolean {
    return icmpv6Checksum(this.bytes, ip) === 0;
  }
  fillChecksum(ip: IpAddressPair): void {
    this.checksum = 0;
    this.checksum = icmpv6Checksum(this.bytes, ip);
  }
  /** The target address of a neighbor solicitation/advertisement or redirect (bytes 8-24). */
  get target(): Uint8Array {
    return this.bytes.subarray(8, 24);
  }
  override toString(): string {
    const r = parseIcmpv6(this);
    return r.ok ? icmpv6ToString(r.value) : `[ICMP6: ${r.error.message}]`;
  }
}

function reprOf(view: IcmpView): IcmpRepr {
  return { type: view.type, code: view.code, rest: view.rest, payload: view.payload };
}

/** Parse; the checksum is verified unless `verifyChecksum` is false. */
export function parseIcmpv4(view: Icmpv4Packet, options: { readonly verifyChecksum?: boolean } = {}): ParseResult<IcmpRepr> {
  const err = view.check();
  if (err !== undefined) return { ok: false, error: err };
  if ((options.verifyChecksum ?? true) && !view.verifyChecksum()) {
    return fail(WireErrorCode.BAD_CHECKSUM, `ICMP checksum 0x${view.checksum.toString(16).padStart(4, '0')} is wrong`, 2);
  }
  return ok(reprOf(view));
}

/** Parse; with `ip` the checksum (pseudo-header included) is verified. */
export function parseIcmpv6(view: Icmpv6Packet, ip?: IpAddressPair): ParseResult<IcmpRepr> {
  const err = view.check();
  if (err !== undefined) return { ok: false, error: err };
  if (ip !== undefined && !view.verifyChecksum(ip)) {
    return fail(WireErrorCode.BAD_CHECKSUM, `ICMPv6 checksum 0x${view.checksum.toString(16).padStart(4, '0')} is wrong`, 2);
  }
  return ok(reprOf(view));
}

export function icmpBufferLength(repr: IcmpRepr): number {
  return ICMP_HEADER_LEN + repr.payload.length;
}

function emitCommon(repr: IcmpRepr, buffer: Uint8Array, what: string): number {
  checkUint(repr.type, 0xff, `${what} type`);
  checkUint(repr.code, 0xff, `${what} code`);
  checkUint(repr.rest, 0xffffffff, `${what} rest of header`);
  const len = icmpBufferLength(repr);
  checkBuffer(buffer, len, `${what} message`);
  put8(buffer, 0, repr.type);
  put8(buffer, 1, repr.code);
  put16(buffer, 2, 0);
  put32(buffer, 4, repr.rest);
  copyInto(buffer, ICMP_HEADER_LEN, repr.payload);
  return len;
}

/** Write an ICMPv4 message with its checksum; returns its length. */
export function emitIcmpv4(repr: IcmpRepr, buffer: Uint8Array): number {
  const len = emitCommon(repr, buffer, 'ICMPv4');
  put16(buffer, 2, internetChecksum(buffer, 0, len));
  return len;
}

/** Write an ICMPv6 message with its checksum over the pseudo-header of `ip`; returns its length. */
export function emitIcmpv6(repr: IcmpRepr, buffer: Uint8Array, ip: IpAddressPair): number {
  const len = emitCommon(repr, buffer, 'ICMPv6');
  put16(buffer, 2, icmpv6Checksum(buffer.subarray(0, len), ip));
  return len;
}

/** The quoted IPv4 header (and transport ports) at the start of an ICMPv4 error's body (RFC 792). */
function quotedDatagram(body: Uint8Array): { dst: number; protocol: number; dstPort?: number } | undefined {
  if (body.length < 20 || (body[0] ?? 0) >>> 4 !== 4) return undefined;
  const ihl = ((body[0] ?? 0) & 0x0f) * 4;
  const protocol = body[9] ?? 0;
  const dst = u32(body, 16);
  return body.length >= ihl + 4 && ihl >= 20 ? { dst, protocol, dstPort: u16(body, ihl + 2) } : { dst, protocol };
}

function echoTail(repr: IcmpRepr): string {
  return `, id ${repr.rest >>> 16}, seq ${repr.rest & 0xffff}`;
}

/** "ICMP echo request, id 1, seq 2, length 64"; "ICMP destination unreachable (port unreachable), length 36". */
export function icmpv4ToString(repr: IcmpRepr): string {
  const len = icmpBufferLength(repr);
  const name = icmpv4TypeName(repr.type) ?? `type-#${repr.type}`;
  switch (repr.type) {
    case Icmpv4Type.ECHO_REQUEST:
    case Icmpv4Type.ECHO_REPLY:
      return `ICMP ${name}${echoTail(repr)}, length ${len}`;
    case Icmpv4Type.DEST_UNREACHABLE: {
      const quoted = quotedDatagram(repr.payload);
      if (quoted !== undefined && repr.code <= 4) {
        const dst = formatIpv4Address(quoted.dst);
        const proto = quoted.protocol === 6 ? 'tcp' : quoted.protocol === 17 ? 'udp' : undefined;
        let what: string | undefined;
        if (repr.code === 0) what = `net ${dst} unreachable`;
        else if (repr.code === 1) what = `host ${dst} unreachable`;
        else if (repr.code === 2) what = `${dst} protocol ${quoted.protocol} unreachable`;
        else if (repr.code === 3 && proto !== undefined && quoted.dstPort !== undefined) what = `${dst} ${proto} port ${quoted.dstPort} unreachable`;
        else if (repr.code === 4) what = `${dst} unreachable - need to frag (mtu ${repr.rest & 0xffff})`;
        if (what !== undefined) return `ICMP ${what}, length ${len}`;
      }
      const why = icmpv4CodeName(repr.type, repr.code) ?? `code ${repr.code}`;
      const mtu = repr.code === 4 ? `, mtu ${repr.rest & 0xffff}` : '';
      return `ICMP ${name} (${why})${mtu}, length ${len}`;
    }
    case Icmpv4Type.REDIRECT:
      return `ICMP ${name} (${icmpv4CodeName(repr.type, repr.code) ?? `code ${repr.code}`}) to ${formatIpv4Address(repr.rest)}, length ${len}`;
    default: {
      const why = icmpv4CodeName(repr.type, repr.code);
      return `ICMP ${name}${why !== undefined ? ` (${why})` : repr.code !== 0 ? ` code ${repr.code}` : ''}, length ${len}`;
    }
  }
}

/** "ICMP6, echo request, id 1, seq 2, length 64"; "ICMP6, neighbor solicitation, who has fe80::1, length 32". */
export function icmpv6ToString(repr: IcmpRepr): string {
  const len = icmpBufferLength(repr);
  const name = icmpv6TypeName(repr.type) ?? `type-#${repr.type}`;
  const target = (): string => (repr.payload.length >= 16 ? formatIpv6Address(repr.payload.subarray(0, 16)) : '?');
  switch (repr.type) {
    case Icmpv6Type.ECHO_REQUEST:
    case Icmpv6Type.ECHO_REPLY:
      return `ICMP6, ${name}${echoTail(repr)}, length ${len}`;
    case Icmpv6Type.PACKET_TOO_BIG:
      return `ICMP6, ${name}, mtu ${repr.rest}, length ${len}`;
    case Icmpv6Type.NEIGHBOR_SOLICITATION:
      return `ICMP6, ${name}, who has ${target()}, length ${len}`;
    case Icmpv6Type.NEIGHBOR_ADVERTISEMENT:
      return `ICMP6, ${name}, tgt is ${target()}, length ${len}`;
    default: {
      const why = icmpv6CodeName(repr.type, repr.code);
      return `ICMP6, ${name}${why !== undefined ? ` (${why})` : repr.code !== 0 ? ` code ${repr.code}` : ''}, length ${len}`;
    }
  }
}
