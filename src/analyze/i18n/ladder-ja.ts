/**
 * 日本語のラダー図 (シーケンス図)。用語は KB 172983 の日本語版 (seeds/002) に合わせます: 接続、
 * クライアント、サーバー、フレーム、シーケンス番号、受信確認番号、3 方向ハンドシェイク、
 * 「接続の確立」「接続の終了」。異常の名前は `synack explain` と同じ語 (ja.ts の KIND) を使い、
 * 図と説明が一致するようにします。文は です/ます 調、時刻の列は tcpdump や Wireshark と同じ表記です。
 *
 * Invariant: a template for every ladder message id (the `LadderTemplates` type); no placeholders
 * left in the output. Wide characters take two columns: the renderers measure with width.ts.
 */
import { KIND } from './ja.js';
import { millis, ttlText } from './format.js';
import type { CaptureBasis, LadderTemplates } from './ladder-types.js';
import type { Side } from './types.js';

const other = (s: Side): Side => (s === 'client' ? 'server' : 'client');
const name = (s: Side): string => (s === 'client' ? 'クライアント' : 'サーバー');

const ms = (s: number): string => `${millis(s)} ミリ秒`;
const ttl = ttlText;

function basisText(b: CaptureBasis): string {
  switch (b.kind) {
    case 'ttl':
      return `TTL: ${name(b.point)}のパケットは初期値の TTL (${b.own}) を持ち、${name(other(b.point))}のパケットは ${b.other} で届いています`;
    case 'timing':
      return `ハンドシェイクの時間: SYN から SYN-ACK まで ${ms(b.toSynAck)}、SYN-ACK から ACK まで ${ms(b.toAck)}`;
    case 'unclear':
      return `ハンドシェイクの時間からは判断できません: SYN から SYN-ACK まで ${ms(b.toSynAck)}、SYN-ACK から ACK まで ${ms(b.toAck)}、TTL は ${ttl(b.ttlClient)}/${ttl(b.ttlServer)}`;
    case 'none':
      return '完全なハンドシェイクも判断に使える TTL もありません';
  }
}

const why = (b: CaptureBasis): string => {
  const t = basisText(b);
  return t === '' ? '' : ` (${t})`;
};

export const ladderJa: LadderTemplates = {
  title: (p) => `接続 ${p.id}: クライアント ${p.client}、サーバー ${p.server}、フレーム ${p.first}–${p.last}${p.relative ? ' (相対シーケンス番号)' : ''}`,
  'host.client': () => 'クライアント',
  'host.server': () => 'サーバー',
  'caption.at': (p) =>
    `キャプチャは${name(p.point)}側で取得されました${why(p.basis)}。時刻は${name(p.point)}から見たもので、矢印はその時刻の位置で${name(p.point)}の線に接します。`,
  'caption.unknown': (p) => `キャプチャの取得場所は分かりません${why(p.basis)}。時刻はキャプチャ地点でのみ正確なので、矢印は水平に描いています。`,
  'phase.open': () => '3 方向ハンドシェイク',
  'phase.data': () => 'データ転送',
  'phase.close': () => '接続の終了',
  legend: () => 'seq はシーケンス番号、ack は受信確認番号、len はデータのバイト数です。「!」は tshark が示す異常です (「?」は推定)。',
  mark: (p) => `${KIND[p.kind]}${p.suspected ? '?' : ''}`,
  'head.frame': () => 'フレーム',
  'head.time': () => 'ミリ秒',
  'head.state': () => '状態',
  omitted: (p) => `ほかに ${p.omitted} 個のセグメントがありますが、表示していません。保持したのは最初の ${p.kept} 個だけです。`,
  'row.title': (p) =>
    `フレーム ${p.frame}、${p.time} ${p.unit}: ${p.from} → ${p.to}、${p.label}${p.marks.length > 0 ? ` [${p.marks.join('、')}]` : ''}${p.note !== null ? ` (${p.note})` : ''}`,
  'ui.drawFailed': () => 'シーケンス図を描画できませんでした。',
  'fate.lost': () => 'リンクで消失',
  'fate.corrupted': () => 'リンクで破損 (1 ビット反転): チェックサムで破棄',
  'fate.duplicated': () => 'リンクで複製',
  'fate.tooBig': () => 'リンクの MTU を超過: 破棄',
  'fate.queueFull': () => 'リンクのキューが満杯: 破棄',
  'fate.closed': () => 'リンクが閉じています',
  'fate.reordered': () => 'リンクで保留 (順序の入れ替え)',
};
