/**
 * Svenska för sekvensdiagram, med orden i den svenska versionen av KB 172983 (seeds/001:
 * anslutning, klient, server, ram, sekvensnummer, bekräftelsenummer, trevägshandskakning,
 * "Upprätta en anslutning", "Avsluta en anslutning") och avvikelsernas namn från `synack explain`
 * (sv.ts, KIND), så att diagram och förklaring säger samma sak. Decimalkomma i meningar; tidskolumnen
 * skrivs som i tcpdump och Wireshark.
 *
 * Invariant: a template for every ladder message id (the `LadderTemplates` type); no placeholders
 * left in the output.
 */
import { KIND } from './sv.js';
import { millis, ttlText } from './format.js';
import type { CaptureBasis, LadderTemplates } from './ladder-types.js';
import type { Side } from './types.js';

const other = (s: Side): Side => (s === 'client' ? 'server' : 'client');
const def = (s: Side): string => (s === 'client' ? 'klienten' : 'servern');
const gen = (s: Side): string => (s === 'client' ? 'klientens' : 'serverns');

const ms = (s: number): string => `${millis(s, true)} ms`;
const ttl = ttlText;

function basisText(b: CaptureBasis): string {
  switch (b.kind) {
    case 'ttl':
      return `TTL: ${gen(b.point)} paket har en inledande TTL (${b.own}), ${gen(other(b.point))} kommer fram med ${b.other}`;
    case 'timing':
      return `handskakningens tider: SYN till SYN-ACK ${ms(b.toSynAck)}, SYN-ACK till ACK ${ms(b.toAck)}`;
    case 'unclear':
      return `handskakningens tider avgör inte (SYN till SYN-ACK ${ms(b.toSynAck)}, SYN-ACK till ACK ${ms(b.toAck)}); TTL ${ttl(b.ttlClient)}/${ttl(b.ttlServer)}`;
    case 'none':
      return 'ingen fullständig handskakning och inga avgörande TTL-värden';
  }
}

const why = (b: CaptureBasis): string => {
  const t = basisText(b);
  return t === '' ? '' : ` (${t})`;
};

export const ladderSv: LadderTemplates = {
  title: (p) => `Anslutning ${p.id}: klient ${p.client}, server ${p.server}, ramarna ${p.first}–${p.last}${p.relative ? ' (relativa sekvensnummer)' : ''}`,
  'host.client': () => 'klient',
  'host.server': () => 'server',
  'caption.at': (p) => `Fångad hos ${def(p.point)}${why(p.basis)}: tiderna är ${gen(p.point)}; pilarna rör ${gen(p.point)} linje vid sin tid.`,
  'caption.unknown': (p) => `Fångstpunkten är okänd${why(p.basis)}: tiderna stämmer bara där fångsten gjordes; pilarna ritas vågräta.`,
  'phase.open': () => 'trevägshandskakning',
  'phase.data': () => 'dataöverföring',
  'phase.close': () => 'avsluta anslutningen',
  legend: () => 'seq: sekvensnummer, ack: bekräftelsenummer, len: databyte; ”!”: avvikelser så som tshark markerar dem (”?”: bara misstänkt).',
  mark: (p) => `${KIND[p.kind][0]}${p.suspected ? '?' : ''}`,
  'head.frame': () => 'ram',
  'head.time': () => 'ms',
  'head.state': () => 'tillstånd',
  omitted: (p) => `${p.omitted} segment till visas inte: bara de första ${p.kept} sparades.`,
  'row.title': (p) =>
    `Ram ${p.frame}, ${p.time} ${p.unit}: ${p.from} → ${p.to}, ${p.label}${p.marks.length > 0 ? ` [${p.marks.join(', ')}]` : ''}${p.note !== null ? ` (${p.note})` : ''}`,
  'ui.drawFailed': () => 'Sekvensdiagrammet kunde inte ritas.',
  'fate.lost': () => 'förlorat på länken',
  'fate.corrupted': () => 'skadat på länken (en bit vänd): kastat på grund av kontrollsumman',
  'fate.duplicated': () => 'dubblerat av länken',
  'fate.tooBig': () => 'större än länkens MTU: kastat',
  'fate.queueFull': () => 'länkens kö är full: kastat',
  'fate.closed': () => 'länken är stängd',
  'fate.reordered': () => 'fördröjt av länken (omordnat)',
};
