/**
 * The message catalogue's shape for `synack explain`: every message id, the typed parameters it
 * takes, and the template type each language implements (en.ts, de.ts, sv.ts, ja.ts).
 *
 * Invariant: `MESSAGE_IDS` lists exactly the keys of `MessageParams` (checked at compile time
 * below), and every language is a `Templates` object, so a message without a translation does not
 * compile; test/analyze/explain-i18n.test.ts checks the same at run time and renders every message
 * in every language with sample parameters. Parameters are plain JSON values (numbers, strings,
 * booleans, arrays), so an explanation item can be sent to the browser UI and rendered there.
 * Browser-safe: no Node imports.
 */
import type { AnomalyKind } from '../anomalies.js';

export const LANGS = ['en', 'de', 'sv', 'ja'] as const;
export type Lang = (typeof LANGS)[number];

export type Side = 'client' | 'server';

/** What a side offered in its SYN or SYN-ACK. */
export interface Offer {
  readonly mss: number | null;
  readonly windowScale: number | null;
  readonly sackPermitted: boolean;
  readonly timestamps: boolean;
}

/** A pair of per-side numbers. */
export interface PerSide {
  readonly client: number;
  readonly server: number;
}

/** One anomaly kind's count in a connection summary. */
export interface KindCount {
  readonly kind: AnomalyKind;
  readonly count: number;
  /** How many of them are only suspected (docs/analyzer.md). */
  readonly suspected: number;
}

/** Zeek's conn_state values (docs/analyzer.md). */
export type ZeekState = 'S0' | 'S1' | 'SF' | 'REJ' | 'S2' | 'S3' | 'RSTO' | 'RSTR' | 'RSTOS0' | 'RSTRH' | 'SH' | 'SHR' | 'OTH';

interface FrameP {
  readonly frame: number;
}
interface FromP extends FrameP {
  readonly from: Side;
}
/** `again`: the same kind was already explained earlier in this connection (a shorter sentence). */
interface AgainP {
  readonly again: boolean;
}
interface ListP extends AgainP {
  readonly from: Side;
  readonly count: number;
  /** The frames, ascending; at most the first 12 (count says how many there are). */
  readonly frames: readonly number[];
}

/** Parameters of every message, by id. Times are seconds, sequence numbers absolute. */
export interface MessageParams {
  // ---- the connection --------------------------------------------------------------------------
  /** Heading: who talks to whom, which frames. */
  'conn.title': {
    readonly id: number;
    readonly client: string;
    readonly clientPort: number;
    readonly server: string;
    readonly serverPort: number;
    readonly family: 4 | 6;
    readonly first: number;
    readonly last: number;
    readonly segments: number;
  };
  /** No SYN captured: the client is the receiver of the SYN-ACK. */
  'conn.rolesFromSynAck': Record<string, never>;
  /** No SYN, no SYN-ACK: the roles are Zeek's guess. */
  'conn.rolesGuessed': Record<string, never>;
  /** The capture starts after the handshake. */
  'conn.midstream': FrameP;
  /**
   * Frames that follow another connection's open without a close and look like its close, but
   * belong to another 4-tuple (KB 172983's frames 4-7).
   */
  'conn.notContinuation': {
    readonly first: number;
    readonly last: number;
    readonly prevFirst: number;
    readonly prevLast: number;
    readonly client: string;
    readonly clientPort: number;
    readonly server: string;
    readonly serverPort: number;
    readonly prevClient: string;
    readonly prevClientPort: number;
    readonly prevServer: string;
    readonly prevServerPort: number;
    /** seq and ack of this connection's first frame. */
    readonly seq: number;
    readonly ack: number;
    /** Where the earlier connection stood: the seq and ack its client's next segment would carry. */
    readonly prevSeq: number;
    readonly prevAck: number;
    /** The Ethernet addresses differ too. */
    readonly otherMacs: boolean;
  };
  /** The capture ends before the connection closed. */
  'conn.endedOpen': FrameP;

  // ---- where the capture was taken --------------------------------------------------------------
  'capture.ttl': { readonly point: Side; readonly own: number; readonly other: number };
  'capture.timing': { readonly point: Side; readonly toSynAck: number; readonly toAck: number };
  'capture.unknown': Record<string, never>;

  // ---- handshake -------------------------------------------------------------------------------
  'hs.syn': FrameP & {
    readonly client: string;
    readonly clientPort: number;
    readonly server: string;
    readonly serverPort: number;
    readonly isn: number;
    readonly offer: Offer;
  };
  /** A SYN's length is 0: the bytes after the fixed header are options. */
  'hs.synOptionBytes': FrameP & { readonly headerBytes: number; readonly optionBytes: number };
  /** Network Monitor's "len: 4" for a SYN with only the MSS option (KB 172983). */
  'hs.netmonLen': FrameP & { readonly optionBytes: number };
  'hs.synRetry': FrameP & { readonly isn: number; readonly after: number };
  'hs.synAck': FrameP & {
    readonly server: string;
    readonly isn: number;
    readonly ack: number;
    /** The client's ISN when its SYN was captured. */
    readonly clientIsn: number | null;
    readonly offer: Offer;
  };
  /** The SYN-ACK acknowledges something other than the client's ISN + 1. */
  'hs.synAckWrongAck': FrameP & { readonly ack: number; readonly expected: number };
  'hs.synAckRetry': FrameP & { readonly after: number };
  'hs.ack': FrameP & { readonly ack: number; readonly serverIsn: number; readonly bytes: number };
  'hs.rtt': FrameP & { readonly rtt: number };
  /** Window scaling after the handshake (RFC 7323 2.3: only when both offered it). */
  'hs.windowScale': { readonly client: number | null; readonly server: number | null };

  // ---- resets ----------------------------------------------------------------------------------
  'rst.refused': FrameP & { readonly server: string; readonly serverPort: number; readonly after: number };
  'rst.abort': FromP;
  'rst.afterFin': FromP;
  'rst.again': FromP;

  // ---- data ------------------------------------------------------------------------------------
  'data.run': {
    readonly first: number;
    readonly last: number;
    readonly duration: number;
    /** Segments with data, bytes, and segments without data (pure ACKs), per sender. */
    readonly segs: PerSide;
    readonly bytes: PerSide;
    readonly acks: PerSide;
  };
  'data.segment': FromP & { readonly seq: number; readonly bytes: number; readonly ack: number | null };
  'data.ack': FromP & { readonly ack: number; readonly window: number | null };
  'data.dupAcks': ListP & { readonly ack: number };
  'data.windowUpdates': ListP;
  'data.keepAliveAcks': ListP;
  'data.probeAcks': ListP;
  /** New data from one side after the other side's FIN (RFC 9293 3.6). */
  'data.halfClose': FrameP & { readonly closed: Side; readonly sender: Side; readonly bytes: number };

  // ---- close -----------------------------------------------------------------------------------
  'close.fin': FromP & { readonly seq: number; readonly bytes: number; readonly ack: number | null };
  'close.finAck': FromP & { readonly ack: number; readonly finFrame: number };
  'close.fin2': FromP & { readonly seq: number };
  'close.fin2Ack': FromP & { readonly seq: number; readonly ack: number; readonly finFrame: number };
  'close.finalAck': FromP & { readonly ack: number; readonly finFrame: number };
  'close.finRetry': FromP & { readonly seq: number };

  // ---- anomalies (tshark's tcp.analysis flags, docs/analyzer.md) ---------------------------------
  'anom.retransmission': FromP & AgainP & { readonly seq: number; readonly bytes: number };
  'anom.fastRetransmission': FromP & AgainP & { readonly seq: number; readonly bytes: number };
  'anom.spuriousRetransmission': FromP & AgainP & { readonly seq: number; readonly bytes: number; readonly suspected: boolean };
  'anom.outOfOrder': FromP & AgainP & { readonly seq: number; readonly bytes: number; readonly suspected: boolean };
  'anom.lostSegment': FromP & AgainP & { readonly seq: number; readonly suspected: boolean };
  'anom.ackedUnseen': FromP & AgainP & { readonly ack: number };
  'anom.zeroWindow': FromP & AgainP;
  'anom.zeroWindowProbe': FromP & AgainP;
  'anom.windowFull': FromP & AgainP;
  'anom.keepAlive': FromP & AgainP;
  'anom.portReuse': FrameP & { readonly clientPort: number; readonly serverPort: number };
  'anom.badChecksum': FromP & AgainP;

  // ---- summary ---------------------------------------------------------------------------------
  'sum.head': { readonly id: number; readonly duration: number; readonly segs: PerSide; readonly bytes: PerSide };
  'sum.opened': { readonly rtt: number | null };
  'sum.refused': Record<string, never>;
  'sum.unanswered': { readonly attempts: number };
  'sum.midstream': Record<string, never>;
  'sum.closeGraceful': { readonly by: Side };
  'sum.halfClose': { readonly by: Side; readonly bytes: number };
  'sum.closeReset': { readonly by: Side };
  'sum.closeIncomplete': { readonly by: Side };
  'sum.open': Record<string, never>;
  'sum.anomalies': { readonly counts: readonly KindCount[] };
  'sum.clean': Record<string, never>;
  'sum.loss': { readonly retransmitted: number; readonly dataSegments: number };
  'sum.zeroWindow': { readonly from: Side; readonly count: number };
  'sum.capped': { readonly kind: AnomalyKind; readonly count: number; readonly first: number; readonly last: number };
  'sum.zeek': { readonly state: ZeekState; readonly history: string };
}

export const MESSAGE_IDS = [
  'conn.title',
  'conn.rolesFromSynAck',
  'conn.rolesGuessed',
  'conn.midstream',
  'conn.notContinuation',
  'conn.endedOpen',
  'capture.ttl',
  'capture.timing',
  'capture.unknown',
  'hs.syn',
  'hs.synOptionBytes',
  'hs.netmonLen',
  'hs.synRetry',
  'hs.synAck',
  'hs.synAckWrongAck',
  'hs.synAckRetry',
  'hs.ack',
  'hs.rtt',
  'hs.windowScale',
  'rst.refused',
  'rst.abort',
  'rst.afterFin',
  'rst.again',
  'data.run',
  'data.segment',
  'data.ack',
  'data.dupAcks',
  'data.windowUpdates',
  'data.keepAliveAcks',
  'data.probeAcks',
  'data.halfClose',
  'close.fin',
  'close.finAck',
  'close.fin2',
  'close.fin2Ack',
  'close.finalAck',
  'close.finRetry',
  'anom.retransmission',
  'anom.fastRetransmission',
  'anom.spuriousRetransmission',
  'anom.outOfOrder',
  'anom.lostSegment',
  'anom.ackedUnseen',
  'anom.zeroWindow',
  'anom.zeroWindowProbe',
  'anom.windowFull',
  'anom.keepAlive',
  'anom.portReuse',
  'anom.badChecksum',
  'sum.head',
  'sum.opened',
  'sum.refused',
  'sum.unanswered',
  'sum.midstream',
  'sum.closeGraceful',
  'sum.halfClose',
  'sum.closeReset',
  'sum.closeIncomplete',
  'sum.open',
  'sum.anomalies',
  'sum.clean',
  'sum.loss',
  'sum.zeroWindow',
  'sum.capped',
  'sum.zeek',
] as const;

export type MessageId = (typeof MESSAGE_IDS)[number];

// Compile-time check that MESSAGE_IDS and MessageParams have the same keys.
type Missing = Exclude<keyof MessageParams, MessageId> | Exclude<MessageId, keyof MessageParams>;
const idsMatch: [Missing] extends [never] ? true : Missing = true;
void idsMatch;

/** One language: a template function per message id. */
export type Templates = { readonly [K in MessageId]: (p: MessageParams[K]) => string };

/** A message id with its parameters (a discriminated union over ids). */
export type Message = { [K in MessageId]: { readonly id: K; readonly params: MessageParams[K] } }[MessageId];
