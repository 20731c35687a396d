/**
 * Deutsch für Leiterdiagramme (Sequenzdiagramme), mit den Begriffen der Seeds (KB 172983,
 * seeds/000: Verbindung, Client, Server, Rahmen, Sequenznummer, Bestätigungsnummer,
 * Dreiwege-Handshake, „Herstellen einer Verbindung“, „Beenden einer Verbindung“) und den Namen der
 * Auffälligkeiten, die `synack explain` verwendet (de.ts, KIND): Diagramm und Erklärung stimmen
 * überein. Dezimalkomma in Sätzen; die Zeitspalte bleibt wie bei tcpdump und Wireshark.
 *
 * Invariant: a template for every ladder message id (the `LadderTemplates` type); no placeholders
 * left in the output.
 */
import { KIND } from './de.js';
import { millis, ttlText } from './format.js';
import type { CaptureBasis, LadderTemplates } from './ladder-types.js';
import type { Side } from './types.js';

const other = (s: Side): Side => (s === 'client' ? 'server' : 'client');
const name = (s: Side): string => (s === 'client' ? 'Client' : 'Server');
const gen = (s: Side): string => (s === 'client' ? 'des Clients' : 'des Servers');

const ms = (s: number): string => `${millis(s, true)} ms`;
const ttl = ttlText;

function basisText(b: CaptureBasis): string {
  switch (b.kind) {
    case 'ttl':
      return `TTL: Die Pakete ${gen(b.point)} tragen eine anfängliche TTL (${b.own}), die ${gen(other(b.point))} kommen mit ${b.other} an`;
    case 'timing':
      return `Handshake-Zeiten: SYN bis SYN-ACK ${ms(b.toSynAck)}, SYN-ACK bis ACK ${ms(b.toAck)}`;
    case 'unclear':
      return `die Handshake-Zeiten sind nicht eindeutig (SYN bis SYN-ACK ${ms(b.toSynAck)}, SYN-ACK bis ACK ${ms(b.toAck)}); TTLs ${ttl(b.ttlClient)}/${ttl(b.ttlServer)}`;
    case 'none':
      return 'kein vollständiger Handshake und keine aussagekräftigen TTLs';
  }
}

const why = (b: CaptureBasis): string => {
  const t = basisText(b);
  return t === '' ? '' : ` (${t})`;
};

export const ladderDe: LadderTemplates = {
  title: (p) => `Verbindung ${p.id}: Client ${p.client}, Server ${p.server}, Rahmen ${p.first}–${p.last}${p.relative ? ' (relative Sequenznummern)' : ''}`,
  'host.client': () => 'Client',
  'host.server': () => 'Server',
  'caption.at': (p) =>
    `Mitgeschnitten beim ${name(p.point)}${why(p.basis)}: Die Zeiten sind die ${gen(p.point)}; die Pfeile berühren die Linie ${gen(p.point)} zu ihrer Zeit.`,
  'caption.unknown': (p) =>
    `Ort des Mitschnitts unbekannt${why(p.basis)}: Die Zeiten gelten nur dort, wo mitgeschnitten wurde; die Pfeile sind waagerecht gezeichnet.`,
  'phase.open': () => 'Dreiwege-Handshake',
  'phase.data': () => 'Datenübertragung',
  'phase.close': () => 'Beenden der Verbindung',
  legend: () => 'seq: Sequenznummer, ack: Bestätigungsnummer, len: Datenbytes; „!“: Auffälligkeiten, wie tshark sie markiert („?“: nur vermutet).',
  mark: (p) => `${KIND[p.kind][0]}${p.suspected ? '?' : ''}`,
  'head.frame': () => 'Rahmen',
  'head.time': () => 'ms',
  'head.state': () => 'Zustand',
  omitted: (p) => `${p.omitted} ${p.omitted === 1 ? 'weiteres Segment wird' : 'weitere Segmente werden'} nicht gezeigt: Nur die ersten ${p.kept} wurden behalten.`,
  'row.title': (p) =>
    `Rahmen ${p.frame}, ${p.time} ${p.unit}: ${p.from} → ${p.to}, ${p.label}${p.marks.length > 0 ? ` [${p.marks.join(', ')}]` : ''}${p.note !== null ? ` (${p.note})` : ''}`,
  'ui.drawFailed': () => 'Das Sequenzdiagramm konnte nicht gezeichnet werden.',
  'fate.lost': () => 'auf der Leitung verloren',
  'fate.corrupted': () => 'auf der Leitung beschädigt (ein Bit gekippt): wegen der Prüfsumme verworfen',
  'fate.duplicated': () => 'von der Leitung verdoppelt',
  'fate.tooBig': () => 'größer als die MTU der Leitung: verworfen',
  'fate.queueFull': () => 'Warteschlange der Leitung voll: verworfen',
  'fate.closed': () => 'Leitung geschlossen',
  'fate.reordered': () => 'von der Leitung zurückgehalten (Reihenfolge vertauscht)',
};
