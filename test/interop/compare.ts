/**
 * Field-by-field comparison of one frame as decoded by tshark and by `synack decode --json`.
 *
 * Invariant: every field of the `decode --json` spec that tshark also reports is compared, and a
 * layer present on one side only is itself a mismatch; nothing is skipped silently. Where the two
 * differ by definition the conversion is explicit and documented here:
 *
 * - ip.frag_offset: tshark's *field value* is the raw 13-bit field, in units of 8 octets (its tree
 *   text shows bytes: "Fragment Offset: 1480" for value 185). synack's `fragmentOffset` is in
 *   bytes, so we compare synack == 8 * tshark (FRAGMENT_OFFSET_UNIT).
 * - tcp.flags: tshark's value is 12 bits (3 reserved bits above AE); synack has the 9 named flags.
 *   The reserved bits are not compared.
 * - tcp.ack_raw: compared whenever tshark reports it (tshark 4.0 reports it on SYNs too).
 * - ipv6.tclass is the whole 8-bit Traffic Class (DSCP and ECN), ipv6.flow the 20-bit label.
 * - time: tshark prints the pcap timestamp exactly; a double near 1.8e9 s has ~2.4e-7 s spacing,
 *   so the tolerance is half a microsecond (a 1 us error is caught).
 * - With several occurrences (an ICMP error quoting an IP header) the first is the outer header.
 *   synack's `tcp` is expected only when TCP follows the first IP header directly (after any
 *   IPv6 extension headers), which is where tshark's `frame.protocols` puts it.
 */
import type { TsharkFrame, TsharkField } from './tshark.js';

/** tshark's ip.frag_offset counts 8-octet units; synack's fragmentOffset counts bytes. */
export const FRAGMENT_OFFSET_UNIT = 8;
export const TIME_TOLERANCE_S = 5e-7;

export interface Mismatch {
  readonly frame: number;
  /** The synack JSON path, e.g. `tcp.flags.syn`. */
  readonly field: string;
  readonly tshark: string;
  readonly synack: string;
}

const IPV6_EXTENSION_PROTOCOLS = new Set(['ipv6.hopopts', 'ipv6.routing', 'ipv6.fraghdr', 'ipv6.dstopts', 'ipv6.shim6']);

/** Which layers synack must report, read from tshark's protocol chain (e.g. eth:ethertype:ip:tcp). */
export function expectedLayers(protocols: string): { ethernet: boolean; ipv4: boolean; ipv6: boolean; tcp: boolean } {
  const chain = protocols.split(':');
  const ethernet = chain[0] === 'eth';
  let i = 1;
  if (chain[i] === 'ethertype') i++;
  const net = ethernet ? chain[i] : undefined;
  const ipv4 = net === 'ip';
  const ipv6 = net === 'ipv6';
  let j = i + 1;
  if (ipv6) while (IPV6_EXTENSION_PROTOCOLS.has(chain[j] ?? '')) j++;
  const tcp = (ipv4 || ipv6) && chain[j] === 'tcp';
  return { ethernet, ipv4, ipv6, tcp };
}

function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split('.')) {
    if (typeof cur !== 'object' || cur === null || !(key in cur)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function show(v: unknown): string {
  return v === undefined ? '(absent)' : JSON.stringify(v);
}

/** tshark booleans print as 1/0 (4.0) or True/False (4.2+). */
function tsharkBool(s: string): boolean | undefined {
  if (s === '1' || s === 'True') return true;
  if (s === '0' || s === 'False') return false;
  return undefined;
}

/** checksum.status: 0 Bad, 1 Good, 2 Unverified (or the names in newer versions). */
function tsharkChecksumStatus(s: string): boolean | null | undefined {
  if (s === '1' || s === 'Good') return true;
  if (s === '0' || s === 'Bad') return false;
  if (s === '2' || s === 'Unverified') return null;
  return undefined;
}

/** Decimal or 0x-hex integer. */
function tsharkInt(s: string): number | undefined {
  const n = Number(s);
  return Number.isInteger(n) ? n : undefined;
}

type Kind = 'int' | 'string' | 'bool' | 'status';

const FLAG_BITS = { fin: 0x001, syn: 0x002, rst: 0x004, psh: 0x008, ack: 0x010, urg: 0x020, ece: 0x040, cwr: 0x080, ae: 0x100 } as const;

const OPTION_NAMES: Readonly<Record<number, string>> = {
  0: 'eol',
  1: 'nop',
  2: 'mss',
  3: 'wscale',
  4: 'sackPermitted',
  5: 'sack',
  8: 'timestamps',
};

/** Compares one frame; `synack` is the parsed JSON object of the same frame number. */
export function compareFrame(t: TsharkFrame, synack: unknown): Mismatch[] {
  const out: Mismatch[] = [];
  const frameNo = tsharkInt(t['frame.number'][0] ?? '') ?? -1;
  const miss = (field: string, tv: unknown, sv: unknown): void => {
    out.push({ frame: frameNo, field, tshark: typeof tv === 'string' ? tv : show(tv), synack: show(sv) });
  };

  /** Compares synack `path` with the first occurrence of tshark `field`. */
  const cmp = (path: string, field: TsharkField, kind: Kind, transform?: (n: number) => number): void => {
    const raw = t[field][0];
    const sv = getPath(synack, path);
    if (raw === undefined) {
      if (sv !== undefined) miss(path, `(${field} absent)`, sv);
      return;
    }
    let tv: unknown;
    switch (kind) {
      case 'int': {
        const n = tsharkInt(raw);
        tv = n === undefined ? undefined : transform ? transform(n) : n;
        break;
      }
      case 'string':
        tv = raw;
        break;
      case 'bool':
        tv = tsharkBool(raw);
        break;
      case 'status':
        tv = tsharkChecksumStatus(raw);
        break;
    }
    if (tv === undefined) {
      miss(path, `unparsable ${field}=${raw}`, sv);
      return;
    }
    if (sv !== tv) miss(path, `${show(tv)} (${field}=${raw})`, sv);
  };

  /** Compares a list of synack values with all occurrences of a tshark field. */
  const cmpList = (path: string, sv: readonly unknown[], field: TsharkField): void => {
    const tv = t[field].map((s) => tsharkInt(s) ?? s);
    if (JSON.stringify(sv) !== JSON.stringify(tv)) miss(path, `${JSON.stringify(tv)} (${field})`, sv);
  };

  // Frame
  cmp('frame', 'frame.number', 'int');
  cmp('capturedLength', 'frame.cap_len', 'int');
  cmp('originalLength', 'frame.len', 'int');
  const tTime = Number(t['frame.time_epoch'][0]);
  const sTime = getPath(synack, 'time');
  if (typeof sTime !== 'number' || !(Math.abs(sTime - tTime) <= TIME_TOLERANCE_S)) {
    miss('time', t['frame.time_epoch'][0] ?? '(absent)', sTime);
  }

  const layers = expectedLayers(t['frame.protocols'][0] ?? '');
  const layer = (name: 'ethernet' | 'ipv4' | 'ipv6' | 'tcp', expected: boolean): boolean => {
    const present = getPath(synack, name) !== undefined && getPath(synack, name) !== null;
    if (present !== expected) {
      miss(name, `${expected ? 'layer present' : 'no layer'} (frame.protocols=${t['frame.protocols'][0] ?? ''})`,
        present ? '(layer present)' : undefined);
    }
    return present && expected;
  };

  if (layer('ethernet', layers.ethernet)) {
    cmp('ethernet.src', 'eth.src', 'string');
    cmp('ethernet.dst', 'eth.dst', 'string');
    cmp('ethernet.etherType', 'eth.type', 'int');
  }

  if (layer('ipv4', layers.ipv4)) {
    cmp('ipv4.src', 'ip.src', 'string');
    cmp('ipv4.dst', 'ip.dst', 'string');
    cmp('ipv4.ttl', 'ip.ttl', 'int');
    cmp('ipv4.identification', 'ip.id', 'int');
    cmp('ipv4.dontFragment', 'ip.flags.df', 'bool');
    cmp('ipv4.moreFragments', 'ip.flags.mf', 'bool');
    cmp('ipv4.fragmentOffset', 'ip.frag_offset', 'int', (n) => n * FRAGMENT_OFFSET_UNIT);
    cmp('ipv4.protocol', 'ip.proto', 'int');
    cmp('ipv4.headerLength', 'ip.hdr_len', 'int');
    cmp('ipv4.totalLength', 'ip.len', 'int');
    cmp('ipv4.checksum', 'ip.checksum', 'int');
    cmp('ipv4.checksumValid', 'ip.checksum.status', 'status');
  }

  if (layer('ipv6', layers.ipv6)) {
    cmp('ipv6.src', 'ipv6.src', 'string');
    cmp('ipv6.dst', 'ipv6.dst', 'string');
    cmp('ipv6.hopLimit', 'ipv6.hlim', 'int');
    cmp('ipv6.flowLabel', 'ipv6.flow', 'int');
    cmp('ipv6.trafficClass', 'ipv6.tclass', 'int');
    cmp('ipv6.nextHeader', 'ipv6.nxt', 'int');
    cmp('ipv6.payloadLength', 'ipv6.plen', 'int');
  }

  if (layer('tcp', layers.tcp)) {
    cmp('tcp.srcPort', 'tcp.srcport', 'int');
    cmp('tcp.dstPort', 'tcp.dstport', 'int');
    cmp('tcp.seq', 'tcp.seq_raw', 'int');
    cmp('tcp.ack', 'tcp.ack_raw', 'int');
    cmp('tcp.headerLength', 'tcp.hdr_len', 'int');
    const flags = tsharkInt(t['tcp.flags'][0] ?? '');
    if (flags === undefined) {
      miss('tcp.flags', `unparsable tcp.flags=${t['tcp.flags'][0] ?? '(absent)'}`, getPath(synack, 'tcp.flags'));
    } else {
      for (const [name, bit] of Object.entries(FLAG_BITS)) {
        const sv = getPath(synack, `tcp.flags.${name}`);
        if (sv !== ((flags & bit) !== 0)) miss(`tcp.flags.${name}`, `${(flags & bit) !== 0} (tcp.flags=${t['tcp.flags'][0] ?? ''})`, sv);
      }
    }
    cmp('tcp.window', 'tcp.window_size_value', 'int');
    cmp('tcp.checksum', 'tcp.checksum', 'int');
    // RFC 1624 3: 0xffff and 0x0000 are the same one's-complement zero, so a segment whose correct
    // checksum computes to 0x0000 verifies with 0xffff in the field (Linux sends that). tshark 4.0
    // compares the field with its computed 0x0000 and calls it bad; synack sums the segment with the
    // field (RFC 1071) and gets zero: good. Only that exact case is let through.
    const onesZero = tsharkInt(t['tcp.checksum'][0] ?? '') === 0xffff && tsharkChecksumStatus(t['tcp.checksum.status'][0] ?? '') === false && getPath(synack, 'tcp.checksumValid') === true;
    if (!onesZero) cmp('tcp.checksumValid', 'tcp.checksum.status', 'status');
    cmp('tcp.urgentPointer', 'tcp.urgent_pointer', 'int');
    cmp('tcp.payloadLength', 'tcp.len', 'int');

    const opts = getPath(synack, 'tcp.options');
    if (!Array.isArray(opts)) {
      miss('tcp.options', `${t['tcp.option_kind'].length} options`, opts);
    } else {
      const list = opts as unknown[];
      const field = (o: unknown, k: string): unknown => getPath(o, k);
      const ofName = (n: string): unknown[] => list.filter((o) => field(o, 'name') === n);
      cmpList('tcp.options[].kind', list.map((o) => field(o, 'kind')), 'tcp.option_kind');
      list.forEach((o, i) => {
        const kind = field(o, 'kind');
        const want = typeof kind === 'number' ? (OPTION_NAMES[kind] ?? 'unknown') : undefined;
        if (field(o, 'name') !== want) miss(`tcp.options[${i}].name`, `${want ?? '?'} (kind ${show(kind)})`, field(o, 'name'));
      });
      cmpList('tcp.options[mss].mss', ofName('mss').map((o) => field(o, 'mss')), 'tcp.options.mss_val');
      cmpList('tcp.options[wscale].shift', ofName('wscale').map((o) => field(o, 'shift')), 'tcp.options.wscale.shift');
      const blocks = ofName('sack').flatMap((o) => {
        const b = field(o, 'blocks');
        return Array.isArray(b) ? (b as unknown[]) : [undefined];
      });
      cmpList('tcp.options[sack].blocks[].left', blocks.map((b) => field(b, 'left')), 'tcp.options.sack_le');
      cmpList('tcp.options[sack].blocks[].right', blocks.map((b) => field(b, 'right')), 'tcp.options.sack_re');
      cmpList('tcp.options[timestamps].tsval', ofName('timestamps').map((o) => field(o, 'tsval')), 'tcp.options.timestamp.tsval');
      cmpList('tcp.options[timestamps].tsecr', ofName('timestamps').map((o) => field(o, 'tsecr')), 'tcp.options.timestamp.tsecr');
    }
  }
  return out;
}

/** Compares whole captures: same frame count, then every frame. */
export function compareCapture(tshark: readonly TsharkFrame[], synack: readonly unknown[]): { mismatches: Mismatch[]; frames: number } {
  const mismatches: Mismatch[] = [];
  if (tshark.length !== synack.length) {
    mismatches.push({ frame: 0, field: 'frame count', tshark: String(tshark.length), synack: String(synack.length) });
  }
  const byNumber = new Map<number, unknown>();
  for (const s of synack) {
    const n = getPath(s, 'frame');
    if (typeof n === 'number') byNumber.set(n, s);
  }
  for (const t of tshark) {
    const n = tsharkInt(t['frame.number'][0] ?? '') ?? -1;
    const s = byNumber.get(n);
    if (s === undefined) {
      mismatches.push({ frame: n, field: 'frame', tshark: 'present', synack: '(absent)' });
      continue;
    }
    mismatches.push(...compareFrame(t, s));
  }
  return { mismatches, frames: tshark.length };
}

/** A readable report: counts per field, then the first `limit` mismatches. */
export function formatMismatches(mismatches: readonly Mismatch[], limit = 25): string {
  const perField = new Map<string, number>();
  for (const m of mismatches) perField.set(m.field, (perField.get(m.field) ?? 0) + 1);
  const lines = [`${mismatches.length} mismatches; by field: ${[...perField].map(([f, n]) => `${f} x${n}`).join(', ')}`];
  for (const m of mismatches.slice(0, limit)) lines.push(`  frame ${m.frame} ${m.field}: tshark ${m.tshark}, synack ${m.synack}`);
  return lines.join('\n');
}
