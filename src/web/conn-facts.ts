/**
 * What the connections view says beside a ladder, in English, German, Swedish or Japanese: the
 * facts of one ConnectionRecord (handshake and its RTT, options offered, bytes each way, how it
 * ended, Zeek's state and history, tshark's anomaly verdicts) as short sentences. Built only from
 * the record; the analyzer's own narration replaces this when it exists (see the report).
 *
 * Invariant: every language has every message (the type checker holds it), and numbers are
 * formatted, never translated.
 */
import type { ConnectionRecord } from '../analyze/conns.js';
import type { AnomalyKind } from '../analyze/anomalies.js';

export const LANGUAGES = ['en', 'de', 'sv', 'ja'] as const;
export type Lang = (typeof LANGUAGES)[number];
export const LANGUAGE_NAMES: Readonly<Record<Lang, string>> = { en: 'English', de: 'Deutsch', sv: 'Svenska', ja: '日本語' };

type Side = 'client' | 'server';

interface Messages {
  title(id: number, c: string, s: string): string;
  handshake(syn: number, synAck: number, ack: number | null, rtt: string | null): string;
  noSyn: string;
  synOnly(syn: number): string;
  offered(side: string, what: string): string;
  none: string;
  sent(side: string, bytes: number, packets: number): string;
  closedFin(side: string, graceful: boolean): string;
  closedRst(side: string): string;
  halfClose(other: string, bytes: number): string;
  open: string;
  zeek(state: string, history: string): string;
  anomalies(list: string): string;
  noAnomalies: string;
  side: Record<Side, string>;
  anomaly: Partial<Record<AnomalyKind, string>>;
  capturePoint(p: string): string;
}

const en: Messages = {
  title: (id, c, s) => `Connection ${id}: ${c} → ${s}`,
  handshake: (syn, synAck, ack, rtt) => `Three-way handshake: SYN in frame ${syn}, SYN-ACK in frame ${synAck}${ack !== null ? `, ACK in frame ${ack}` : ''}${rtt !== null ? `; initial round-trip time ${rtt}` : ''}.`,
  noSyn: 'No SYN was captured: the capture begins in the middle of this connection.',
  synOnly: (syn) => `The client sent a SYN (frame ${syn}) but no SYN-ACK was captured.`,
  offered: (side, what) => `The ${side} offered ${what}.`,
  none: 'no options',
  sent: (side, bytes, packets) => `The ${side} sent ${bytes} bytes of data in ${packets} packets.`,
  closedFin: (side, graceful) => `The ${side} closed first with a FIN${graceful ? '; both FINs were acknowledged (a graceful close)' : ''}.`,
  closedRst: (side) => `The ${side} reset the connection (RST).`,
  halfClose: (other, bytes) => `Half-close: the ${other} still sent ${bytes} bytes after the first FIN.`,
  open: 'The connection was still open when the capture ended.',
  zeek: (state, history) => `Zeek's conn_state is ${state}, history ${history}.`,
  anomalies: (list) => `tshark's analysis flags: ${list}.`,
  noAnomalies: 'tshark would flag nothing unusual.',
  side: { client: 'client', server: 'server' },
  anomaly: {
    retransmission: 'retransmission',
    fastRetransmission: 'fast retransmission',
    spuriousRetransmission: 'spurious retransmission',
    outOfOrder: 'out of order',
    lostSegment: 'previous segment not captured',
    ackedUnseen: 'ACKed unseen segment',
    duplicateAck: 'duplicate ACK',
    zeroWindow: 'zero window',
    zeroWindowProbe: 'zero window probe',
    windowFull: 'window full',
    windowUpdate: 'window update',
    keepAlive: 'keep-alive',
    portReuse: 'port numbers reused',
    badChecksum: 'bad checksum',
  },
  capturePoint: (p) => `Captured near the ${p}.`,
};

const de: Messages = {
  title: (id, c, s) => `Verbindung ${id}: ${c} → ${s}`,
  handshake: (syn, synAck, ack, rtt) => `Dreiwege-Handshake: SYN in Rahmen ${syn}, SYN-ACK in Rahmen ${synAck}${ack !== null ? `, ACK in Rahmen ${ack}` : ''}${rtt !== null ? `; anfängliche Umlaufzeit ${rtt}` : ''}.`,
  noSyn: 'Kein SYN aufgezeichnet: die Aufzeichnung beginnt mitten in dieser Verbindung.',
  synOnly: (syn) => `Der Client sandte ein SYN (Rahmen ${syn}), aber kein SYN-ACK wurde aufgezeichnet.`,
  offered: (side, what) => `Der ${side} bot ${what} an.`,
  none: 'keine Optionen',
  sent: (side, bytes, packets) => `Der ${side} sandte ${bytes} Datenbytes in ${packets} Paketen.`,
  closedFin: (side, graceful) => `Der ${side} schloss zuerst mit einem FIN${graceful ? '; beide FINs wurden bestätigt (ordentlicher Abbau)' : ''}.`,
  closedRst: (side) => `Der ${side} setzte die Verbindung zurück (RST).`,
  halfClose: (other, bytes) => `Halbschließen: der ${other} sandte nach dem ersten FIN noch ${bytes} Bytes.`,
  open: 'Die Verbindung war am Ende der Aufzeichnung noch offen.',
  zeek: (state, history) => `Zeeks conn_state ist ${state}, History ${history}.`,
  anomalies: (list) => `tsharks Analyse meldet: ${list}.`,
  noAnomalies: 'tshark würde nichts Ungewöhnliches melden.',
  side: { client: 'Client', server: 'Server' },
  anomaly: {
    retransmission: 'Wiederholung',
    fastRetransmission: 'schnelle Wiederholung',
    spuriousRetransmission: 'unnötige Wiederholung',
    outOfOrder: 'außer der Reihe',
    lostSegment: 'vorheriges Segment nicht aufgezeichnet',
    ackedUnseen: 'ungesehenes Segment bestätigt',
    duplicateAck: 'doppeltes ACK',
    zeroWindow: 'Nullfenster',
    zeroWindowProbe: 'Nullfenster-Probe',
    windowFull: 'Fenster voll',
    windowUpdate: 'Fensteraktualisierung',
    keepAlive: 'Keep-Alive',
    portReuse: 'Portnummern wiederverwendet',
    badChecksum: 'falsche Prüfsumme',
  },
  capturePoint: (p) => `Aufgezeichnet nahe beim ${p}.`,
};

const sv: Messages = {
  title: (id, c, s) => `Anslutning ${id}: ${c} → ${s}`,
  handshake: (syn, synAck, ack, rtt) => `Trevägshandskakning: SYN i ram ${syn}, SYN-ACK i ram ${synAck}${ack !== null ? `, ACK i ram ${ack}` : ''}${rtt !== null ? `; initial tur-och-returtid ${rtt}` : ''}.`,
  noSyn: 'Ingen SYN fångades: inspelningen börjar mitt i anslutningen.',
  synOnly: (syn) => `Klienten skickade en SYN (ram ${syn}) men ingen SYN-ACK fångades.`,
  offered: (side, what) => `${cap(side)} erbjöd ${what}.`,
  none: 'inga alternativ',
  sent: (side, bytes, packets) => `${cap(side)} skickade ${bytes} byte data i ${packets} paket.`,
  closedFin: (side, graceful) => `${cap(side)} stängde först med en FIN${graceful ? '; båda FIN kvitterades (en ordnad stängning)' : ''}.`,
  closedRst: (side) => `${cap(side)} återställde anslutningen (RST).`,
  halfClose: (other, bytes) => `Halvstängning: ${other} skickade ännu ${bytes} byte efter den första FIN.`,
  open: 'Anslutningen var fortfarande öppen när inspelningen slutade.',
  zeek: (state, history) => `Zeeks conn_state är ${state}, historik ${history}.`,
  anomalies: (list) => `tsharks analys flaggar: ${list}.`,
  noAnomalies: 'tshark skulle inte flagga något ovanligt.',
  side: { client: 'klienten', server: 'servern' },
  anomaly: {
    retransmission: 'omsändning',
    fastRetransmission: 'snabb omsändning',
    spuriousRetransmission: 'onödig omsändning',
    outOfOrder: 'i fel ordning',
    lostSegment: 'föregående segment inte fångat',
    ackedUnseen: 'kvitterat osett segment',
    duplicateAck: 'dubblett-ACK',
    zeroWindow: 'nollfönster',
    zeroWindowProbe: 'nollfönstersond',
    windowFull: 'fönstret fullt',
    windowUpdate: 'fönsteruppdatering',
    keepAlive: 'keep-alive',
    portReuse: 'portnummer återanvända',
    badChecksum: 'felaktig kontrollsumma',
  },
  capturePoint: (p) => `Fångad nära ${p}.`,
};

const ja: Messages = {
  title: (id, c, s) => `コネクション ${id}: ${c} → ${s}`,
  handshake: (syn, synAck, ack, rtt) => `3ウェイ・ハンドシェイク: SYN はフレーム ${syn}、SYN-ACK はフレーム ${synAck}${ack !== null ? `、ACK はフレーム ${ack}` : ''}${rtt !== null ? `。初期往復時間は ${rtt}` : ''}。`,
  noSyn: 'SYN はキャプチャされていません。キャプチャはこのコネクションの途中から始まっています。',
  synOnly: (syn) => `クライアントは SYN を送りました (フレーム ${syn}) が、SYN-ACK はキャプチャされていません。`,
  offered: (side, what) => `${side}は ${what} を提示しました。`,
  none: 'オプションなし',
  sent: (side, bytes, packets) => `${side}は ${packets} パケットで ${bytes} バイトのデータを送りました。`,
  closedFin: (side, graceful) => `${side}が先に FIN で閉じました${graceful ? '。両方の FIN が確認応答されました (正常な切断)' : ''}。`,
  closedRst: (side) => `${side}がコネクションをリセットしました (RST)。`,
  halfClose: (other, bytes) => `ハーフクローズ: 最初の FIN の後も${other}は ${bytes} バイトを送りました。`,
  open: 'キャプチャの終了時、コネクションはまだ開いていました。',
  zeek: (state, history) => `Zeek の conn_state は ${state}、history は ${history} です。`,
  anomalies: (list) => `tshark の解析による指摘: ${list}。`,
  noAnomalies: 'tshark が指摘する異常はありません。',
  side: { client: 'クライアント', server: 'サーバ' },
  anomaly: {
    retransmission: '再送',
    fastRetransmission: '高速再送',
    spuriousRetransmission: '不要な再送',
    outOfOrder: '順序違い',
    lostSegment: '前のセグメントが未キャプチャ',
    ackedUnseen: '未観測セグメントへの ACK',
    duplicateAck: '重複 ACK',
    zeroWindow: 'ゼロウィンドウ',
    zeroWindowProbe: 'ゼロウィンドウ・プローブ',
    windowFull: 'ウィンドウ満杯',
    windowUpdate: 'ウィンドウ更新',
    keepAlive: 'キープアライブ',
    portReuse: 'ポート番号の再利用',
    badChecksum: '不正なチェックサム',
  },
  capturePoint: (p) => `${p}の近くでキャプチャされました。`,
};

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const MESSAGES: Readonly<Record<Lang, Messages>> = { en, de, sv, ja };

function endpoint(e: { ip: string; port: number }): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

function ms(seconds: number): string {
  return seconds < 1 ? `${(seconds * 1000).toFixed(seconds < 0.01 ? 3 : 1)} ms` : `${seconds.toFixed(3)} s`;
}

/** The title and sentences about connection `c` in language `lang`. */
export function connFacts(c: ConnectionRecord, lang: Lang): { title: string; lines: string[] } {
  const m = MESSAGES[lang];
  const lines: string[] = [];
  const hs = c.handshake;
  if (hs.syn === null) lines.push(m.noSyn);
  else if (hs.synAck === null) lines.push(m.synOnly(hs.syn));
  else lines.push(m.handshake(hs.syn, hs.synAck, hs.ack, hs.rtt === null ? null : ms(hs.rtt)));
  for (const side of ['client', 'server'] as const) {
    const o = side === 'client' ? hs.client : hs.server;
    if (o === null) continue;
    const parts: string[] = [];
    if (o.mss !== null) parts.push(`MSS ${o.mss}`);
    if (o.windowScale !== null) parts.push(`wscale ${o.windowScale}`);
    if (o.sackPermitted) parts.push('SACK');
    if (o.timestamps) parts.push('timestamps');
    lines.push(m.offered(m.side[side], parts.length > 0 ? parts.join(', ') : m.none));
  }
  for (const side of ['client', 'server'] as const) {
    const st = c.sent[side];
    lines.push(m.sent(m.side[side], st.payloadBytes, st.packets));
  }
  const cl = c.close;
  if (cl.by === null || cl.how === null) lines.push(m.open);
  else if (cl.how === 'rst') lines.push(m.closedRst(m.side[cl.by]));
  else lines.push(m.closedFin(m.side[cl.by], cl.graceful));
  if (cl.halfClose && cl.by !== null) lines.push(m.halfClose(m.side[cl.by === 'client' ? 'server' : 'client'], cl.bytesAfterFirstFin));
  lines.push(m.zeek(c.state, c.history));
  const flagged = (Object.entries(c.anomalies) as [AnomalyKind, number][]).filter(([, n]) => n > 0).map(([k, n]) => `${m.anomaly[k] ?? k} ×${n}`);
  lines.push(flagged.length > 0 ? m.anomalies(flagged.join(', ')) : m.noAnomalies);
  if (c.capture.point !== 'unknown') lines.push(m.capturePoint(m.side[c.capture.point]));
  return { title: m.title(c.id, endpoint(c.client), endpoint(c.server)), lines };
}

/** Anomaly names in a language, for ladder notes. */
export function anomalyName(kind: AnomalyKind, lang: Lang): string {
  return MESSAGES[lang].anomaly[kind] ?? kind;
}
