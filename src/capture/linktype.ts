/**
 * Link-layer header types (the tcpdump.org LINKTYPE_ registry, shared by pcap and pcapng) and the
 * decoding of the link headers that are not Ethernet: BSD NULL/LOOP, Linux cooked SLL and SLL2,
 * and the headerless raw-IP types.
 *
 * Invariants: decodeLink never throws; for any link type and bytes it says either where the
 * network-layer packet starts and its EtherType (or that an Ethernet frame starts at 0, for
 * src/wire/ethernet.ts), or why it cannot (unsupported type, truncated header, unknown protocol).
 * Header layouts are data (field name -> [offset, length]) so a dissector can highlight bytes.
 */
import { EtherType } from '../wire/ethernet.js';

export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

/** Names of some common link types (LINKTYPE_ without the prefix); others stay numbers. */
const NAMES: Readonly<Record<number, string>> = {
  0: 'NULL',
  1: 'ETHERNET',
  6: 'IEEE802_5',
  9: 'PPP',
  101: 'RAW',
  104: 'C_HDLC',
  105: 'IEEE802_11',
  108: 'LOOP',
  113: 'LINUX_SLL',
  119: 'IEEE802_11_PRISM',
  127: 'IEEE802_11_RADIOTAP',
  195: 'IEEE802_15_4_WITHFCS',
  201: 'BLUETOOTH_HCI_H4_WITH_PHDR',
  220: 'USB_LINUX_MMAPPED',
  228: 'IPV4',
  229: 'IPV6',
  249: 'USBPCAP',
  253: 'NETLINK',
  276: 'LINUX_SLL2',
};

/** LINKTYPE_ name without the prefix ("ETHERNET"), or undefined for numbers we do not name. */
export function linkTypeName(linkType: number): string | undefined {
  return NAMES[linkType];
}


/** A header layout: field name -> [offset, length] in bytes from the start of the frame. */
export type FieldTable = Readonly<Record<string, readonly [offset: number, length: number]>>;

/** BSD loopback (NULL, LOOP): a 4-byte address family. */
export const NULL_FIELDS = {
  family: [0, 4],
} as const satisfies FieldTable;
export const NULL_HEADER_LENGTH = 4;

/** Linux cooked capture v1 (LINKTYPE_LINUX_SLL), all fields big-endian. */
export const SLL_FIELDS = {
  packetType: [0, 2],
  arphrdType: [2, 2],
  addressLength: [4, 2],
  address: [6, 8],
  protocol: [14, 2],
} as const satisfies FieldTable;
export const SLL_HEADER_LENGTH = 16;

/** Linux cooked capture v2 (LINKTYPE_LINUX_SLL2), all fields big-endian. */
export const SLL2_FIELDS = {
  protocol: [0, 2],
  reserved: [2, 2],
  interfaceIndex: [4, 4],
  arphrdType: [8, 2],
  packetType: [10, 1],
  addressLength: [11, 1],
  address: [12, 8],
} as const satisfies FieldTable;
export const SLL2_HEADER_LENGTH = 20;

/** SLL/SLL2 packet types (Linux PACKET_*): index -> name. */
export const SLL_PACKET_TYPES: readonly string[] = ['host', 'broadcast', 'multicast', 'otherhost', 'outgoing'];

export interface NullHeader {
  readonly kind: 'null';
  readonly family: number;
  /** Byte order the family was stored in (the capturing host's for NULL, normally big for LOOP). */
  readonly bigEndian: boolean;
  readonly fields: typeof NULL_FIELDS;
}

export interface SllHeader {
  readonly kind: 'sll';
  readonly packetType: number;
  readonly arphrdType: number;
  readonly addressLength: number;
  /** The first min(addressLength, 8) bytes of the address field. */
  readonly address: Uint8Array;
  readonly protocol: number;
  readonly fields: typeof SLL_FIELDS;
}

export interface Sll2Header {
  readonly kind: 'sll2';
  readonly protocol: number;
  readonly interfaceIndex: number;
  readonly arphrdType: number;
  readonly packetType: number;
  readonly addressLength: number;
  readonly address: Uint8Array;
  readonly fields: typeof SLL2_FIELDS;
}

export type LinkHeader = NullHeader | SllHeader | Sll2Header;

export type LinkDecode =
  /** An Ethernet frame starts at offset 0: decode it with src/wire/ethernet.ts. */
  | { readonly ok: true; readonly linkType: number; readonly next: 'ethernet'; readonly offset: 0; readonly header: undefined }
  /** The network-layer packet starts at `offset`; `etherType` says what it is. */
  | {
      readonly ok: true;
      readonly linkType: number;
      readonly next: 'network';
      readonly offset: number;
      readonly etherType: number;
      readonly header: LinkHeader | undefined;
    }
  | {
      readonly ok: false;
      readonly linkType: number;
      readonly problem: 'unsupported' | 'truncated' | 'unknown-protocol';
      readonly reason: string;
      readonly header: LinkHeader | undefined;
    };

function fail(linkType: number, problem: 'unsupported' | 'truncated' | 'unknown-protocol', reason: string, header?: LinkHeader): LinkDecode {
  return { ok: false, linkType, problem, reason, header };
}

function be16(d: Uint8Array, at: number): number {
  return ((d[at] ?? 0) << 8) | (d[at + 1] ?? 0);
}

function be32(d: Uint8Array, at: number): number {
  return (((d[at] ?? 0) << 24) | ((d[at + 1] ?? 0) << 16) | ((d[at + 2] ?? 0) << 8) | (d[at + 3] ?? 0)) >>> 0;
}

/**
 * BSD address family -> EtherType. AF_INET is 2 everywhere; AF_INET6 is 24 on NetBSD/OpenBSD/
 * BSD/OS, 28 on FreeBSD/DragonFly, 30 on macOS/iOS (tcpdump.org LINKTYPE_NULL).
 */
function familyEtherType(family: number): number | undefined {
  if (family === 2) return EtherType.IPV4;
  if (family === 24 || family === 28 || family === 30) return EtherType.IPV6;
  return undefined;
}

function ipVersionEtherType(d: Uint8Array, at: number): number | undefined {
  const v = (d[at] ?? 0) >> 4;
  return v === 4 ? EtherType.IPV4 : v === 6 ? EtherType.IPV6 : undefined;
}

function truncated(linkType: number, name: string, need: number, have: number): LinkDecode {
  return fail(linkType, 'truncated', `${name} header needs ${need} bytes, frame has ${have}`);
}

/** Decode the link header of a frame of the given link type. Never throws. */
export function decodeLink(linkType: number, data: Uint8Array): LinkDecode {
  switch (linkType) {
    case LinkType.ETHERNET:
      return { ok: true, linkType, next: 'ethernet', offset: 0, header: undefined };
    case LinkType.NULL:
    case LinkType.LOOP: {
      if (data.length < NULL_HEADER_LENGTH) return truncated(linkType, linkType === 0 ? 'NULL' : 'LOOP', NULL_HEADER_LENGTH, data.length);
      // NULL stores the family in the capturing host's byte order, LOOP in network order; real
      // families are small, so the reading whose upper 16 bits are zero is the right one (as
      // libpcap/Wireshark do). LOOP tries big-endian first.
      const be = be32(data, 0);
      const le = ((data[0] ?? 0) | ((data[1] ?? 0) << 8) | ((data[2] ?? 0) << 16) | ((data[3] ?? 0) << 24)) >>> 0;
      const bigEndian = linkType === LinkType.LOOP ? (be & 0xffff0000) === 0 || (le & 0xffff0000) !== 0 : (le & 0xffff0000) !== 0;
      const family = bigEndian ? be : le;
      const header: NullHeader = { kind: 'null', family, bigEndian, fields: NULL_FIELDS };
      const etherType = familyEtherType(family);
      if (etherType === undefined) return fail(linkType, 'unknown-protocol', `address family ${family} is not IPv4 or IPv6`, header);
      return { ok: true, linkType, next: 'network', offset: NULL_HEADER_LENGTH, etherType, header };
    }
    case LinkType.RAW:
    case LinkType.IPV4:
    case LinkType.IPV6: {
      if (linkType === LinkType.IPV4) return { ok: true, linkType, next: 'network', offset: 0, etherType: EtherType.IPV4, header: undefined };
      if (linkType === LinkType.IPV6) return { ok: true, linkType, next: 'network', offset: 0, etherType: EtherType.IPV6, header: undefined };
      if (data.length < 1) return truncated(linkType, 'RAW', 1, 0);
      const etherType = ipVersionEtherType(data, 0);
      if (etherType === undefined) return fail(linkType, 'unknown-protocol', `raw IP packet has version ${(data[0] ?? 0) >> 4}, not 4 or 6`);
      return { ok: true, linkType, next: 'network', offset: 0, etherType, header: undefined };
    }
    case LinkType.LINUX_SLL: {
      if (data.length < SLL_HEADER_LENGTH) return truncated(linkType, 'LINUX_SLL', SLL_HEADER_LENGTH, data.length);
      const addressLength = be16(data, 4);
      const header: SllHeader = {
        kind: 'sll',
        packetType: be16(data, 0),
        arphrdType: be16(data, 2),
        addressLength,
        address: data.subarray(6, 6 + Math.min(addressLength, 8)),
        protocol: be16(data, 14),
        fields: SLL_FIELDS,
      };
      return { ok: true, linkType, next: 'network', offset: SLL_HEADER_LENGTH, etherType: header.protocol, header };
    }
    case LinkType.LINUX_SLL2: {
      if (data.length < SLL2_HEADER_LENGTH) return truncated(linkType, 'LINUX_SLL2', SLL2_HEADER_LENGTH, data.length);
      const addressLength = data[11] ?? 0;
      const header: Sll2Header = {
        kind: 'sll2',
        protocol: be16(data, 0),
        interfaceIndex: be32(data, 4),
        arphrdType: be16(data, 8),
        packetType: data[10] ?? 0,
        addressLength,
        address: data.subarray(12, 12 + Math.min(addressLength, 8)),
        fields: SLL2_FIELDS,
      };
      return { ok: true, linkType, next: 'network', offset: SLL2_HEADER_LENGTH, etherType: header.protocol, header };
    }
    default: {
      const name = linkTypeName(linkType);
      return fail(linkType, 'unsupported', `link type ${linkType}${name === undefined ? '' : ` (${name})`} not supported`);
    }
  }
}
