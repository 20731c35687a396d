/**
 * The message catalogue's shape for ladder diagrams (src/analyze/ladder.ts, ladder-svg.ts,
 * `synack ladder`, the browser UI's connection ladder): every message id, its typed parameters,
 * and the template type each language implements (ladder-en.ts, ladder-de.ts, ladder-sv.ts,
 * ladder-ja.ts). A sibling of explain's catalogue (types.ts), with the same discipline.
 *
 * What is not here, on purpose: protocol tokens (SYN, ACK, FIN, RST, seq=, ack=, len=, flag
 * letters, "none" for no flags) stay as tcpdump and Wireshark print them in every locale; addresses
 * and numbers are printed as they are.
 *
 * Invariant: `LADDER_IDS` lists exactly the keys of `LadderParams` (checked at compile time below),
 * and every language is a `LadderTemplates` object, so a message without a translation does not
 * compile; test/analyze/ladder-i18n.test.ts checks the same at run time and renders every message
 * in every language. Browser-safe: no Node imports.
 */
import type { AnomalyKind } from '../anomalies.js';
import type { CaptureReason } from '../conns.js';
import type { Side } from './types.js';

type Empty = Record<string, never>;

/** Why the tracker put the capture point where it did (`ConnectionRecord.capture.reason`). */
export type CaptureBasis = CaptureReason;

/** Parameters of every ladder message, by id. */
export interface LadderParams {
  // ---- the model (ladderFromConnection) -----------------------------------------------------------
  /** The diagram's title: which connection, who talks to whom, which frames. */
  title: {
    readonly id: number;
    /** "131.107.2.214:1037", "[2001:db8::1]:40001". */
    readonly client: string;
    readonly server: string;
    readonly first: number;
    readonly last: number;
    /** Sequence numbers relative to each side's ISN. */
    readonly relative: boolean;
  };
  /** Column headings over the two host lines. */
  'host.client': Empty;
  'host.server': Empty;
  /** Where the capture was taken, so where times are true, and how the arrows show it. */
  'caption.at': { readonly point: Side; readonly basis: CaptureBasis };
  'caption.unknown': { readonly basis: CaptureBasis };
  /** Phase rules drawn above a row, in the seed article's headings. */
  'phase.open': Empty;
  'phase.data': Empty;
  'phase.close': Empty;
  /** What the label notation means (seq, ack, len) and how anomalies are marked. */
  legend: Empty;
  /** An anomaly mark's label: tshark's verdict, with "?" when only suspected. */
  mark: { readonly kind: AnomalyKind; readonly suspected: boolean };

  // ---- the renderers -------------------------------------------------------------------------------
  /** Column headings: frame number, time (the unit), each side's TCP state. */
  'head.frame': Empty;
  'head.time': Empty;
  'head.state': Empty;
  /** The tracker kept only the first frames of a long connection. */
  omitted: { readonly omitted: number; readonly kept: number };
  /** An SVG segment's hover text. `time` is the time column's text, `unit` its heading. */
  'row.title': {
    readonly frame: number;
    readonly time: string;
    readonly unit: string;
    readonly from: string;
    readonly to: string;
    readonly label: string;
    readonly marks: readonly string[];
    readonly note: string | null;
  };

  // ---- the browser UI ---------------------------------------------------------------------------
  'ui.drawFailed': Empty;

  // ---- notes for simulated links (src/stack/trace.ts, the simulator may use them) -----------------
  'fate.lost': Empty;
  'fate.corrupted': Empty;
  'fate.duplicated': Empty;
  'fate.tooBig': Empty;
  'fate.queueFull': Empty;
  'fate.closed': Empty;
  'fate.reordered': Empty;
}

export const LADDER_IDS = [
  'title',
  'host.client',
  'host.server',
  'caption.at',
  'caption.unknown',
  'phase.open',
  'phase.data',
  'phase.close',
  'legend',
  'mark',
  'head.frame',
  'head.time',
  'head.state',
  'omitted',
  'row.title',
  'ui.drawFailed',
  'fate.lost',
  'fate.corrupted',
  'fate.duplicated',
  'fate.tooBig',
  'fate.queueFull',
  'fate.closed',
  'fate.reordered',
] as const;

export type LadderId = (typeof LADDER_IDS)[number];

// Compile-time check that LADDER_IDS and LadderParams have the same keys.
type Missing = Exclude<keyof LadderParams, LadderId> | Exclude<LadderId, keyof LadderParams>;
const idsMatch: [Missing] extends [never] ? true : Missing = true;
void idsMatch;

/** One language: a template function per ladder message id. */
export type LadderTemplates = { readonly [K in LadderId]: (p: LadderParams[K]) => string };

/** A ladder message id with its parameters. */
export type LadderMessage = { [K in LadderId]: { readonly id: K; readonly params: LadderParams[K] } }[LadderId];
