/**
 * The capture layer's browser-safe public surface: pcap/pcapng push decoders and writers, link
 * types. The Node file adapter lives in ./node.js and is imported separately.
 */
export { CaptureError, CaptureErrorCode } from './errors.js';
export type {
  CaptureHandlers,
  CaptureInterface,
  CaptureRecord,
  CaptureSection,
  DecoderOptions,
  ExactTime,
  InterfaceStatistics,
  NameResolutionBlock,
  NameResolutionEntry,
  PacketRef,
  PcapFileHeader,
  TimestampResolution,
} from './types.js';
export { CaptureDecoder, decodeCapture, detectFormat, type CaptureContents, type CaptureFormat } from './decoder.js';
export {
  PCAP_MAGIC_MICRO,
  PCAP_MAGIC_NANO,
  PCAP_RECORD_CAP,
  PCAP_RECORD_HARD_CAP,
  PcapDecoder,
  PcapWriter,
  type PcapWriterOptions,
  type WritablePacket,
} from './pcap.js';
export { BlockType, PCAPNG_BLOCK_CAP, PcapngDecoder, PcapngWriter, type PcapngInterfaceOptions, type PcapngWriterOptions } from './pcapng.js';
export * from './linktype.js';
