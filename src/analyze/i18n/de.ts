/**
 * Deutsch für `synack explain`, im Ton der Seeds: des Support-Artikels KB 172983 („Erklärung des
 * Dreiwege-Handshakes über TCP/IP“, seeds/000) und der Vorlesung „Verbindungsauf- und -abbau“
 * (seeds/003). Deren Begriffe: Rahmen, Segment, Anfangssequenznummer (ISN), Bestätigungsnummer,
 * Dreiwege-Handshake, Halbschließen; Dezimalkomma, Zahlen aus dem Rahmen unverändert.
 *
 * Invariant: a template for every message id (the `Templates` type), each returning complete
 * sentences with no placeholders left.
 */
import type { AnomalyKind } from '../anomalies.js';
import { durationParts, percent } from './format.js';
import type { Offer, Side, Templates, ZeekState } from './types.js';

const other = (s: Side): Side => (s === 'client' ? 'server' : 'client');
/** Der Client / der Server in den vier Fällen (beide maskulin). */
const nom = (s: Side): string => (s === 'client' ? 'der Client' : 'der Server');
const Nom = (s: Side): string => (s === 'client' ? 'Der Client' : 'Der Server');
const dat = (s: Side): string => (s === 'client' ? 'dem Client' : 'dem Server');
const akk = (s: Side): string => (s === 'client' ? 'den Client' : 'den Server');
const gen = (s: Side): string => (s === 'client' ? 'des Clients' : 'des Servers');

function list(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} und ${items[items.length - 1] ?? ''}`;
}

function bytes(n: number): string {
  return `${n} ${n === 1 ? 'Byte' : 'Bytes'}`;
}
/** "1 Segment", "2 Segmente"; im Dativ "2 Segmenten". */
function segments(n: number, dative = false): string {
  return `${n} ${n === 1 ? 'Segment' : dative ? 'Segmenten' : 'Segmente'}`;
}

function frameRange(first: number, last: number): string {
  return first === last ? `Rahmen ${first}` : `Rahmen ${first}–${last}`;
}

function frameList(frames: readonly number[], count: number): string {
  if (count > frames.length) return `Rahmen ${frames.join(', ')} und ${count - frames.length} weitere`;
  return `Rahmen ${list(frames.map(String))}`;
}

function duration(s: number): string {
  const d = durationParts(s);
  return `${d.value.replace('.', ',')} ${d.unit}`;
}

function offerText(o: Offer): string {
  const parts: string[] = [];
  if (o.mss !== null) parts.push(`eine maximale Segmentgröße (MSS) von ${o.mss} Bytes`);
  if (o.windowScale !== null) parts.push(`Fensterskalierung (Faktor 2^${o.windowScale})`);
  if (o.sackPermitted) parts.push('selektive Bestätigungen (SACK)');
  if (o.timestamps) parts.push('Zeitstempel');
  return parts.length === 0 ? 'bietet keine Optionen an' : `bietet ${list(parts)} an`;
}

/** Names of the anomaly kinds (singular, plural); the ladder's marks use the same words (i18n/ladder-de.ts). */
export const KIND: Readonly<Record<AnomalyKind, [string, string]>> = {
  retransmission: ['Sendewiederholung', 'Sendewiederholungen'],
  fastRetransmission: ['schnelle Sendewiederholung', 'schnelle Sendewiederholungen'],
  spuriousRetransmission: ['unnötige Sendewiederholung', 'unnötige Sendewiederholungen'],
  outOfOrder: ['Segment außer der Reihe', 'Segmente außer der Reihe'],
  lostSegment: ['fehlendes vorheriges Segment', 'fehlende vorherige Segmente'],
  ackedUnseen: ['Bestätigung nicht mitgeschnittener Daten', 'Bestätigungen nicht mitgeschnittener Daten'],
  duplicateAck: ['doppeltes ACK', 'doppelte ACKs'],
  zeroWindow: ['Nullfenster', 'Nullfenster'],
  zeroWindowProbe: ['Nullfenster-Probe', 'Nullfenster-Proben'],
  windowFull: ['volles Fenster', 'volle Fenster'],
  windowUpdate: ['Fensteraktualisierung', 'Fensteraktualisierungen'],
  keepAlive: ['Keep-Alive', 'Keep-Alives'],
  portReuse: ['Wiederverwendung der Ports', 'Wiederverwendungen der Ports'],
  badChecksum: ['falsche Prüfsumme', 'falsche Prüfsummen'],
  keepAliveAck: ['Antwort auf ein Keep-Alive', 'Antworten auf Keep-Alives'],
  zeroWindowProbeAck: ['Antwort auf eine Nullfenster-Probe', 'Antworten auf Nullfenster-Proben'],
};

function kindCount(kind: AnomalyKind, n: number): string {
  const [one, many] = KIND[kind];
  return `${n} ${n === 1 ? one : many}`;
}

const STATE: Readonly<Record<ZeekState, string>> = {
  S0: 'Verbindungsversuch gesehen, keine Antwort',
  S1: 'aufgebaut, nicht beendet',
  SF: 'normaler Auf- und Abbau',
  REJ: 'Verbindungsversuch abgewiesen',
  S2: 'aufgebaut, Abbauversuch des Initiators gesehen, keine Antwort des Responders',
  S3: 'aufgebaut, Abbauversuch des Responders gesehen, keine Antwort des Initiators',
  RSTO: 'aufgebaut, vom Initiator abgebrochen (RST)',
  RSTR: 'aufgebaut, vom Responder abgebrochen (RST)',
  RSTOS0: 'der Initiator sandte ein SYN und danach ein RST, kein SYN-ACK gesehen',
  RSTRH: 'der Responder sandte ein SYN-ACK und danach ein RST, kein SYN gesehen',
  SH: 'der Initiator sandte ein SYN und danach ein FIN, kein SYN-ACK gesehen',
  SHR: 'der Responder sandte ein SYN-ACK und danach ein FIN, kein SYN gesehen',
  OTH: 'kein SYN gesehen, nur Verkehr aus der Mitte der Verbindung',
};

export const de: Templates = {
  'conn.title': (p) =>
    `Verbindung ${p.id}: Client ${p.client} Port ${p.clientPort}, Server ${p.server} Port ${p.serverPort} (IPv${p.family}), ${segments(p.segments)} in den Rahmen ${p.first}–${p.last}.`,
  'conn.rolesFromSynAck': () => 'Das SYN ist nicht im Mitschnitt; Client ist die Seite, an die das SYN-ACK ging.',
  'conn.rolesGuessed': () =>
    'Weder SYN noch SYN-ACK sind im Mitschnitt. Welche Seite der Client ist, ist daher nur geschätzt: der erste Absender, sofern die Portnummern nicht dagegen sprechen (die Regel von Zeek).',
  'conn.midstream': (p) =>
    `Der Mitschnitt beginnt mitten in dieser Verbindung: Rahmen ${p.frame} ist ihr erster, der Verbindungsaufbau lag vor dem Beginn des Mitschnitts.`,
  'conn.notContinuation': (p) =>
    `${frameRange(p.first, p.last)} gehören nicht zur Verbindung der Rahmen ${p.prevFirst}–${p.prevLast}, obwohl sie auf diese folgen und wie ihr Abbau aussehen. ` +
    `Sie tragen andere Adressen und Ports (${p.client}:${p.clientPort} und ${p.server}:${p.serverPort} statt ${p.prevClient}:${p.prevClientPort} und ${p.prevServer}:${p.prevServerPort})` +
    `${p.otherMacs ? ' und andere Ethernet-Adressen' : ''}, und ihre Sequenznummern setzen die Verbindung nicht fort: Rahmen ${p.first} hat seq ${p.seq} und ack ${p.ack}, der Client der Rahmen ${p.prevFirst}–${p.prevLast} würde seq ${p.prevSeq} und ack ${p.prevAck} senden. ` +
    `Die Bytes widersprechen also jeder Darstellung dieser Rahmen als Auf- und Abbau ein und derselben Verbindung: Die Verbindung der Rahmen ${p.prevFirst}–${p.prevLast} wird in diesem Mitschnitt nie abgebaut, und diese hier wurde schon vor seinem Beginn aufgebaut.`,
  'conn.endedOpen': (p) => `Der Mitschnitt endet (letzter Rahmen ${p.frame}), bevor diese Verbindung abgebaut ist.`,

  'capture.ttl': (p) =>
    `Mitgeschnitten wurde beim ${p.point === 'client' ? 'Client' : 'Server'}: Seine Pakete tragen eine anfängliche TTL (${p.own}), die ${gen(other(p.point))} kommen mit ${p.other} an, von den Routern unterwegs verringert. Die Zeiten in dieser Erklärung geben die Sicht ${gen(p.point)} wieder.`,
  'capture.timing': (p) =>
    `Mitgeschnitten wurde vermutlich in der Nähe ${gen(p.point)}: Das SYN-ACK folgte dem SYN nach ${duration(p.toSynAck)}, das ACK dem SYN-ACK nach ${duration(p.toAck)}; der Weg durchs Netz liegt also überwiegend zwischen dem Ort des Mitschnitts und ${dat(other(p.point))}. Zeiten und Verluste gelten für diesen Ort.`,
  'capture.unknown': () =>
    'Wo mitgeschnitten wurde, lässt sich aus den Bytes nicht erkennen (weder TTLs noch Handshake-Zeiten geben es her); Zeiten und Verluste gelten nur am Ort des Mitschnitts.',

  'hs.syn': (p) =>
    `Rahmen ${p.frame}: Der Client ${p.client} fordert den Server ${p.server} auf, eine Verbindung von Port ${p.clientPort} zu Port ${p.serverPort} herzustellen (SYN). ` +
    `Er wählt die Anfangssequenznummer (ISN) ${p.isn} und ${offerText(p.offer)}. Das ACK-Flag ist nicht gesetzt, die Bestätigungsnummer hat also noch keine Bedeutung: Dies ist der erste Schritt des Dreiwege-Handshakes.`,
  'hs.synOptionBytes': (p) =>
    `Das SYN enthält keine Daten: Das Segment besteht nur aus seinem ${p.headerBytes} Bytes langen TCP-Header, davon ${p.optionBytes} Bytes Optionen.`,
  'hs.netmonLen': (p) =>
    `(Der Microsoft Netzwerkmonitor, zitiert in KB 172983, zeigt ein solches SYN als „len: ${p.optionBytes}“ an: Er zählt die ${p.optionBytes} Optionsbytes, als wären es Daten.)`,
  'hs.synRetry': (p) =>
    `Rahmen ${p.frame}: Der Client sendet sein SYN erneut (gleiche ISN ${p.isn}), ${duration(p.after)} nach dem ersten: Es war keine Antwort gekommen, das SYN oder die Antwort des Servers ging also wahrscheinlich verloren.`,
  'hs.synAck': (p) =>
    `Rahmen ${p.frame}: Der Server ${p.server} nimmt an: Er bestätigt das SYN des Clients und sendet im selben Segment sein eigenes SYN (SYN, ACK). ` +
    (p.clientIsn !== null
      ? `Seine Bestätigungsnummer ${p.ack} ist die ISN des Clients ${p.clientIsn} plus 1, denn ein SYN belegt eine Sequenznummer. `
      : `Seine Bestätigungsnummer ist ${p.ack}: Das SYN des Clients, das nicht im Mitschnitt ist, hatte die ISN ${(p.ack - 1) >>> 0}. `) +
    `Die eigene Anfangssequenznummer des Servers ist ${p.isn}; er ${offerText(p.offer)}.`,
  'hs.synAckWrongAck': (p) =>
    `Hier widersprechen die Bytes dem Handshake: Die Bestätigungsnummer müsste ${p.expected} sein (ISN des Clients plus 1), ist aber ${p.ack}. Der Client wird dieses SYN-ACK mit einem Reset zurückweisen.`,
  'hs.synAckRetry': (p) =>
    `Rahmen ${p.frame}: Der Server sendet sein SYN-ACK erneut, ${duration(p.after)} nach dem ersten: Das ACK des Clients war nicht angekommen (oder der Client hat sein SYN wiederholt).`,
  'hs.ack': (p) =>
    `Rahmen ${p.frame}: Der Client bestätigt das SYN des Servers mit der Bestätigungsnummer ${p.ack}, der ISN des Servers ${p.serverIsn} plus 1` +
    `${p.bytes > 0 ? `, und sendet im selben Segment bereits ${bytes(p.bytes)} Daten` : ''}. ` +
    'Damit ist der Dreiwege-Handshake abgeschlossen: Beide Seiten kennen die Sequenznummern der anderen, die Verbindung ist hergestellt.',
  'hs.rtt': (p) => `Vom SYN bis zu diesem ACK vergingen ${duration(p.rtt)}: die Umlaufzeit des Handshakes (die „initial RTT“ von tshark).`,
  'hs.windowScale': (p) =>
    p.client !== null && p.server !== null
      ? `Beide Seiten haben Fensterskalierung angeboten; von nun an zählt das Fensterfeld des Clients in Einheiten von ${2 ** p.client} Bytes, das des Servers in Einheiten von ${2 ** p.server} Bytes (RFC 7323).`
      : `Nur ${p.client !== null ? 'der Client' : 'der Server'} hat Fensterskalierung angeboten, daher skaliert keine Seite ihr Fenster (RFC 7323: beide müssen sie anbieten).`,

  'rst.refused': (p) =>
    `Rahmen ${p.frame}: Der Server beantwortet das SYN nach ${duration(p.after)} mit einem Reset (RST): Die Verbindung wird abgewiesen. Auf Port ${p.serverPort} von ${p.server} wartet kein Dienst, oder eine Firewall weist die Verbindung an seiner Stelle ab.`,
  'rst.abort': (p) =>
    `Rahmen ${p.frame}: ${Nom(p.from)} bricht die Verbindung mit einem Reset (RST) ab. Anders als ein FIN beendet ein Reset beide Richtungen sofort und verwirft Daten, die noch unterwegs sind: Die Anwendung auf ${dat(p.from)} hat ihren Socket abrupt geschlossen (oder mit noch ungelesenen Daten), oder der Rechner hat den Zustand der Verbindung verloren.`,
  'rst.afterFin': (p) =>
    `Rahmen ${p.frame}: ${Nom(p.from)} sendet einen Reset (RST), nachdem der Abbau schon begonnen hatte: Ein Segment kam für einen bereits geschlossenen Socket an, oder die Anwendung hat geschlossen, ohne alle Daten zu lesen. Die Verbindung endet sofort.`,
  'rst.again': (p) => `Rahmen ${p.frame}: ein weiterer Reset ${gen(p.from)}; die Verbindung ist bereits beendet.`,

  'data.run': (p) => {
    const side = (s: Side): string => {
      const segs = p.segs[s];
      const acks = p.acks[s];
      if (segs === 0 && acks === 0) return `${nom(s)} sendet nichts`;
      if (segs === 0) return `${nom(s)} bestätigt nur (${acks} ${acks === 1 ? 'Segment' : 'Segmente'} ohne Daten)`;
      return `${nom(s)} sendet ${bytes(p.bytes[s])} in ${segments(segs, true)}${acks > 0 ? ` und ${acks} ${acks === 1 ? 'Bestätigung' : 'Bestätigungen'} ohne Daten` : ''}`;
    };
    const text = `${side('client')}; ${side('server')}.`;
    return `${frameRange(p.first, p.last)} (${duration(p.duration)}): Datenübertragung. ${text.charAt(0).toUpperCase()}${text.slice(1)}`;
  },
  'data.segment': (p) =>
    `Rahmen ${p.frame}: ${Nom(p.from)} sendet ${bytes(p.bytes)} Daten (seq ${p.seq})` +
    `${p.ack !== null ? ` und bestätigt alles vor ${p.ack}` : ''}.`,
  'data.ack': (p) =>
    `Rahmen ${p.frame}: ${Nom(p.from)} bestätigt alles vor ${p.ack} (ACK ohne Daten)${p.window !== null ? `; sein Empfangsfenster beträgt ${p.window} Bytes` : ''}.`,
  'data.dupAcks': (p) =>
    p.again
      ? `${p.count === 1 ? 'Ein doppeltes ACK' : `${p.count} doppelte ACKs`} ${gen(p.from)} (${frameList(p.frames, p.count)}) für ${p.ack}: Wieder fehlt ein Segment ab ${p.ack}.`
      : `${p.count === 1 ? 'Ein doppeltes ACK' : `${p.count} doppelte ACKs`} ${gen(p.from)} (${frameList(p.frames, p.count)}) für ${p.ack}: ` +
    `${Nom(p.from)} hat Daten hinter einer Lücke empfangen und fordert weiter die Bytes ab ${p.ack} an. Wahrscheinlich ging ein Segment verloren (oder wurde vertauscht); nach drei doppelten ACKs wiederholt der Sender es sofort (Fast Retransmit).`,
  'data.windowUpdates': (p) =>
    p.again
      ? `${p.count === 1 ? 'Eine weitere Fensteraktualisierung' : `${p.count} weitere Fensteraktualisierungen`} ${gen(p.from)} (${frameList(p.frames, p.count)}).`
      : `${p.count === 1 ? 'Eine Fensteraktualisierung' : `${p.count} Fensteraktualisierungen`} ${gen(p.from)} (${frameList(p.frames, p.count)}): Er meldet ein anderes Empfangsfenster, ohne neue Daten zu bestätigen, meist weil seine Anwendung Daten gelesen und Platz geschaffen hat.`,
  'data.keepAliveAcks': (p) =>
    `${Nom(p.from)} beantwortet ${p.count === 1 ? 'das Keep-Alive' : 'die Keep-Alives'} (${frameList(p.frames, p.count)}): Die Verbindung besteht noch.`,
  'data.probeAcks': (p) =>
    `${Nom(p.from)} beantwortet ${p.count === 1 ? 'die Nullfenster-Probe' : 'die Nullfenster-Proben'} (${frameList(p.frames, p.count)}); sein Fenster ist weiterhin geschlossen.`,
  'data.halfClose': (p) =>
    `Rahmen ${p.frame}: Die Verbindung ist halb geschlossen (Halbschließen, RFC 9293 3.6): ${Nom(p.closed)} hat das Senden beendet, ${nom(p.sender)} sendet aber weiter Daten, nach dem FIN insgesamt ${bytes(p.bytes)}, und ${nom(p.closed)} empfängt und bestätigt sie weiterhin.`,

  'close.fin': (p) =>
    `Rahmen ${p.frame}: ${Nom(p.from)} hat keine Daten mehr zu senden und zeigt das mit FIN an (seq ${p.seq})` +
    `${p.bytes > 0 ? `, zusammen mit seinen letzten ${bytes(p.bytes)} Daten` : ''}. ` +
    `Damit schließt er nur seine eigene Richtung: Daten ${gen(other(p.from))} kann er weiterhin empfangen.` +
    `${p.ack !== null ? ` Das ACK-Flag im selben Segment bestätigt alles vor ${p.ack}.` : ''}`,
  'close.finAck': (p) =>
    `Rahmen ${p.frame}: ${Nom(p.from)} bestätigt das FIN aus Rahmen ${p.finFrame} (ack ${p.ack}: Ein FIN belegt wie ein SYN eine Sequenznummer).`,
  'close.fin2': (p) =>
    `Rahmen ${p.frame}: Auch ${nom(p.from)} schließt seine Richtung (FIN, seq ${p.seq}). Die beiden Richtungen einer TCP-Verbindung werden unabhängig voneinander geschlossen; deshalb braucht der Abbau vier Segmente statt drei.`,
  'close.fin2Ack': (p) =>
    `Rahmen ${p.frame}: ${Nom(p.from)} bestätigt das FIN aus Rahmen ${p.finFrame} (ack ${p.ack}) und schließt im selben Segment seine eigene Richtung (FIN, seq ${p.seq}).`,
  'close.finalAck': (p) =>
    `Rahmen ${p.frame}: ${Nom(p.from)} bestätigt das FIN aus Rahmen ${p.finFrame} (ack ${p.ack}). Beide Richtungen sind geschlossen: Die Verbindung wurde ordnungsgemäß abgebaut. ${Nom(p.from)}, der zuerst geschlossen hat, wartet nun im Zustand TIME-WAIT, bevor dasselbe Portpaar wieder verwendet werden darf.`,
  'close.finRetry': (p) =>
    `Rahmen ${p.frame}: ${Nom(p.from)} sendet sein FIN erneut (seq ${p.seq}): Die Bestätigung war nicht rechtzeitig angekommen.`,

  'anom.retransmission': (p) =>
    p.again
      ? `Rahmen ${p.frame}: ${Nom(p.from)} sendet die ${bytes(p.bytes)} ab seq ${p.seq} noch einmal (Sendewiederholung).`
      : `Rahmen ${p.frame}: ${Nom(p.from)} sendet die ${bytes(p.bytes)} ab seq ${p.seq} noch einmal (Sendewiederholung): Das Segment oder seine Bestätigung ging wahrscheinlich verloren, und der Wiederholungs-Timer ${gen(p.from)} ist abgelaufen. Verluste bremsen die Verbindung.`,
  'anom.fastRetransmission': (p) =>
    p.again
      ? `Rahmen ${p.frame}: schnelle Sendewiederholung der ${bytes(p.bytes)} ab seq ${p.seq} durch ${akk(p.from)}, nach doppelten ACKs.`
      : `Rahmen ${p.frame}: schnelle Sendewiederholung (Fast Retransmit): ${Nom(p.from)} wiederholt die ${bytes(p.bytes)} ab seq ${p.seq}, sobald die doppelten ACKs gezeigt haben, dass sie fehlen, ohne auf seinen Timer zu warten.`,
  'anom.spuriousRetransmission': (p) =>
    p.again
      ? `Rahmen ${p.frame}: ${Nom(p.from)} sendet erneut bereits bestätigte Daten ab seq ${p.seq} (${bytes(p.bytes)}; unnötige Sendewiederholung${p.suspected ? ', nur vermutet' : ''}).`
      : `Rahmen ${p.frame}: ${Nom(p.from)} sendet die Daten ab seq ${p.seq} (${bytes(p.bytes)}) erneut, obwohl ${nom(other(p.from))} sie schon bestätigt hatte (unnötige Sendewiederholung): Verloren ging nichts, der Timer war zu kurz oder die Bestätigung kam spät.` +
    `${p.suspected ? ` Nur ein Verdacht: Mitgeschnitten wurde nicht beim ${p.from === 'client' ? 'Client' : 'Server'}, der die Bestätigung vielleicht noch nicht hatte.` : ''}`,
  'anom.outOfOrder': (p) =>
    p.again
      ? `Rahmen ${p.frame}: wieder ein Segment ${gen(p.from)} außer der Reihe (seq ${p.seq}, ${bytes(p.bytes)}${p.suspected ? ', nur vermutet' : ''}).`
      : `Rahmen ${p.frame}: Ein Segment ${gen(p.from)} (seq ${p.seq}, ${bytes(p.bytes)}) kommt außer der Reihe, nach Daten mit höheren Sequenznummern: unterwegs vertauscht oder eine rasche Sendewiederholung.` +
    `${p.suspected ? ' Nur ein Verdacht: Mitgeschnitten wurde nicht beim Empfänger, wahrscheinlicher ist also eine kurz nach dem Original gesendete Wiederholung.' : ''}`,
  'anom.lostSegment': (p) =>
    p.again
      ? `Rahmen ${p.frame}: Wieder fehlt vor seq ${p.seq} ein Segment ${gen(p.from)} im Mitschnitt${p.suspected ? ' (wahrscheinlich vom Mitschnitt verpasst)' : ''}.`
      : `Rahmen ${p.frame}: Das Segment ${gen(p.from)} beginnt bei seq ${p.seq}, hinter der als Nächstes erwarteten Sequenznummer: Ein Segment davor fehlt im Mitschnitt.` +
    `${p.suspected ? ' Nur als Verlust vermutet: Am Ort des Mitschnitts hat eher der Mitschnitt selbst es verpasst.' : ' Es ging wahrscheinlich im Netz verloren.'}`,
  'anom.ackedUnseen': (p) =>
    p.again
      ? `Rahmen ${p.frame}: ${Nom(p.from)} bestätigt wieder Daten bis ${p.ack}, die der Mitschnitt nicht gesehen hat.`
      : `Rahmen ${p.frame}: ${Nom(p.from)} bestätigt Daten bis ${p.ack}, die der Mitschnitt nie gesehen hat: ${Nom(p.from)} hat sie erhalten, also fehlen Segmente im Mitschnitt (eine Lücke im Mitschnitt, kein Netzproblem).`,
  'anom.zeroWindow': (p) =>
    p.again
      ? `Rahmen ${p.frame}: ${Nom(p.from)} meldet wieder ein Nullfenster.`
      : `Rahmen ${p.frame}: ${Nom(p.from)} meldet ein Nullfenster: Sein Empfangspuffer ist voll, weil seine Anwendung nicht liest. ${Nom(other(p.from))} muss mit dem Senden aufhören und nachfragen, bis sich das Fenster wieder öffnet.`,
  'anom.zeroWindowProbe': (p) =>
    p.again
      ? `Rahmen ${p.frame}: ${Nom(p.from)} prüft das Nullfenster erneut.`
      : `Rahmen ${p.frame}: ${Nom(p.from)} prüft das Nullfenster mit einem Byte (Nullfenster-Probe), um zu erfahren, ob ${nom(other(p.from))} wieder Platz hat.`,
  'anom.windowFull': (p) =>
    p.again
      ? `Rahmen ${p.frame}: Wieder füllt ein Segment ${gen(p.from)} das Empfangsfenster ${gen(other(p.from))}.`
      : `Rahmen ${p.frame}: Dieses Segment füllt das Empfangsfenster ${gen(other(p.from))} vollständig; ${nom(p.from)} muss nun auf Bestätigungen warten, bevor er mehr senden darf. Hier begrenzt der Empfänger (oder seine Anwendung) das Tempo.`,
  'anom.keepAlive': (p) =>
    p.again
      ? `Rahmen ${p.frame}: ein weiteres Keep-Alive ${gen(p.from)}.`
      : `Rahmen ${p.frame}: Keep-Alive ${gen(p.from)}: Nach einer Pause sendet er ein Segment mit der Sequenznummer eins unter der nächsten, damit ${nom(other(p.from))} bestätigt, dass die Verbindung noch besteht.`,
  'anom.portReuse': (p) =>
    `Rahmen ${p.frame}: ein neues SYN auf denselben Ports (${p.clientPort} und ${p.serverPort}) mit einer neuen Anfangssequenznummer: Eine frühere Verbindung auf diesem Portpaar ist beendet, eine neue beginnt (Wiederverwendung der Ports).`,
  'anom.badChecksum': (p) =>
    p.again
      ? `Rahmen ${p.frame}: ein weiteres Segment ${gen(p.from)} mit falscher TCP-Prüfsumme.`
      : `Rahmen ${p.frame}: Die TCP-Prüfsumme dieses Segments ${gen(p.from)} ist falsch. Haben alle Segmente des mitschneidenden Rechners eine falsche Prüfsumme, berechnet die Netzwerkkarte sie erst nach dem Mitschnitt (Checksum Offload), und es ist alles in Ordnung; andernfalls wurde das Segment beschädigt und der Empfänger verwirft es.`,

  'sum.head': (p) =>
    `Kurz gesagt (Verbindung ${p.id}, ${duration(p.duration)} vom ersten bis zum letzten Rahmen): Der Client sandte ${segments(p.segs.client)} mit ${bytes(p.bytes.client)} Daten, der Server ${segments(p.segs.server)} mit ${bytes(p.bytes.server)}.`,
  'sum.opened': (p) => `Sie wurde mit einem vollständigen Dreiwege-Handshake aufgebaut${p.rtt !== null ? ` (Umlaufzeit ${duration(p.rtt)})` : ''}.`,
  'sum.refused': () => 'Der Server hat die Verbindung mit einem Reset abgewiesen; es wurden keine Daten ausgetauscht.',
  'sum.unanswered': (p) =>
    `Das SYN des Clients (${p.attempts === 1 ? 'ein Versuch' : `${p.attempts} Versuche`}) blieb im Mitschnitt unbeantwortet: Der Server ist nicht erreichbar oder ausgefallen, oder eine Firewall verwirft das SYN stillschweigend.`,
  'sum.midstream': () => 'Sie bestand bereits, als der Mitschnitt begann.',
  'sum.closeGraceful': (p) => `${Nom(p.by)} hat zuerst geschlossen; beide Seiten sandten ein FIN, und das letzte wurde bestätigt: ein ordnungsgemäßer Abbau.`,
  'sum.halfClose': (p) =>
    `${Nom(p.by)} hat seine Richtung zuerst geschlossen, und ${nom(other(p.by))} sandte über die halb geschlossene Verbindung noch ${bytes(p.bytes)}, bevor er ebenfalls schloss.`,
  'sum.closeReset': (p) => `${Nom(p.by)} hat sie mit einem Reset (RST) beendet, nicht mit dem Austausch der FINs: ein Abbruch.`,
  'sum.closeIncomplete': (p) => `${Nom(p.by)} hat den Abbau mit einem FIN begonnen, der Mitschnitt zeigt aber nicht beide FINs bestätigt.`,
  'sum.open': () => 'Sie war noch offen, als der Mitschnitt endete.',
  'sum.anomalies': (p) => {
    const parts = p.counts.map((c) => `${kindCount(c.kind, c.count)}${c.suspected > 0 ? ` (${c.suspected === c.count ? (c.count === 1 ? 'nur vermutet' : 'alle nur vermutet') : `davon ${c.suspected} nur vermutet`})` : ''}`);
    return `Auffälligkeiten, wie tshark sie markiert: ${list(parts)}.`;
  },
  'sum.clean': () => 'Keine Auffälligkeiten: keine Verluste, keine Sendewiederholungen, keine Fensterprobleme.',
  'sum.loss': (p) =>
    `${p.retransmitted} von ${p.dataSegments} Datensegmenten ${p.retransmitted === 1 ? 'wurde' : 'wurden'} erneut gesendet (${percent(p.retransmitted, p.dataSegments).replace('.', ',')} %). Jeder Verlust bremst TCP; ist die Strecke nicht absichtlich verlustbehaftet, lohnt die Suche nach Überlast, einer vollen Warteschlange oder einer fehlerhaften Leitung.`,
  'sum.zeroWindow': (p) =>
    `${Nom(p.from)} hat sein Fenster ${p.count === 1 ? 'einmal' : `${p.count}-mal`} geschlossen: Seine Anwendung hat nicht schnell genug gelesen. Der Engpass ist die empfangende Anwendung, nicht das Netz.`,
  'sum.capped': (p) =>
    `Nur die ersten werden einzeln erklärt: ${kindCount(p.kind, p.count)} mehr in den Rahmen ${p.first}–${p.last}.`,
  'sum.zeek': (p) => `Zeek würde sie mit conn_state ${p.state} (${STATE[p.state]}) und history ${p.history === '' ? '(leer)' : p.history} protokollieren.`,
};
