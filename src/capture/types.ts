/**
 * The values the capture readers deliver: packet records and the metadata around them (pcap file
 * header, pcapng sections, interfaces, name resolution, statistics), and the handler set a decoder
 * calls. Plain readonly data; no behaviour.
 *
 * Invariants on every CaptureRecord: `frame` counts packets from 1 over the whole file (all
 * sections); `0 <= tsNsec < 1e9`; `timestamp === tsSec + tsNsec / 1e9` (the double loses precision,
 * the integer parts do not); `data.length === capturedLength`; `interfaceId` indexes the decoder's
 * file-wide interface list.
 */

/** One captured packet. */
export interface CaptureRecord {
  /** 1-based packet number over the whole file. */
  readonly frame: number;
  /** Seconds since the Unix epoch as a double (convenient, not exact; see tsSec/tsNsec). */
  readonly timestamp: number;
  /** Whole seconds since the epoch (if_tsoffset applied; may be negative). */
  readonly tsSec: number;
  /** Nanoseconds within the second, 0 <= tsNsec < 1e9 (floored if the file's resolution is finer). */
  readonly tsNsec: number;
  readonly capturedLength: number;
  readonly originalLength: number;
  /** LINKTYPE_ value of the packet's interface (see linktype.ts). */
  readonly linkType: number;
  /** Index into the decoder's file-wide interface list (pcap files have one interface, 0). */
  readonly interfaceId: number;
  /** The captured bytes: a subarray of the pushed chunk, or of a private copy if the record straddled chunks. */
  readonly data: Uint8Array;
  /** Absolute byte offset of the record header (pcap) or of the block (pcapng). */
  readonly fileOffset: number;
  /** pcapng opt_comment values of the packet block, when it has any. */
  readonly comments?: readonly string[];
  /** pcapng epb_flags (direction, reception type, FCS length, link-layer errors), when present. */
  readonly flags?: number;
}

/**
 * A packet handed over without a record object (CaptureHandlers.onPacket), for readers that touch
 * millions of packets and keep none: the decoder fills one PacketRef and passes the same object for
 * every packet, so its fields are valid only during the call. The captured bytes are
 * `buffer[offset, offset + capturedLength)`; `toRecord()` makes the CaptureRecord of the packet
 * (the one onRecord gets), which may be kept like any record.
 */
export interface PacketRef {
  readonly buffer: Uint8Array;
  readonly offset: number;
  readonly frame: number;
  readonly tsSec: number;
  readonly tsNsec: number;
  readonly capturedLength: number;
  readonly originalLength: number;
  readonly linkType: number;
  readonly interfaceId: number;
  readonly fileOffset: number;
  toRecord(): CaptureRecord;
}

/** The 24-byte pcap file header, decoded. */
export interface PcapFileHeader {
  readonly bigEndian: boolean;
  /** true for magic a1b23c4d (nanosecond timestamps), false for a1b2c3d4 (microseconds). */
  readonly nanosecond: boolean;
  readonly versionMajor: number;
  readonly versionMinor: number;
  /** The obsolete thiszone and sigfigs fields, as stored (normally 0). */
  readonly thiszone: number;
  readonly sigfigs: number;
  readonly snaplen: number;
  /** Low 16 bits of the LinkType field. */
  readonly linkType: number;
  /** The whole 32-bit LinkType field as stored (upper bits carry the FCS information). */
  readonly linkTypeField: number;
  /** The P bit: true if the FCS length below is known. */
  readonly fcsPresent: boolean;
  /** FCS length in bytes appended to every packet (the 4-bit field counts 16-bit words); 0 if unknown. */
  readonly fcsLength: number;
}

/** pcapng timestamp resolution, if_tsresol: units per second = base ** exponent. */
export interface TimestampResolution {
  readonly base: 10 | 2;
  readonly exponent: number;
}

/** A capture interface: the pcap file header, or a pcapng Interface Description Block. */
export interface CaptureInterface {
  /** File-wide index; CaptureRecord.interfaceId refers to this. */
  readonly id: number;
  /** 0-based pcapng section number (0 for pcap). */
  readonly section: number;
  /** Interface id within its section (what EPBs and ISBs carry). */
  readonly localId: number;
  readonly linkType: number;
  /** 0 means no limit. */
  readonly snaplen: number;
  readonly tsResolution: TimestampResolution;
  /** if_tsoffset in seconds, added to every timestamp of the interface. */
  readonly tsOffset: number;
  readonly name?: string;
  readonly description?: string;
  readonly filter?: string;
  readonly os?: string;
  readonly hardware?: string;
  readonly comments?: readonly string[];
  readonly fileOffset: number;
}

/** A pcapng Section Header Block. */
export interface CaptureSection {
  readonly index: number;
  readonly bigEndian: boolean;
  readonly versionMajor: number;
  readonly versionMinor: number;
  /** Section Length, or undefined when the writer put -1 (unknown). */
  readonly sectionLength: number | undefined;
  readonly hardware?: string;
  readonly os?: string;
  readonly userAppl?: string;
  readonly comments?: readonly string[];
  readonly fileOffset: number;
}

/** One record of a pcapng Name Resolution Block. */
export interface NameResolutionEntry {
  /** nrb_record_ipv4 (1), nrb_record_ipv6 (2), nrb_record_eui48 (3), nrb_record_eui64 (4), or another number. */
  readonly recordType: number;
  readonly address: Uint8Array;
  /** Dotted quad, RFC 5952 IPv6 text, colon-separated EUI, or hex for unknown record types. */
  readonly addressText: string;
  readonly names: readonly string[];
}

export interface NameResolutionBlock {
  readonly section: number;
  readonly entries: readonly NameResolutionEntry[];
  readonly dnsName?: string;
  readonly comments?: readonly string[];
  readonly fileOffset: number;
}

/** A timestamp as exact integer parts. */
export interface ExactTime {
  readonly sec: number;
  readonly nsec: number;
}

/** A pcapng Interface Statistics Block. Counters above 2^53 lose precision. */
export interface InterfaceStatistics {
  /** File-wide interface index. */
  readonly interfaceId: number;
  readonly time: ExactTime;
  readonly startTime?: ExactTime;
  readonly endTime?: ExactTime;
  readonly ifRecv?: number;
  readonly ifDrop?: number;
  readonly filterAccept?: number;
  readonly osDrop?: number;
  readonly usrDeliv?: number;
  readonly comments?: readonly string[];
  readonly fileOffset: number;
}

/** What a decoder calls as it meets things in the file, in file order. All optional. */
export interface CaptureHandlers {
  onRecord?: (record: CaptureRecord) => void;
  /** Every packet again, as a reused PacketRef (before onRecord when both are set). */
  onPacket?: (packet: PacketRef) => void;
  onPcapHeader?: (header: PcapFileHeader) => void;
  onSection?: (section: CaptureSection) => void;
  onInterface?: (iface: CaptureInterface) => void;
  onNameResolution?: (block: NameResolutionBlock) => void;
  onStatistics?: (stats: InterfaceStatistics) => void;
}

export interface DecoderOptions extends CaptureHandlers {
  /**
   * Refuse packets whose captured length exceeds the snapshot length (default true). libpcap and
   * Wireshark tolerate such files; with false we do too, still bounded by the size caps.
   */
  readonly strictSnaplen?: boolean;
}
