/**
 * Svenska för `synack explain`, i samma ton som den svenska versionen av supportartikeln KB 172983
 * ("Förklaring av trevägshandskakningen via TCP/IP", seeds/001): klienten, servern, segment,
 * inledande sekvensnummer (ISN), bekräftelsenummer, trevägshandskakning. Ram för "frame",
 * fångst för "capture"; decimalkomma; nummer ur ramen oförändrade.
 *
 * Invariant: a template for every message id (the `Templates` type), each returning complete
 * sentences with no placeholders left.
 */
import type { AnomalyKind } from '../anomalies.js';
import { durationParts, percent } from './format.js';
import type { Offer, Side, Templates, ZeekState } from './types.js';

const other = (s: Side): Side => (s === 'client' ? 'server' : 'client');
const def = (s: Side): string => (s === 'client' ? 'klienten' : 'servern');
const Def = (s: Side): string => (s === 'client' ? 'Klienten' : 'Servern');
const gen = (s: Side): string => (s === 'client' ? 'klientens' : 'serverns');

function list(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} och ${items[items.length - 1] ?? ''}`;
}

function frameRange(first: number, last: number): string {
  return first === last ? `Ram ${first}` : `Ramarna ${first}–${last}`;
}

function frameList(frames: readonly number[], count: number): string {
  if (count > frames.length) return `ramarna ${frames.join(', ')} och ${count - frames.length} till`;
  return frames.length === 1 ? `ram ${frames[0] ?? ''}` : `ramarna ${list(frames.map(String))}`;
}

function duration(s: number): string {
  const d = durationParts(s);
  return `${d.value.replace('.', ',')} ${d.unit}`;
}

function offerText(o: Offer): string {
  const parts: string[] = [];
  if (o.mss !== null) parts.push(`en maximal segmentstorlek (MSS) på ${o.mss} byte`);
  if (o.windowScale !== null) parts.push(`fönsterskalning (faktor 2^${o.windowScale})`);
  if (o.sackPermitted) parts.push('selektiva bekräftelser (SACK)');
  if (o.timestamps) parts.push('tidsstämplar');
  return parts.length === 0 ? 'erbjuder inga alternativ' : `erbjuder ${list(parts)}`;
}

/** Names of the anomaly kinds (singular, plural); the ladder's marks use the same words (i18n/ladder-sv.ts). */
export const KIND: Readonly<Record<AnomalyKind, [string, string]>> = {
  retransmission: ['omsändning', 'omsändningar'],
  fastRetransmission: ['snabb omsändning', 'snabba omsändningar'],
  spuriousRetransmission: ['onödig omsändning', 'onödiga omsändningar'],
  outOfOrder: ['segment i fel ordning', 'segment i fel ordning'],
  lostSegment: ['saknat föregående segment', 'saknade föregående segment'],
  ackedUnseen: ['bekräftelse av data som fångsten missade', 'bekräftelser av data som fångsten missade'],
  duplicateAck: ['dubblett-ACK', 'dubblett-ACK'],
  zeroWindow: ['nollfönster', 'nollfönster'],
  zeroWindowProbe: ['nollfönsterprov', 'nollfönsterprov'],
  windowFull: ['fullt fönster', 'fulla fönster'],
  windowUpdate: ['fönsteruppdatering', 'fönsteruppdateringar'],
  keepAlive: ['keep-alive', 'keep-alive'],
  portReuse: ['återanvändning av portarna', 'återanvändningar av portarna'],
  badChecksum: ['felaktig kontrollsumma', 'felaktiga kontrollsummor'],
  keepAliveAck: ['svar på keep-alive', 'svar på keep-alive'],
  zeroWindowProbeAck: ['svar på nollfönsterprov', 'svar på nollfönsterprov'],
};

function kindCount(kind: AnomalyKind, n: number): string {
  const [one, many] = KIND[kind];
  return `${n} ${n === 1 ? one : many}`;
}

const STATE: Readonly<Record<ZeekState, string>> = {
  S0: 'anslutningsförsök sett, inget svar',
  S1: 'upprättad, inte avslutad',
  SF: 'normal upprättning och avslutning',
  REJ: 'anslutningsförsöket avvisades',
  S2: 'upprättad, initiativtagarens försök att stänga sett, inget svar från mottagaren',
  S3: 'upprättad, mottagarens försök att stänga sett, inget svar från initiativtagaren',
  RSTO: 'upprättad, initiativtagaren avbröt (skickade RST)',
  RSTR: 'upprättad, mottagaren avbröt (skickade RST)',
  RSTOS0: 'initiativtagaren skickade SYN och sedan RST, inget SYN-ACK sett',
  RSTRH: 'mottagaren skickade SYN-ACK och sedan RST, inget SYN sett',
  SH: 'initiativtagaren skickade SYN och sedan FIN, inget SYN-ACK sett',
  SHR: 'mottagaren skickade SYN-ACK och sedan FIN, inget SYN sett',
  OTH: 'inget SYN sett, bara trafik mitt i en anslutning',
};

export const sv: Templates = {
  'conn.title': (p) =>
    `Anslutning ${p.id}: klient ${p.client} port ${p.clientPort}, server ${p.server} port ${p.serverPort} (IPv${p.family}), ${p.segments} segment i ramarna ${p.first}–${p.last}.`,
  'conn.rolesFromSynAck': () => 'SYN-segmentet finns inte i fångsten; klienten är den sida som SYN-ACK skickades till.',
  'conn.rolesGuessed': () =>
    'Varken SYN eller SYN-ACK finns i fångsten, så vilken sida som är klient är en gissning: den som skickade först, om inte portnumren tyder på motsatsen (Zeeks regel).',
  'conn.midstream': (p) => `Fångsten börjar mitt i den här anslutningen: ram ${p.frame} är dess första, handskakningen skedde innan fångsten startade.`,
  'conn.notContinuation': (p) =>
    `${frameRange(p.first, p.last)} hör inte till anslutningen i ramarna ${p.prevFirst}–${p.prevLast}, trots att de följer efter den och ser ut som dess avslutning. ` +
    `De har andra adresser och portar (${p.client}:${p.clientPort} och ${p.server}:${p.serverPort}, inte ${p.prevClient}:${p.prevClientPort} och ${p.prevServer}:${p.prevServerPort})` +
    `${p.otherMacs ? ' och andra Ethernet-adresser' : ''}, och deras sekvensnummer fortsätter inte anslutningen: ram ${p.first} har seq ${p.seq} och ack ${p.ack}, medan klienten i ramarna ${p.prevFirst}–${p.prevLast} skulle skicka seq ${p.prevSeq} och ack ${p.prevAck}. ` +
    `Bytena i fångsten motsäger alltså varje beskrivning av de här ramarna som upprättandet och avslutningen av en och samma anslutning: anslutningen i ramarna ${p.prevFirst}–${p.prevLast} stängs aldrig i den här fångsten, och den här upprättades innan fångsten började.`,
  'conn.endedOpen': (p) => `Fångsten slutar (sista ram ${p.frame}) innan den här anslutningen har stängts.`,

  'capture.ttl': (p) =>
    `Fångsten gjordes hos ${def(p.point)}: dess paket har en initial TTL (${p.own}), medan ${gen(other(p.point))} kommer fram med ${p.other}, sänkt av routrarna på vägen. Tiderna i den här förklaringen är så som ${def(p.point)} såg dem.`,
  'capture.timing': (p) =>
    `Fångsten gjordes troligen nära ${def(p.point)}: SYN-ACK följde på SYN efter ${duration(p.toSynAck)} och ACK på SYN-ACK efter ${duration(p.toAck)}, så det mesta av nätverksvägen ligger mellan fångstpunkten och ${def(other(p.point))}. Tider och förluster gäller där.`,
  'capture.unknown': () =>
    'Var fångsten gjordes går inte att avgöra utifrån bytena (varken TTL-värdena eller handskakningens tider avslöjar det); tider och förluster gäller bara vid fångstpunkten.',

  'hs.syn': (p) =>
    `Ram ${p.frame}: klienten ${p.client} ber servern ${p.server} att öppna en anslutning från port ${p.clientPort} till port ${p.serverPort} (SYN). ` +
    `Den väljer det inledande sekvensnumret (ISN) ${p.isn} och ${offerText(p.offer)}. ACK-flaggan är inte satt, så bekräftelsenumret betyder ännu ingenting: det här är första steget i trevägshandskakningen.`,
  'hs.synOptionBytes': (p) =>
    `SYN-segmentet innehåller inga data: segmentet består bara av sitt TCP-huvud på ${p.headerBytes} byte, varav ${p.optionBytes} byte är alternativ.`,
  'hs.netmonLen': (p) =>
    `(Microsoft Network Monitor, som citeras i KB 172983, visar ett sådant SYN som "len: ${p.optionBytes}": den räknar de ${p.optionBytes} alternativbytena som om de vore data.)`,
  'hs.synRetry': (p) =>
    `Ram ${p.frame}: klienten skickar sitt SYN igen (samma ISN ${p.isn}), ${duration(p.after)} efter det första: inget svar hade kommit, så SYN-segmentet eller serverns svar gick troligen förlorat.`,
  'hs.synAck': (p) =>
    `Ram ${p.frame}: servern ${p.server} accepterar: den bekräftar klientens SYN och skickar sitt eget SYN i samma segment (SYN, ACK). ` +
    (p.clientIsn !== null
      ? `Dess bekräftelsenummer ${p.ack} är klientens ISN ${p.clientIsn} plus 1, eftersom ett SYN upptar ett sekvensnummer. `
      : `Dess bekräftelsenummer är ${p.ack}: klientens SYN, som inte finns i fångsten, hade ISN ${(p.ack - 1) >>> 0}. `) +
    `Serverns eget inledande sekvensnummer är ${p.isn}; den ${offerText(p.offer)}.`,
  'hs.synAckWrongAck': (p) =>
    `Här motsäger bytena handskakningen: bekräftelsenumret borde vara ${p.expected} (klientens ISN plus 1) men är ${p.ack}. Klienten kommer att avvisa detta SYN-ACK med en återställning (RST).`,
  'hs.synAckRetry': (p) =>
    `Ram ${p.frame}: servern skickar sitt SYN-ACK igen, ${duration(p.after)} efter det första: klientens ACK hade inte kommit fram (eller så upprepade klienten sitt SYN).`,
  'hs.ack': (p) =>
    `Ram ${p.frame}: klienten bekräftar serverns SYN med bekräftelsenumret ${p.ack}, serverns ISN ${p.serverIsn} plus 1` +
    `${p.bytes > 0 ? `, och skickar redan ${p.bytes} byte data i samma segment` : ''}. ` +
    'Trevägshandskakningen är klar: båda sidor känner till varandras sekvensnummer och anslutningen är upprättad.',
  'hs.rtt': (p) => `Från SYN till detta ACK tog det ${duration(p.rtt)}: handskakningens tur-och-returtid (tsharks initiala RTT).`,
  'hs.windowScale': (p) =>
    p.client !== null && p.server !== null
      ? `Båda sidor erbjöd fönsterskalning, så från och med nu räknas klientens fönsterfält i enheter om ${2 ** p.client} byte och serverns i enheter om ${2 ** p.server} byte (RFC 7323).`
      : `Bara ${p.client !== null ? 'klienten' : 'servern'} erbjöd fönsterskalning, så ingen av sidorna skalar sitt fönster (RFC 7323: båda måste erbjuda den).`,

  'rst.refused': (p) =>
    `Ram ${p.frame}: servern svarar på SYN med en återställning (RST) efter ${duration(p.after)}: anslutningen nekas. Ingen tjänst lyssnar på port ${p.serverPort} hos ${p.server}, eller så avvisar en brandvägg anslutningen å dess vägnar.`,
  'rst.abort': (p) =>
    `Ram ${p.frame}: ${def(p.from)} avbryter anslutningen med en återställning (RST). Till skillnad från FIN avslutar en återställning båda riktningarna på en gång och kastar bort data som fortfarande är på väg: programmet hos ${def(p.from)} stängde sin socket abrupt (eller med oläst data), eller så förlorade datorn anslutningens tillstånd.`,
  'rst.afterFin': (p) =>
    `Ram ${p.frame}: ${def(p.from)} skickar en återställning (RST) efter att stängningen redan hade börjat: ett segment kom till en socket som redan var stängd, eller så stängde programmet utan att läsa all data. Anslutningen avslutas omedelbart.`,
  'rst.again': (p) => `Ram ${p.frame}: ännu en återställning från ${def(p.from)}; anslutningen är redan avslutad.`,

  'data.run': (p) => {
    const side = (s: Side): string => {
      const segs = p.segs[s];
      const acks = p.acks[s];
      if (segs === 0 && acks === 0) return `${def(s)} skickar ingenting`;
      if (segs === 0) return `${def(s)} bekräftar bara (${acks} segment utan data)`;
      return `${def(s)} skickar ${p.bytes[s]} byte i ${segs} segment${acks > 0 ? ` och ${acks} ${acks === 1 ? 'bekräftelse' : 'bekräftelser'} utan data` : ''}`;
    };
    const text = `${side('client')}; ${side('server')}.`;
    return `${frameRange(p.first, p.last)} (${duration(p.duration)}): dataöverföring. ${text.charAt(0).toUpperCase()}${text.slice(1)}`;
  },
  'data.segment': (p) =>
    `Ram ${p.frame}: ${def(p.from)} skickar ${p.bytes} byte data (seq ${p.seq})` + `${p.ack !== null ? ` och bekräftar allt före ${p.ack}` : ''}.`,
  'data.ack': (p) =>
    `Ram ${p.frame}: ${def(p.from)} bekräftar allt före ${p.ack} (ACK utan data)${p.window !== null ? `; dess mottagningsfönster är ${p.window} byte` : ''}.`,
  'data.dupAcks': (p) =>
    p.again
      ? `${p.count === 1 ? 'Ett dubblett-ACK' : `${p.count} dubblett-ACK`} från ${def(p.from)} (${frameList(p.frames, p.count)}) för ${p.ack}: återigen saknas ett segment från ${p.ack}.`
      : `${p.count === 1 ? 'Ett dubblett-ACK' : `${p.count} dubblett-ACK`} från ${def(p.from)} (${frameList(p.frames, p.count)}) för ${p.ack}: ` +
    `${def(p.from)} har tagit emot data bortom en lucka och fortsätter att begära bytena från ${p.ack} och framåt. Ett segment gick troligen förlorat (eller kom i fel ordning); efter tre dubblett-ACK skickar avsändaren om det direkt (snabb omsändning).`,
  'data.windowUpdates': (p) =>
    p.again
      ? `${p.count === 1 ? 'Ännu en fönsteruppdatering' : `${p.count} fönsteruppdateringar till`} från ${def(p.from)} (${frameList(p.frames, p.count)}).`
      : `${p.count === 1 ? 'En fönsteruppdatering' : `${p.count} fönsteruppdateringar`} från ${def(p.from)} (${frameList(p.frames, p.count)}): den anger ett annat mottagningsfönster utan att bekräfta nya data, oftast för att dess program har läst data och frigjort utrymme.`,
  'data.keepAliveAcks': (p) => `${Def(p.from)} svarar på keep-alive (${frameList(p.frames, p.count)}): anslutningen lever fortfarande.`,
  'data.probeAcks': (p) => `${Def(p.from)} svarar på nollfönsterprovet (${frameList(p.frames, p.count)}); dess fönster är fortfarande stängt.`,
  'data.halfClose': (p) =>
    `Ram ${p.frame}: anslutningen är halvstängd (RFC 9293 3.6): ${def(p.closed)} har slutat skicka, men ${def(p.sender)} skickar fortfarande data, totalt ${p.bytes} byte efter FIN, och ${def(p.closed)} fortsätter att ta emot och bekräfta dem.`,

  'close.fin': (p) =>
    `Ram ${p.frame}: ${def(p.from)} har inga fler data att skicka och meddelar det med FIN (seq ${p.seq})` +
    `${p.bytes > 0 ? `, tillsammans med sina sista ${p.bytes} byte data` : ''}. ` +
    `Det stänger bara dess egen riktning: den kan fortfarande ta emot data från ${def(other(p.from))}.` +
    `${p.ack !== null ? ` ACK-flaggan i samma segment bekräftar allt före ${p.ack}.` : ''}`,
  'close.finAck': (p) =>
    `Ram ${p.frame}: ${def(p.from)} bekräftar FIN från ram ${p.finFrame} (ack ${p.ack}: ett FIN upptar ett sekvensnummer, precis som ett SYN).`,
  'close.fin2': (p) =>
    `Ram ${p.frame}: även ${def(p.from)} stänger sin riktning (FIN, seq ${p.seq}). De två riktningarna i en TCP-anslutning stängs oberoende av varandra, och därför kräver avslutningen fyra segment i stället för tre.`,
  'close.fin2Ack': (p) =>
    `Ram ${p.frame}: ${def(p.from)} bekräftar FIN från ram ${p.finFrame} (ack ${p.ack}) och stänger sin egen riktning i samma segment (FIN, seq ${p.seq}).`,
  'close.finalAck': (p) =>
    `Ram ${p.frame}: ${def(p.from)} bekräftar FIN från ram ${p.finFrame} (ack ${p.ack}). Båda riktningarna är stängda: anslutningen har avslutats korrekt. ${Def(p.from)}, som stängde först, väntar nu i tillståndet TIME-WAIT innan samma portpar får användas igen.`,
  'close.finRetry': (p) => `Ram ${p.frame}: ${def(p.from)} skickar sitt FIN igen (seq ${p.seq}): bekräftelsen hade inte kommit i tid.`,

  'anom.retransmission': (p) =>
    p.again
      ? `Ram ${p.frame}: ${def(p.from)} skickar de ${p.bytes} bytena från seq ${p.seq} en gång till (omsändning).`
      : `Ram ${p.frame}: ${def(p.from)} skickar de ${p.bytes} bytena från seq ${p.seq} en gång till (omsändning): segmentet eller dess bekräftelse gick troligen förlorat och ${gen(p.from)} omsändningstimer löpte ut. Förluster gör anslutningen långsammare.`,
  'anom.fastRetransmission': (p) =>
    p.again
      ? `Ram ${p.frame}: snabb omsändning av de ${p.bytes} bytena från seq ${p.seq} från ${def(p.from)}, efter dubblett-ACK.`
      : `Ram ${p.frame}: snabb omsändning: ${def(p.from)} skickar om de ${p.bytes} bytena från seq ${p.seq} så snart dubblett-ACK:en visade att de saknades, utan att vänta på sin timer.`,
  'anom.spuriousRetransmission': (p) =>
    p.again
      ? `Ram ${p.frame}: ${def(p.from)} skickar igen redan bekräftade data från seq ${p.seq} (${p.bytes} byte; onödig omsändning${p.suspected ? ', bara misstänkt' : ''}).`
      : `Ram ${p.frame}: ${def(p.from)} skickar data från seq ${p.seq} (${p.bytes} byte) igen, fast ${def(other(p.from))} redan hade bekräftat dem (onödig omsändning): inget gick förlorat, timern var för kort eller bekräftelsen sen.` +
    `${p.suspected ? ` Bara en misstanke: fångsten gjordes inte hos ${def(p.from)}, som kanske ännu inte hade fått bekräftelsen.` : ''}`,
  'anom.outOfOrder': (p) =>
    p.again
      ? `Ram ${p.frame}: ännu ett segment från ${def(p.from)} i fel ordning (seq ${p.seq}, ${p.bytes} byte${p.suspected ? ', bara misstänkt' : ''}).`
      : `Ram ${p.frame}: ett segment från ${def(p.from)} (seq ${p.seq}, ${p.bytes} byte) kommer i fel ordning, efter data med högre sekvensnummer: omkastat på vägen, eller en snabb omsändning.` +
    `${p.suspected ? ' Bara en misstanke: fångsten gjordes inte hos mottagaren, så det är troligare en omsändning kort efter originalet.' : ''}`,
  'anom.lostSegment': (p) =>
    p.again
      ? `Ram ${p.frame}: återigen saknas ett segment från ${def(p.from)} före seq ${p.seq} i fångsten${p.suspected ? ' (troligen missat av fångsten)' : ''}.`
      : `Ram ${p.frame}: ${gen(p.from)} segment börjar vid seq ${p.seq}, bortom nästa förväntade sekvensnummer: ett segment före det saknas i fångsten.` +
    `${p.suspected ? ' Bara misstänkt som förlust: där fångsten gjordes är det troligare att fångsten själv missade det.' : ' Det gick troligen förlorat i nätverket.'}`,
  'anom.ackedUnseen': (p) =>
    p.again
      ? `Ram ${p.frame}: ${def(p.from)} bekräftar återigen data fram till ${p.ack} som fångsten inte såg.`
      : `Ram ${p.frame}: ${def(p.from)} bekräftar data fram till ${p.ack} som fångsten aldrig såg: ${def(p.from)} har tagit emot dem, så fångsten missade segment (en lucka i fångsten, inget nätverksproblem).`,
  'anom.zeroWindow': (p) =>
    p.again
      ? `Ram ${p.frame}: ${def(p.from)} annonserar återigen ett nollfönster.`
      : `Ram ${p.frame}: ${def(p.from)} annonserar ett nollfönster: dess mottagningsbuffert är full eftersom programmet inte läser. ${Def(other(p.from))} måste sluta skicka och prova tills fönstret öppnas igen.`,
  'anom.zeroWindowProbe': (p) =>
    p.again
      ? `Ram ${p.frame}: ${def(p.from)} provar nollfönstret igen.`
      : `Ram ${p.frame}: ${def(p.from)} provar nollfönstret (en byte) för att ta reda på om ${def(other(p.from))} har plats igen.`,
  'anom.windowFull': (p) =>
    p.again
      ? `Ram ${p.frame}: återigen fyller ett segment från ${def(p.from)} ${gen(other(p.from))} mottagningsfönster.`
      : `Ram ${p.frame}: det här segmentet fyller ${gen(other(p.from))} mottagningsfönster helt; ${def(p.from)} måste nu vänta på bekräftelser innan den får skicka mer. Här är det mottagaren (eller dess program) som begränsar hastigheten.`,
  'anom.keepAlive': (p) =>
    p.again
      ? `Ram ${p.frame}: ännu en keep-alive från ${def(p.from)}.`
      : `Ram ${p.frame}: keep-alive från ${def(p.from)}: efter en tyst period skickar den ett segment med sekvensnumret ett under nästa, så att ${def(other(p.from))} bekräftar att anslutningen fortfarande finns.`,
  'anom.portReuse': (p) =>
    `Ram ${p.frame}: ett nytt SYN på samma portar (${p.clientPort} och ${p.serverPort}) med ett nytt inledande sekvensnummer: en tidigare anslutning på det här portparet är över och en ny börjar (återanvändning av portarna).`,
  'anom.badChecksum': (p) =>
    p.again
      ? `Ram ${p.frame}: ännu ett segment från ${def(p.from)} med fel TCP-kontrollsumma.`
      : `Ram ${p.frame}: TCP-kontrollsumman i det här segmentet från ${def(p.from)} är felaktig. Om alla segment som den fångande datorn skickar har fel kontrollsumma beräknar nätverkskortet den först efter fångsten (checksum offload), och inget är fel; annars skadades segmentet och mottagaren kastar bort det.`,

  'sum.head': (p) =>
    `Kort sagt (anslutning ${p.id}, ${duration(p.duration)} från första till sista ram): klienten skickade ${p.segs.client} segment med ${p.bytes.client} byte data, servern ${p.segs.server} segment med ${p.bytes.server} byte.`,
  'sum.opened': (p) => `Den upprättades med en fullständig trevägshandskakning${p.rtt !== null ? ` (tur-och-returtid ${duration(p.rtt)})` : ''}.`,
  'sum.refused': () => 'Servern nekade anslutningen med en återställning; inga data utväxlades.',
  'sum.unanswered': (p) =>
    `Klientens SYN (${p.attempts === 1 ? 'ett försök' : `${p.attempts} försök`}) besvarades aldrig i fångsten: servern går inte att nå eller är nere, eller så kastar en brandvägg SYN-segmentet i tysthet.`,
  'sum.midstream': () => 'Den var redan öppen när fångsten började.',
  'sum.closeGraceful': (p) => `${Def(p.by)} stängde först; båda sidor skickade FIN och det sista bekräftades: en korrekt avslutning.`,
  'sum.halfClose': (p) =>
    `${Def(p.by)} stängde sin riktning först, och ${def(other(p.by))} fortsatte att skicka ${p.bytes} byte över den halvstängda anslutningen innan den också stängde.`,
  'sum.closeReset': (p) => `${Def(p.by)} avslutade den med en återställning (RST), inte med utbytet av FIN: ett avbrott.`,
  'sum.closeIncomplete': (p) => `${Def(p.by)} påbörjade stängningen med FIN, men fångsten visar inte båda FIN bekräftade.`,
  'sum.open': () => 'Den var fortfarande öppen när fångsten slutade.',
  'sum.anomalies': (p) => {
    const parts = p.counts.map((c) => `${kindCount(c.kind, c.count)}${c.suspected > 0 ? ` (${c.suspected === c.count ? (c.count === 1 ? 'bara misstänkt' : 'alla bara misstänkta') : `varav ${c.suspected} bara misstänkta`})` : ''}`);
    return `Avvikelser så som tshark markerar dem: ${list(parts)}.`;
  },
  'sum.clean': () => 'Inga avvikelser: inga förluster, omsändningar eller fönsterproblem.',
  'sum.loss': (p) =>
    `${p.retransmitted} av ${p.dataSegments} datasegment skickades igen (${percent(p.retransmitted, p.dataSegments).replace('.', ',')} %). Varje förlust får TCP att sakta ner; om vägen inte är förlustbehäftad med avsikt, leta efter överbelastning, en full kö eller en felaktig länk.`,
  'sum.zeroWindow': (p) =>
    `${Def(p.from)} stängde sitt fönster ${p.count === 1 ? 'en gång' : `${p.count} gånger`}: programmet läste inte tillräckligt snabbt. Flaskhalsen är det mottagande programmet, inte nätverket.`,
  'sum.capped': (p) => `Bara de första förklaras en och en: ${kindCount(p.kind, p.count)} till i ramarna ${p.first}–${p.last}.`,
  'sum.zeek': (p) => `Zeek skulle logga den med conn_state ${p.state} (${STATE[p.state]}) och history ${p.history === '' ? '(tom)' : p.history}.`,
};
