/**
 * 日本語 (`synack explain`)。サポート記事 KB 172983 の日本語版 (「TCP/IP を使用した 3 方向ハンドシェイク
 * の説明」、seeds/002) と同じ です/ます 調で書きます。用語も記事に合わせます: クライアント、サーバー、
 * セグメント、初期シーケンス番号 (ISN)、受信確認番号、3 方向ハンドシェイク、フレーム。
 * 数値はフレームの値をそのまま表示します。
 *
 * Invariant: a template for every message id (the `Templates` type), each returning complete
 * sentences in the polite style with no placeholders left.
 */
import type { AnomalyKind } from '../anomalies.js';
import { durationParts, percent } from './format.js';
import type { Offer, Side, Templates, ZeekState } from './types.js';

const other = (s: Side): Side => (s === 'client' ? 'server' : 'client');
const name = (s: Side): string => (s === 'client' ? 'クライアント' : 'サーバー');

/** 「a、b、c」 */
function list(items: readonly string[]): string {
  return items.join('、');
}

function frameRange(first: number, last: number): string {
  return first === last ? `フレーム ${first}` : `フレーム ${first}–${last}`;
}

function frameList(frames: readonly number[], count: number): string {
  if (count > frames.length) return `フレーム ${frames.join('、')} など全 ${count} 個`;
  return `フレーム ${list(frames.map(String))}`;
}

function duration(s: number): string {
  const d = durationParts(s);
  return `${d.value} ${d.unit === 'µs' ? 'マイクロ秒' : d.unit === 'ms' ? 'ミリ秒' : '秒'}`;
}

function offerText(o: Offer): string {
  const parts: string[] = [];
  if (o.mss !== null) parts.push(`最大セグメント サイズ (MSS) ${o.mss} バイト`);
  if (o.windowScale !== null) parts.push(`ウィンドウ スケーリング (係数 2^${o.windowScale})`);
  if (o.sackPermitted) parts.push('選択確認応答 (SACK)');
  if (o.timestamps) parts.push('タイムスタンプ');
  return parts.length === 0 ? 'オプションは提示していません' : `${list(parts)}を提示しています`;
}

/** Names of the anomaly kinds; the ladder's marks use the same words (i18n/ladder-ja.ts). */
export const KIND: Readonly<Record<AnomalyKind, string>> = {
  retransmission: '再送',
  fastRetransmission: '高速再送',
  spuriousRetransmission: '不要な再送',
  outOfOrder: '順序の乱れたセグメント',
  lostSegment: '直前のセグメントの欠落',
  ackedUnseen: 'キャプチャにないデータへの受信確認',
  duplicateAck: '重複 ACK',
  zeroWindow: 'ゼロ ウィンドウ',
  zeroWindowProbe: 'ゼロ ウィンドウ プローブ',
  windowFull: 'ウィンドウ フル',
  windowUpdate: 'ウィンドウ更新',
  keepAlive: 'キープアライブ',
  portReuse: 'ポートの再利用',
  badChecksum: 'チェックサム不正',
  keepAliveAck: 'キープアライブへの応答',
  zeroWindowProbeAck: 'ゼロ ウィンドウ プローブへの応答',
};

const STATE: Readonly<Record<ZeekState, string>> = {
  S0: '接続の試行のみで応答なし',
  S1: '確立済みで未終了',
  SF: '正常な確立と終了',
  REJ: '接続の試行が拒否された',
  S2: '確立済み、発信側の終了の試行あり、応答側の応答なし',
  S3: '確立済み、応答側の終了の試行あり、発信側の応答なし',
  RSTO: '確立済み、発信側が中断 (RST を送信)',
  RSTR: '確立済み、応答側が中断 (RST を送信)',
  RSTOS0: '発信側が SYN の後に RST を送信、SYN-ACK なし',
  RSTRH: '応答側が SYN-ACK の後に RST を送信、SYN なし',
  SH: '発信側が SYN の後に FIN を送信、SYN-ACK なし',
  SHR: '応答側が SYN-ACK の後に FIN を送信、SYN なし',
  OTH: 'SYN なし、接続途中のトラフィックのみ',
};

export const ja: Templates = {
  'conn.title': (p) =>
    `接続 ${p.id}: クライアント ${p.client} ポート ${p.clientPort}、サーバー ${p.server} ポート ${p.serverPort} (IPv${p.family})、フレーム ${p.first}–${p.last} の ${p.segments} 個のセグメントです。`,
  'conn.rolesFromSynAck': () => 'SYN はキャプチャに含まれていません。SYN-ACK の送信先をクライアントとしています。',
  'conn.rolesGuessed': () =>
    'SYN も SYN-ACK もキャプチャに含まれていないため、どちらがクライアントかは推定です。最初の送信者をクライアントとしますが、ポート番号から逆と判断できる場合はそちらに従います (Zeek の規則)。',
  'conn.midstream': (p) => `キャプチャはこの接続の途中から始まっています。フレーム ${p.frame} が最初のフレームで、ハンドシェイクはキャプチャ開始前に行われました。`,
  'conn.notContinuation': (p) =>
    `${frameRange(p.first, p.last)} はフレーム ${p.prevFirst}–${p.prevLast} の接続の続きに見え、その終了のようにも見えますが、同じ接続ではありません。` +
    `アドレスとポートが異なり (${p.prevClient}:${p.prevClientPort} と ${p.prevServer}:${p.prevServerPort} ではなく ${p.client}:${p.clientPort} と ${p.server}:${p.serverPort})` +
    `${p.otherMacs ? '、Ethernet アドレスも異なり' : ''}、シーケンス番号もつながっていません。フレーム ${p.first} は seq ${p.seq}、ack ${p.ack} ですが、フレーム ${p.prevFirst}–${p.prevLast} のクライアントが次に送るのは seq ${p.prevSeq}、ack ${p.prevAck} のはずです。` +
    `つまり、これらのフレームを 1 つの接続の確立と終了として説明する文章は、バイトの内容と矛盾しています。フレーム ${p.prevFirst}–${p.prevLast} の接続はこのキャプチャの中では終了しておらず、こちらの接続はキャプチャ開始前に確立されていました。`,
  'conn.endedOpen': (p) => `この接続が終了する前にキャプチャが終わっています (最後のフレームは ${p.frame})。`,

  'capture.ttl': (p) =>
    `キャプチャは${name(p.point)}側で取得されました。${name(p.point)}のパケットは初期値の TTL (${p.own}) を持ち、${name(other(p.point))}のパケットは途中のルーターで減らされた ${p.other} で届いています。この説明の時刻は${name(p.point)}から見たものです。`,
  'capture.timing': (p) =>
    `キャプチャはおそらく${name(p.point)}の近くで取得されました。SYN から SYN-ACK までが ${duration(p.toSynAck)}、SYN-ACK から ACK までが ${duration(p.toAck)}なので、ネットワーク経路の大部分はキャプチャ地点と${name(other(p.point))}の間にあります。時刻と損失はこの地点から見たものです。`,
  'capture.unknown': () =>
    'キャプチャを取得した場所はバイトからは判断できません (TTL からもハンドシェイクの時間からも分かりません)。時刻と損失はキャプチャ地点でのみ正確です。',

  'hs.syn': (p) =>
    `フレーム ${p.frame}: クライアント ${p.client} は、ポート ${p.clientPort} からサーバー ${p.server} のポート ${p.serverPort} への接続の確立を要求します (SYN)。` +
    `初期シーケンス番号 (ISN) として ${p.isn} を選び、${offerText(p.offer)}。ACK フラグは設定されていないため、受信確認番号にはまだ意味がありません。これが 3 方向ハンドシェイクの最初のステップです。`,
  'hs.synOptionBytes': (p) =>
    `SYN にはデータは含まれていません。セグメントは ${p.headerBytes} バイトの TCP ヘッダーだけで、そのうち ${p.optionBytes} バイトがオプションです。`,
  'hs.netmonLen': (p) =>
    `(KB 172983 で引用されている Microsoft ネットワーク モニターは、このような SYN を「len: ${p.optionBytes}」と表示します。${p.optionBytes} バイトのオプションをデータのように数えているためです。)`,
  'hs.synRetry': (p) =>
    `フレーム ${p.frame}: クライアントは最初の SYN から ${duration(p.after)}後に、同じ ISN ${p.isn} で SYN を再送します。応答が届かなかったため、SYN かサーバーの応答が失われた可能性があります。`,
  'hs.synAck': (p) =>
    `フレーム ${p.frame}: サーバー ${p.server} は接続を受け入れます。クライアントの SYN を受信確認し、同じセグメントで自分の SYN も送信します (SYN, ACK)。` +
    (p.clientIsn !== null
      ? `受信確認番号 ${p.ack} はクライアントの ISN ${p.clientIsn} に 1 を加えた値です。SYN はシーケンス番号を 1 つ消費するためです。`
      : `受信確認番号は ${p.ack} です。キャプチャにないクライアントの SYN の ISN は ${(p.ack - 1) >>> 0} だったことになります。`) +
    `サーバー自身の初期シーケンス番号は ${p.isn} で、${offerText(p.offer)}。`,
  'hs.synAckWrongAck': (p) =>
    `ここではバイトの内容がハンドシェイクと矛盾しています。受信確認番号は ${p.expected} (クライアントの ISN + 1) であるべきですが、${p.ack} になっています。クライアントはこの SYN-ACK をリセットで拒否します。`,
  'hs.synAckRetry': (p) =>
    `フレーム ${p.frame}: サーバーは最初の SYN-ACK から ${duration(p.after)}後に SYN-ACK を再送します。クライアントの ACK が届かなかった (またはクライアントが SYN を繰り返した) ためです。`,
  'hs.ack': (p) =>
    `フレーム ${p.frame}: クライアントは受信確認番号 ${p.ack} (サーバーの ISN ${p.serverIsn} + 1) でサーバーの SYN を受信確認します` +
    `${p.bytes > 0 ? `。同じセグメントで早くも ${p.bytes} バイトのデータを送信しています` : ''}。` +
    'これで 3 方向ハンドシェイクが完了し、双方が相手のシーケンス番号を知り、接続が確立されました。',
  'hs.rtt': (p) => `SYN からこの ACK までは ${duration(p.rtt)}でした。これがハンドシェイクの往復時間 (tshark の initial RTT) です。`,
  'hs.windowScale': (p) =>
    p.client !== null && p.server !== null
      ? `双方がウィンドウ スケーリングを提示したため、以降はクライアントのウィンドウ フィールドは ${2 ** p.client} バイト単位、サーバーのウィンドウ フィールドは ${2 ** p.server} バイト単位で数えます (RFC 7323)。`
      : `ウィンドウ スケーリングを提示したのは${p.client !== null ? 'クライアント' : 'サーバー'}だけなので、どちらもウィンドウをスケーリングしません (RFC 7323: 双方の提示が必要です)。`,

  'rst.refused': (p) =>
    `フレーム ${p.frame}: サーバーは ${duration(p.after)}後に SYN にリセット (RST) で応答します。接続は拒否されました。${p.server} のポート ${p.serverPort} で待ち受けているサービスがないか、ファイアウォールが代わりに接続を拒否しています。`,
  'rst.abort': (p) =>
    `フレーム ${p.frame}: ${name(p.from)}がリセット (RST) で接続を中断します。FIN と違い、リセットは両方向を一度に終了し、転送中のデータを破棄します。${name(p.from)}のアプリケーションがソケットを突然 (または未読のデータを残したまま) 閉じたか、ホストが接続の状態を失ったと考えられます。`,
  'rst.afterFin': (p) =>
    `フレーム ${p.frame}: 終了処理が始まった後で、${name(p.from)}がリセット (RST) を送信します。すでに閉じられたソケットにセグメントが届いたか、アプリケーションがデータを読み切らずに閉じたためです。接続はただちに終了します。`,
  'rst.again': (p) => `フレーム ${p.frame}: ${name(p.from)}からのリセットがもう一度届きます。接続はすでに終了しています。`,

  'data.run': (p) => {
    const side = (s: Side): string => {
      const segs = p.segs[s];
      const acks = p.acks[s];
      if (segs === 0 && acks === 0) return `${name(s)}は何も送信していません`;
      if (segs === 0) return `${name(s)}は受信確認だけを送っています (データなしのセグメント ${acks} 個)`;
      return `${name(s)}は ${segs} 個のセグメントで ${p.bytes[s]} バイトを送信しています${acks > 0 ? ` (ほかにデータなしの受信確認が ${acks} 個)` : ''}`;
    };
    return `${frameRange(p.first, p.last)}: ${duration(p.duration)}にわたるデータ転送です。${side('client')}。${side('server')}。`;
  },
  'data.segment': (p) =>
    `フレーム ${p.frame}: ${name(p.from)}は ${p.bytes} バイトのデータを送信します (seq ${p.seq})` +
    `${p.ack !== null ? `。あわせて ${p.ack} より前をすべて受信確認しています` : ''}。`,
  'data.ack': (p) =>
    `フレーム ${p.frame}: ${name(p.from)}は ${p.ack} より前をすべて受信確認します (データなしの ACK)${p.window !== null ? `。受信ウィンドウは ${p.window} バイトです` : ''}。`,
  'data.dupAcks': (p) =>
    p.again
      ? `${name(p.from)}から ${p.ack} に対する重複 ACK が ${p.count} 個あります (${frameList(p.frames, p.count)})。また ${p.ack} 以降のセグメントが欠けています。`
      : `${name(p.from)}から ${p.ack} に対する重複 ACK が ${p.count} 個あります (${frameList(p.frames, p.count)})。` +
    `${name(p.from)}は欠落の後ろのデータを受信し、${p.ack} 以降のバイトを要求し続けています。セグメントが失われた (または順序が入れ替わった) 可能性が高く、重複 ACK が 3 つ届くと送信側はすぐに再送します (高速再送)。`,
  'data.windowUpdates': (p) =>
    p.again
      ? `${name(p.from)}からのウィンドウ更新がさらに ${p.count} 個あります (${frameList(p.frames, p.count)})。`
      : `${name(p.from)}からのウィンドウ更新が ${p.count} 個あります (${frameList(p.frames, p.count)})。新しいデータを受信確認せずに受信ウィンドウを変更しており、通常はアプリケーションがデータを読んで空きができたことを示します。`,
  'data.keepAliveAcks': (p) => `${name(p.from)}はキープアライブに応答しています (${frameList(p.frames, p.count)})。接続はまだ生きています。`,
  'data.probeAcks': (p) => `${name(p.from)}はゼロ ウィンドウ プローブに応答しています (${frameList(p.frames, p.count)})。ウィンドウはまだ閉じたままです。`,
  'data.halfClose': (p) =>
    `フレーム ${p.frame}: 接続はハーフクローズの状態です (RFC 9293 3.6)。${name(p.closed)}は送信を終えましたが、${name(p.sender)}はまだデータを送信しており、FIN の後に合計 ${p.bytes} バイトを送ります。${name(p.closed)}はそれを受信し、受信確認を続けます。`,

  'close.fin': (p) =>
    `フレーム ${p.frame}: ${name(p.from)}は送信するデータがなくなったことを FIN で通知します (seq ${p.seq})` +
    `${p.bytes > 0 ? `。最後の ${p.bytes} バイトのデータも同じセグメントで送っています` : ''}。` +
    `これで閉じるのは自分の送信方向だけで、${name(other(p.from))}からのデータは引き続き受信できます。` +
    `${p.ack !== null ? `同じセグメントの ACK フラグは ${p.ack} より前をすべて受信確認しています。` : ''}`,
  'close.finAck': (p) =>
    `フレーム ${p.frame}: ${name(p.from)}はフレーム ${p.finFrame} の FIN を受信確認します (ack ${p.ack})。FIN も SYN と同じくシーケンス番号を 1 つ消費するため、FIN のシーケンス番号に 1 を加えた値になります。`,
  'close.fin2': (p) =>
    `フレーム ${p.frame}: ${name(p.from)}も自分の方向を閉じます (FIN、seq ${p.seq})。TCP 接続の 2 つの方向は互いに独立して閉じられるため、終了には 3 つではなく 4 つのセグメントが必要です。`,
  'close.fin2Ack': (p) =>
    `フレーム ${p.frame}: ${name(p.from)}はフレーム ${p.finFrame} の FIN を受信確認し (ack ${p.ack})、同じセグメントで自分の方向も閉じます (FIN、seq ${p.seq})。`,
  'close.finalAck': (p) =>
    `フレーム ${p.frame}: ${name(p.from)}はフレーム ${p.finFrame} の FIN を受信確認します (ack ${p.ack})。両方向が閉じられ、接続は正常に終了しました。先に閉じた${name(p.from)}は、同じポートの組が再利用できるようになるまで TIME-WAIT 状態で待機します。`,
  'close.finRetry': (p) => `フレーム ${p.frame}: ${name(p.from)}は FIN を再送します (seq ${p.seq})。受信確認が時間内に届かなかったためです。`,

  'anom.retransmission': (p) =>
    p.again
      ? `フレーム ${p.frame}: ${name(p.from)}は seq ${p.seq} からの ${p.bytes} バイトを再び送信します (再送)。`
      : `フレーム ${p.frame}: ${name(p.from)}は seq ${p.seq} からの ${p.bytes} バイトをもう一度送信します (再送)。セグメントかその受信確認が失われ、${name(p.from)}の再送タイマーが切れたと考えられます。損失は接続を遅くします。`,
  'anom.fastRetransmission': (p) =>
    p.again
      ? `フレーム ${p.frame}: 重複 ACK を受けて、${name(p.from)}が seq ${p.seq} からの ${p.bytes} バイトを高速再送します。`
      : `フレーム ${p.frame}: 高速再送です。${name(p.from)}は、重複 ACK によって欠落が分かった時点で、タイマーを待たずに seq ${p.seq} からの ${p.bytes} バイトを再送します。`,
  'anom.spuriousRetransmission': (p) =>
    p.again
      ? `フレーム ${p.frame}: ${name(p.from)}は受信確認済みの seq ${p.seq} からのデータ (${p.bytes} バイト) を再び送信しています (不要な再送${p.suspected ? '、推定' : ''})。`
      : `フレーム ${p.frame}: ${name(p.from)}は、${name(other(p.from))}がすでに受信確認した seq ${p.seq} からのデータ (${p.bytes} バイト) を再送しています (不要な再送)。何も失われておらず、タイマーが短すぎたか受信確認が遅れたためです。` +
    `${p.suspected ? `ただし推定です。キャプチャは${name(p.from)}側で取得されていないため、${name(p.from)}はまだ受信確認を受け取っていなかったかもしれません。` : ''}`,
  'anom.outOfOrder': (p) =>
    p.again
      ? `フレーム ${p.frame}: ${name(p.from)}からのセグメントがまた順序どおりでなく届いています (seq ${p.seq}、${p.bytes} バイト${p.suspected ? '、推定' : ''})。`
      : `フレーム ${p.frame}: ${name(p.from)}からのセグメント (seq ${p.seq}、${p.bytes} バイト) が、より大きいシーケンス番号のデータの後に届いています。途中で順序が入れ替わったか、すばやい再送です。` +
    `${p.suspected ? 'ただし推定です。キャプチャは受信側で取得されていないため、元のセグメントの直後に送られた再送である可能性が高いです。' : ''}`,
  'anom.lostSegment': (p) =>
    p.again
      ? `フレーム ${p.frame}: また、seq ${p.seq} より前の${name(p.from)}のセグメントがキャプチャにありません${p.suspected ? ' (キャプチャの取りこぼしの可能性が高いです)' : ''}。`
      : `フレーム ${p.frame}: ${name(p.from)}のセグメントは、次に期待されるシーケンス番号より先の seq ${p.seq} から始まっています。その前のセグメントがキャプチャにありません。` +
    `${p.suspected ? 'ただし損失とは限りません。この取得場所では、キャプチャ自体が取りこぼした可能性のほうが高いです。' : 'ネットワークで失われた可能性があります。'}`,
  'anom.ackedUnseen': (p) =>
    p.again
      ? `フレーム ${p.frame}: ${name(p.from)}はまた、キャプチャにない ${p.ack} までのデータを受信確認しています。`
      : `フレーム ${p.frame}: ${name(p.from)}は、キャプチャに一度も現れていない ${p.ack} までのデータを受信確認しています。${name(p.from)}は受信しているので、キャプチャがセグメントを取りこぼしています (ネットワークの問題ではなく、キャプチャの欠落です)。`,
  'anom.zeroWindow': (p) =>
    p.again
      ? `フレーム ${p.frame}: ${name(p.from)}は再びゼロ ウィンドウを通知しています。`
      : `フレーム ${p.frame}: ${name(p.from)}はゼロ ウィンドウを通知しています。アプリケーションがデータを読まないため、受信バッファーがいっぱいです。${name(other(p.from))}は送信を止め、ウィンドウが再び開くまで問い合わせを続ける必要があります。`,
  'anom.zeroWindowProbe': (p) =>
    p.again
      ? `フレーム ${p.frame}: ${name(p.from)}は再びゼロ ウィンドウを調べます。`
      : `フレーム ${p.frame}: ${name(p.from)}は 1 バイトでゼロ ウィンドウを調べ (ゼロ ウィンドウ プローブ)、${name(other(p.from))}に空きができたかを確かめます。`,
  'anom.windowFull': (p) =>
    p.again
      ? `フレーム ${p.frame}: また${name(p.from)}のセグメントで${name(other(p.from))}の受信ウィンドウがいっぱいになります。`
      : `フレーム ${p.frame}: このセグメントで${name(other(p.from))}の受信ウィンドウがいっぱいになります。${name(p.from)}はこれ以上送信する前に受信確認を待つ必要があります。ここでは受信側 (またはそのアプリケーション) が速度を制限しています。`,
  'anom.keepAlive': (p) =>
    p.again
      ? `フレーム ${p.frame}: ${name(p.from)}からのキープアライブがもう一度あります。`
      : `フレーム ${p.frame}: ${name(p.from)}からのキープアライブです。しばらく通信がなかったため、次のシーケンス番号より 1 小さいセグメントを送り、${name(other(p.from))}に接続がまだ存在することを確認させます。`,
  'anom.portReuse': (p) =>
    `フレーム ${p.frame}: 同じポート (${p.clientPort} と ${p.serverPort}) で新しい初期シーケンス番号を持つ新しい SYN です。このポートの組での以前の接続は終わり、新しい接続が始まります (ポートの再利用)。`,
  'anom.badChecksum': (p) =>
    p.again
      ? `フレーム ${p.frame}: ${name(p.from)}からのセグメントの TCP チェックサムがまた正しくありません。`
      : `フレーム ${p.frame}: ${name(p.from)}からのこのセグメントの TCP チェックサムが正しくありません。キャプチャしたホストが送信したセグメントがすべて不正な場合は、ネットワーク カードがキャプチャ後にチェックサムを計算している (チェックサム オフロード) だけで、問題はありません。そうでなければセグメントが破損しており、受信側はそれを破棄します。`,

  'sum.head': (p) =>
    `まとめ (接続 ${p.id}、最初から最後のフレームまで ${duration(p.duration)}): クライアントは ${p.segs.client} 個のセグメントで ${p.bytes.client} バイトのデータを、サーバーは ${p.segs.server} 個のセグメントで ${p.bytes.server} バイトのデータを送信しました。`,
  'sum.opened': (p) => `接続は完全な 3 方向ハンドシェイクで確立されました${p.rtt !== null ? ` (往復時間 ${duration(p.rtt)})` : ''}。`,
  'sum.refused': () => 'サーバーはリセットで接続を拒否しました。データはやり取りされていません。',
  'sum.unanswered': (p) =>
    `クライアントの SYN (${p.attempts} 回) にはキャプチャ内で応答がありませんでした。サーバーに到達できないか停止しているか、ファイアウォールが SYN を黙って破棄しています。`,
  'sum.midstream': () => 'キャプチャ開始時点で、接続はすでに確立されていました。',
  'sum.closeGraceful': (p) => `先に閉じたのは${name(p.by)}です。双方が FIN を送り、最後の FIN も受信確認されました。正常な終了です。`,
  'sum.halfClose': (p) =>
    `${name(p.by)}が先に自分の方向を閉じ、${name(other(p.by))}はハーフクローズの接続でさらに ${p.bytes} バイトを送信してから閉じました。`,
  'sum.closeReset': (p) => `${name(p.by)}が FIN のやり取りではなくリセット (RST) で接続を終了しました。中断です。`,
  'sum.closeIncomplete': (p) => `${name(p.by)}が FIN で終了を始めましたが、両方の FIN が受信確認されたところまではキャプチャに含まれていません。`,
  'sum.open': () => 'キャプチャ終了時点で、接続はまだ開いていました。',
  'sum.anomalies': (p) => {
    const parts = p.counts.map((c) => `${KIND[c.kind]} ${c.count} 件${c.suspected > 0 ? ` (${c.suspected === c.count ? (c.count === 1 ? '推定' : 'すべて推定') : `うち ${c.suspected} 件は推定`})` : ''}`);
    return `tshark が示す異常: ${list(parts)}です。`;
  },
  'sum.clean': () => '異常はありません。損失も再送もウィンドウの問題もありません。',
  'sum.loss': (p) =>
    `${p.dataSegments} 個のデータ セグメントのうち ${p.retransmitted} 個が再送されました (${percent(p.retransmitted, p.dataSegments)}%)。損失のたびに TCP は速度を落とします。意図的に損失のある経路でなければ、輻輳、キューのあふれ、リンクの障害を調べてください。`,
  'sum.zeroWindow': (p) =>
    `${name(p.from)}はウィンドウを ${p.count} 回閉じました。アプリケーションの読み取りが追いついていません。ボトルネックはネットワークではなく受信側のアプリケーションです。`,
  'sum.capped': (p) => `個別に説明するのは最初のいくつかだけです。ほかにフレーム ${p.first}–${p.last} に${KIND[p.kind]}が ${p.count} 件あります。`,
  'sum.zeek': (p) => `Zeek ではこの接続は conn_state ${p.state} (${STATE[p.state]})、history ${p.history === '' ? '(空)' : p.history} として記録されます。`,
};
