/**
 * Ethernet II frames (IEEE 802.3 with an EtherType >= 0x0600) with 802.1Q VLAN tags, stacked
 * 802.1ad (Q-in-Q) tags, and MAC addresses.
 *
 * Invariant: after `EthernetFrame.check()` succeeds, `headerLength` covers the two addresses, every
 * VLAN tag and the final EtherType, all inside the bytes. The frame check sequence is not expected
 * (captures and TAP devices strip it); trailing link padding is part of `payload`, the network layer
 * trims it by its own length field.
 */
import { type FieldTable, checkBuffer, checkBytes, checkUint, put16, toHex, u16 } from './bytes.js';
import { type ParseResult, WireError, WireErrorCode, fail, ok } from './result.js';

/** Well-known EtherTypes. Any other value is kept as a number. */
export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  WAKE_ON_LAN: 0x0842,
  RARP: 0x8035,
  VLAN: 0x8100,
  IPV6: 0x86dd,
  PPP: 0x880b,
  MPLS: 0x8847,
  MPLS_MULTICAST: 0x8848,
  PPPOE_DISCOVERY: 0x8863,
  PPPOE_SESSION: 0x8864,
  EAPOL: 0x888e,
  QINQ: 0x88a8,
  LLDP: 0x88cc,
  MACSEC: 0x88e5,
  /** Pre-standard Q-in-Q tag still seen on some switches. */
  QINQ_LEGACY: 0x9100,
} as const;

const ETHERTYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [0x0800, 'IPv4'],
  [0x0806, 'ARP'],
  [0x0842, 'Wake-on-LAN'],
  [0x8035, 'RARP'],
  [0x8100, '802.1Q'],
  [0x86dd, 'IPv6'],
  [0x880b, 'PPP'],
  [0x8847, 'MPLS unicast'],
  [0x8848, 'MPLS multicast'],
  [0x8863, 'PPPoE D'],
  [0x8864, 'PPPoE S'],
  [0x888e, 'EAPOL'],
  [0x88a8, '802.1Q-QinQ'],
  [0x88cc, 'LLDP'],
  [0x88e5, 'MACsec'],
  [0x9100, 'QinQ'],
]);

/** A readable name for an EtherType ("IPv4"), or undefined when unknown. */
export function etherTypeName(t: number): string | undefined {
  return ETHERTYPE_NAMES.get(t);
}

/** The tag protocol identifiers that announce a VLAN tag. */
export function isVlanTpid(t: number): boolean {
  return t === EtherType.VLAN || t === EtherType.QINQ || t === EtherType.QINQ_LEGACY;
}

/** Field table of the untagged header. With tags, `etherType` moves 4 bytes per tag (see `vlanTagOffset`). */
export const ETHERNET_FIELDS = {
  dst: [0, 6],
  src: [6, 6],
  etherType: [12, 2],
} as const satisfies FieldTable;

/** Field table of one VLAN tag, offsets from the tag's start (12 + 4*i for tag i). */
export const VLAN_TAG_FIELDS = {
  tpid: [0, 2],
  pcp: [2, 2, 0xe000],
  dei: [2, 2, 0x1000],
  vid: [2, 2, 0x0fff],
} as const satisfies FieldTable;

export const ETHERNET_HEADER_LEN = 14;
export const VLAN_TAG_LEN = 4;
/** Minimum frame length without FCS; shorter frames are padded by the sender. */
export const ETHERNET_MIN_FRAME_LEN = 60;

/** Byte offset of VLAN tag i. */
export function vlanTagOffset(i: number): number {
  return 12 + VLAN_TAG_LEN * i;
}

/** A MAC address: 6 bytes. */
export type MacAddress = Uint8Array;

export const MAC_BROADCAST: MacAddress = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/** "02:60:8c:9e:18:8b" (lower case, colon separated). */
export function formatMac(mac: Uint8Array): string {
  return toHex(mac, ':');
}

/** Parse "02:60:8c:9e:18:8b" or "02-60-8C-9E-18-8B"; the error offset is a character index. */
export function parseMac(text: string): ParseResult<MacAddress> {
  const m = /^([0-9a-fA-F]{1,2})([:-])([0-9a-fA-F]{1,2})\2([0-9a-fA-F]{1,2})\2([0-9a-fA-F]{1,2})\2([0-9a-fA-F]{1,2})\2([0-9a-fA-F]{1,2})$/.exec(text);
  if (m === null) return fail(WireErrorCode.BAD_ADDRESS, `not a MAC address: ${JSON.stringify(text.slice(0, 40))}`, 0);
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) out[i] = parseInt(m[i < 1 ? 1 : i + 2] ?? '0', 16);
  return ok(out);
}

/** Parse a MAC address or throw a WireError (BAD_ADDRESS). */
export function macAddress(text: string): MacAddress {
  const r = parseMac(text);
  if (!r.ok) throw r.error;
  return r.value;
}

export function isMulticastMac(mac: Uint8Array): boolean {
  return ((mac[0] ?? 0) & 1) === 1;
}

export interface VlanTag {
  /** The tag protocol identifier: 0x8100 (802.1Q), 0x88a8 (802.1ad service tag) or 0x9100. */
  readonly tpid: number;
  /** Priority code point, 3 bits. */
  readonly pcp: number;
  /** Drop eligible indicator. */
  readonly dei: boolean;
  /** VLAN identifier, 12 bits. */
  readonly vid: number;
}

/** Zero-copy view of an Ethernet II frame. */
export class EthernetFrame {
  readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /** Validate lengths once: both addresses, every VLAN tag and the EtherType must be present. */
  check(): WireError | undefined {
    const b = this.bytes;
    if (b.length < ETHERNET_HEADER_LEN) {
      return new WireError(WireErrorCode.TRUNCATED, `Ethernet header needs 14 bytes, have ${b.length}`, b.length);
    }
    let off = 12;
    while (isVlanTpid(u16(b, off))) {
      off += VLAN_TAG_LEN;
      if (b.length < off + 2) {
        return new WireError(WireErrorCode.TRUNCATED, `VLAN tag at offset ${off - VLAN_TAG_LEN} is cut off (frame has ${b.length} bytes)`, b.length);
      }
    }
    return undefined;
  }

  get dst(): Uint8Array {
    return this.bytes.subarray(0, 6);
  }
  set dst(mac: Uint8Array) {
    this.bytes.set(mac.subarray(0, 6), 0);
  }
  get src(): Uint8Array {
    return this.bytes.subarray(6, 12);
  }
  set src(mac: Uint8Array) {
    this.bytes.set(mac.subarray(0, 6), 6);
  }

  /** Number of VLAN tags (0 for an untagged frame). */
  get vlanCount(): number {
    let n = 0;
    let off = 12;
    while (off + 2 <= this.bytes.length && isVlanTpid(u16(this.bytes, off))) {
      n++;
      off += VLAN_TAG_LEN;
    }
    return n;
  }

  /** Tag i, outermost first. */
  vlan(i: number): VlanTag {
    const off = vlanTagOffset(i);
    const tci = u16(this.bytes, off + 2);
    return { tpid: u16(this.bytes, off), pcp: tci >>> 13, dei: (tci & 0x1000) !== 0, vid: tci & 0x0fff };
  }

  /** Offset of the final (inner) EtherType field. */
  get etherTypeOffset(): number {
    return 12 + VLAN_TAG_LEN * this.vlanCount;
  }

  /** The EtherType of the payload (after all VLAN tags). */
  get etherType(): number {
    return u16(this.bytes, this.etherTypeOffset);
  }

  get headerLength(): number {
    return this.etherTypeOffset + 2;
  }

  /** Bytes after the header, including any link padding. */
  get payload(): Uint8Array {
    return this.bytes.subarray(this.headerLength);
  }

  toString(): string {
    const r = parseEthernet(this);
    return r.ok ? ethernetToString(r.value, this.bytes.length) : `[Ethernet: ${r.error.message}]`;
  }
}

/** An Ethernet II header as a value. The payload stays in the view (`EthernetFrame.payload`). */
export interface EthernetRepr {
  readonly dst: MacAddress;
  readonly src: MacAddress;
  /** Outermost first; empty for an untagged frame. */
  readonly vlans: readonly VlanTag[];
  readonly etherType: number;
}

/** Parse the header. Addresses are copies; nothing of the repr aliases the frame. */
export function parseEthernet(view: EthernetFrame): ParseResult<EthernetRepr> {
  const err = view.check();
  if (err !== undefined) return { ok: false, error: err };
  const n = view.vlanCount;
  const vlans: VlanTag[] = [];
  for (let i = 0; i < n; i++) vlans.push(view.vlan(i));
  return ok({ dst: view.dst.slice(), src: view.src.slice(), vlans, etherType: view.etherType });
}

/** Header length of the repr: 14 plus 4 per VLAN tag. */
export function ethernetHeaderLength(repr: EthernetRepr): number {
  return ETHERNET_HEADER_LEN + VLAN_TAG_LEN * repr.vlans.length;
}

/** Frame length for a payload of `payloadLength` bytes (no minimum-size padding). */
export function ethernetBufferLength(repr: EthernetRepr, payloadLength = 0): number {
  return ethernetHeaderLength(repr) + payloadLength;
}

/** Write the header into buffer[0, headerLength); returns headerLength. The payload follows it. */
export function emitEthernet(repr: EthernetRepr, buffer: Uint8Array): number {
  const len = ethernetHeaderLength(repr);
  checkBuffer(buffer, len, 'Ethernet header');
  checkBytes(repr.dst, 6, 'destination MAC');
  checkBytes(repr.src, 6, 'source MAC');
  checkUint(repr.etherType, 0xffff, 'EtherType');
  buffer.set(repr.dst, 0);
  buffer.set(repr.src, 6);
  let off = 12;
  for (const tag of repr.vlans) {
    if (!isVlanTpid(tag.tpid)) {
      throw new WireError(WireErrorCode.INVALID_REPR, `VLAN TPID 0x${tag.tpid.toString(16)} is not 0x8100, 0x88a8 or 0x9100`, -1);
    }
    checkUint(tag.pcp, 7, 'VLAN PCP');
    checkUint(tag.vid, 0xfff, 'VLAN ID');
    put16(buffer, off, tag.tpid);
    put16(buffer, off + 2, (tag.pcp << 13) | (tag.dei ? 0x1000 : 0) | tag.vid);
    off += VLAN_TAG_LEN;
  }
  if (isVlanTpid(repr.etherType)) {
    throw new WireError(WireErrorCode.INVALID_REPR, `EtherType 0x${repr.etherType.toString(16)} is a VLAN TPID; put the tag in vlans`, -1);
  }
  put16(buffer, off, repr.etherType);
  return len;
}

/**
 * tcpdump -e style: "02:60:8c:3b:85:c1 > 02:60:8c:9e:18:8b, ethertype IPv4 (0x0800), length 60", and
 * with tags "..., ethertype 802.1Q (0x8100), length 51: vlan 100, p 5, ethertype IPv4 (0x0800)".
 */
export function ethernetToString(repr: EthernetRepr, frameLength?: number): string {
  const type = (t: number): string => `ethertype ${etherTypeName(t) ?? 'Unknown'} (0x${t.toString(16).padStart(4, '0')})`;
  const first = repr.vlans[0]?.tpid ?? repr.etherType;
  let s = `${formatMac(repr.src)} > ${formatMac(repr.dst)}, ${type(first)}`;
  if (frameLength !== undefined) s += `, length ${frameLength}`;
  repr.vlans.forEach((tag, i) => {
    const next = repr.vlans[i + 1]?.tpid ?? repr.etherType;
    s += `${i === 0 ? ': ' : ', '}vlan ${tag.vid}, p ${tag.pcp}${tag.dei ? ', DEI' : ''}, ${type(next)}`;
  });
  return s;
}
