/**
 * The message catalogue of `synack explain`: every message id has a template in all four
 * languages (a missing translation fails here), and every template, given sample parameters
 * covering its variants, renders complete sentences: no placeholder or undefined value left, the
 * numbers of the parameters printed as they are, German and Swedish with a decimal comma, Japanese
 * in the polite style of the seed article (seeds/002: です/ます), and no language left in English.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ANOMALY_KINDS } from '../../src/analyze/anomalies.js';
import { CONTINUES } from '../../src/analyze/explain.js';
import { LANGS, LANGUAGES, MESSAGE_IDS, MESSAGES, type Message, type MessageId, type MessageParams, render } from '../../src/analyze/i18n/index.js';

const OFFER = { mss: 1460, windowScale: 7, sackPermitted: true, timestamps: true };
const NO_OFFER = { mss: null, windowScale: null, sackPermitted: false, timestamps: false };
const ONLY_MSS = { mss: 1460, windowScale: null, sackPermitted: false, timestamps: false };

/** Sample parameters for every message, covering the branches inside the templates. */
const SAMPLES: { readonly [K in MessageId]: readonly MessageParams[K][] } = {
  'conn.title': [{ id: 0, client: '131.107.2.214', clientPort: 1037, server: '131.107.2.211', serverPort: 139, family: 4, first: 1, last: 3, segments: 3 }],
  'conn.rolesFromSynAck': [{}],
  'conn.rolesGuessed': [{}],
  'conn.midstream': [{ frame: 4 }],
  'conn.notContinuation': [
    {
      first: 4,
      last: 7,
      prevFirst: 1,
      prevLast: 3,
      client: '192.94.222.123',
      clientPort: 2337,
      server: '192.94.222.87',
      serverPort: 1352,
      prevClient: '131.107.2.214',
      prevClientPort: 1037,
      prevServer: '131.107.2.211',
      prevServerPort: 139,
      seq: 186685100,
      ack: 3462835714,
      prevSeq: 8221823,
      prevAck: 1109646,
      otherMacs: true,
    },
    {
      first: 10,
      last: 10,
      prevFirst: 2,
      prevLast: 9,
      client: '2001:db8::1',
      clientPort: 40001,
      server: '2001:db8::2',
      serverPort: 5201,
      prevClient: '2001:db8::3',
      prevClientPort: 40002,
      prevServer: '2001:db8::2',
      prevServerPort: 5201,
      seq: 1,
      ack: 2,
      prevSeq: 3,
      prevAck: 4,
      otherMacs: false,
    },
  ],
  'conn.endedOpen': [{ frame: 3 }],
  'capture.ttl': [
    { point: 'client', own: 128, other: 63 },
    { point: 'server', own: 64, other: 57 },
  ],
  'capture.timing': [
    { point: 'server', toSynAck: 0.0001, toAck: 0.7084 },
    { point: 'client', toSynAck: 1.25, toAck: 0.000012 },
  ],
  'capture.unknown': [{}],
  'hs.syn': [
    { frame: 1, client: '131.107.2.214', clientPort: 1037, server: '131.107.2.211', serverPort: 139, isn: 8221822, offer: ONLY_MSS },
    { frame: 3, client: '2001:db8::1', clientPort: 40001, server: '2001:db8::2', serverPort: 5201, isn: 4294967295, offer: OFFER },
    { frame: 1, client: '10.0.0.1', clientPort: 1, server: '10.0.0.2', serverPort: 2, isn: 0, offer: NO_OFFER },
  ],
  'hs.synOptionBytes': [{ frame: 1, headerBytes: 24, optionBytes: 4 }],
  'hs.netmonLen': [{ frame: 1, optionBytes: 4 }],
  'hs.synRetry': [{ frame: 2, isn: 8221822, after: 1.002 }],
  'hs.synAck': [
    { frame: 2, server: '131.107.2.211', isn: 1109645, ack: 8221823, clientIsn: 8221822, offer: ONLY_MSS },
    { frame: 1, server: '192.0.2.2', isn: 77, ack: 1000, clientIsn: null, offer: OFFER },
  ],
  'hs.synAckWrongAck': [{ frame: 2, ack: 5, expected: 8221823 }],
  'hs.synAckRetry': [{ frame: 4, after: 0.2 }],
  'hs.ack': [
    { frame: 3, ack: 1109646, serverIsn: 1109645, bytes: 0 },
    { frame: 3, ack: 1113, serverIsn: 1112, bytes: 1 },
    { frame: 3, ack: 1113, serverIsn: 1112, bytes: 517 },
  ],
  'hs.rtt': [{ frame: 3, rtt: 0.7085 }],
  'hs.windowScale': [
    { client: 7, server: 10 },
    { client: 7, server: null },
    { client: null, server: 2 },
  ],
  'rst.refused': [{ frame: 2, server: '192.0.2.2', serverPort: 5201, after: 0.000021 }],
  'rst.abort': [{ frame: 40, from: 'client' }, { frame: 41, from: 'server' }],
  'rst.afterFin': [{ frame: 9, from: 'server' }],
  'rst.again': [{ frame: 10, from: 'client' }],
  'data.run': [
    { first: 4, last: 62, duration: 0.000272, segs: { client: 34, server: 0 }, bytes: { client: 49232, server: 0 }, acks: { client: 0, server: 25 } },
    { first: 5, last: 9, duration: 2.5, segs: { client: 1, server: 3 }, bytes: { client: 1, server: 4000 }, acks: { client: 2, server: 1 } },
    { first: 5, last: 9, duration: 0.5, segs: { client: 0, server: 5 }, bytes: { client: 0, server: 5000 }, acks: { client: 0, server: 0 } },
  ],
  'data.segment': [
    { frame: 6, from: 'client', seq: 86, bytes: 5, ack: 1066 },
    { frame: 7, from: 'server', seq: 1075, bytes: 1, ack: null },
  ],
  'data.ack': [
    { frame: 7, from: 'server', ack: 91, window: 64512 },
    { frame: 8, from: 'client', ack: 1080, window: null },
  ],
  'data.dupAcks': [
    { from: 'server', again: false, ack: 3051228051, count: 14, frames: [35, 36, 37, 38, 39, 40, 41, 42, 53, 54, 55, 56] },
    { from: 'client', again: true, ack: 77, count: 1, frames: [64] },
    { from: 'server', again: true, ack: 78, count: 3, frames: [99, 100, 119] },
  ],
  'data.windowUpdates': [
    { from: 'server', again: false, count: 2, frames: [134, 156] },
    { from: 'client', again: true, count: 1, frames: [205] },
  ],
  'data.keepAliveAcks': [
    { from: 'server', again: false, count: 1, frames: [12] },
    { from: 'client', again: false, count: 2, frames: [12, 14] },
  ],
  'data.probeAcks': [
    { from: 'server', again: false, count: 1, frames: [12] },
    { from: 'server', again: false, count: 30, frames: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] },
  ],
  'data.halfClose': [{ frame: 9, closed: 'client', sender: 'server', bytes: 8192 }],
  'close.fin': [
    { frame: 4, from: 'client', seq: 186685100, bytes: 0, ack: 3462835714 },
    { frame: 4, from: 'server', seq: 91, bytes: 5, ack: null },
  ],
  'close.finAck': [{ frame: 5, from: 'server', ack: 186685101, finFrame: 4 }],
  'close.fin2': [{ frame: 6, from: 'server', seq: 3462835714 }],
  'close.fin2Ack': [{ frame: 27, from: 'server', seq: 400283359, ack: 284782462, finFrame: 26 }],
  'close.finalAck': [{ frame: 7, from: 'client', ack: 3462835715, finFrame: 6 }],
  'close.finRetry': [{ frame: 8, from: 'client', seq: 91 }],
  'anom.retransmission': [
    { frame: 132, from: 'client', again: false, seq: 3051339923, bytes: 1448 },
    { frame: 195, from: 'server', again: true, seq: 3051350435, bytes: 1 },
  ],
  'anom.fastRetransmission': [
    { frame: 63, from: 'client', again: false, seq: 3051228051, bytes: 1448 },
    { frame: 130, from: 'client', again: true, seq: 3051290691, bytes: 1448 },
  ],
  'anom.spuriousRetransmission': [
    { frame: 9, from: 'client', again: false, seq: 5, bytes: 100, suspected: false },
    { frame: 9, from: 'server', again: false, seq: 5, bytes: 100, suspected: true },
    { frame: 10, from: 'server', again: true, seq: 6, bytes: 100, suspected: true },
  ],
  'anom.outOfOrder': [
    { frame: 206, from: 'client', again: false, seq: 3051408355, bytes: 376, suspected: true },
    { frame: 207, from: 'server', again: false, seq: 1, bytes: 1, suspected: false },
    { frame: 208, from: 'server', again: true, seq: 2, bytes: 2, suspected: true },
  ],
  'anom.lostSegment': [
    { frame: 9, from: 'client', again: false, seq: 4000, suspected: false },
    { frame: 9, from: 'server', again: false, seq: 4000, suspected: true },
    { frame: 12, from: 'server', again: true, seq: 5000, suspected: true },
  ],
  'anom.ackedUnseen': [
    { frame: 9, from: 'client', again: false, ack: 4000 },
    { frame: 10, from: 'client', again: true, ack: 5000 },
  ],
  'anom.zeroWindow': [
    { frame: 9, from: 'server', again: false },
    { frame: 11, from: 'server', again: true },
  ],
  'anom.zeroWindowProbe': [
    { frame: 10, from: 'client', again: false },
    { frame: 12, from: 'client', again: true },
  ],
  'anom.windowFull': [
    { frame: 8, from: 'client', again: false },
    { frame: 18, from: 'client', again: true },
  ],
  'anom.keepAlive': [
    { frame: 8, from: 'client', again: false },
    { frame: 18, from: 'server', again: true },
  ],
  'anom.portReuse': [{ frame: 8, clientPort: 40001, serverPort: 5201 }],
  'anom.badChecksum': [
    { frame: 8, from: 'client', again: false },
    { frame: 9, from: 'client', again: true },
  ],
  'sum.head': [{ id: 1, duration: 0.9806, segs: { client: 2, server: 2 }, bytes: { client: 0, server: 0 } }],
  'sum.opened': [{ rtt: 0.7085 }, { rtt: null }],
  'sum.refused': [{}],
  'sum.unanswered': [{ attempts: 1 }, { attempts: 6 }],
  'sum.midstream': [{}],
  'sum.closeGraceful': [{ by: 'client' }, { by: 'server' }],
  'sum.halfClose': [{ by: 'client', bytes: 8192 }],
  'sum.closeReset': [{ by: 'server' }],
  'sum.closeIncomplete': [{ by: 'client' }],
  'sum.open': [{}],
  'sum.anomalies': [
    { counts: ANOMALY_KINDS.map((kind, i) => ({ kind, count: i + 1, suspected: i % 3 === 0 ? i + 1 : i % 3 === 1 ? 0 : 1 })) },
    { counts: ANOMALY_KINDS.map((kind) => ({ kind, count: 1, suspected: 1 })) },
  ],
  'sum.clean': [{}],
  'sum.loss': [{ retransmitted: 9, dataSegments: 148 }, { retransmitted: 1, dataSegments: 1 }],
  'sum.zeroWindow': [{ from: 'server', count: 1 }, { from: 'client', count: 12 }],
  'sum.capped': ANOMALY_KINDS.map((kind) => ({ kind, count: 180, first: 40, last: 900 })),
  'sum.zeek': (['S0', 'S1', 'SF', 'REJ', 'S2', 'S3', 'RSTO', 'RSTR', 'RSTOS0', 'RSTRH', 'SH', 'SHR', 'OTH'] as const).map((state) => ({ state, history: state === 'OTH' ? '' : 'ShADadFf' })),
};

function samples(): { id: MessageId; message: Message }[] {
  const out: { id: MessageId; message: Message }[] = [];
  for (const id of MESSAGE_IDS) for (const params of SAMPLES[id]) out.push({ id, message: { id, params } as Message });
  return out;
}

/** Parameters printed as they are (sequence, acknowledgment, port and frame numbers). */
const LITERAL_KEYS = [
  'frame',
  'first',
  'last',
  'seq',
  'ack',
  'isn',
  'clientIsn',
  'serverIsn',
  'expected',
  'clientPort',
  'serverPort',
  'prevFirst',
  'prevLast',
  'prevSeq',
  'prevAck',
  'prevClientPort',
  'prevServerPort',
  'finFrame',
  'headerBytes',
  'optionBytes',
  'own',
  'other',
  'retransmitted',
  'dataSegments',
];

describe('explain catalogue', () => {
  test('every message id has a template in every language, and no language has extra ones', () => {
    for (const lang of LANGS) {
      const t = LANGUAGES[lang] as unknown as Record<string, unknown>;
      for (const id of MESSAGE_IDS) assert.equal(typeof t[id], 'function', `${lang} lacks ${id}`);
      assert.deepEqual(Object.keys(t).sort(), [...MESSAGE_IDS].sort(), `${lang} has templates for unknown ids`);
    }
    for (const id of MESSAGE_IDS) for (const lang of LANGS) assert.equal(typeof MESSAGES[id][lang], 'function', `MESSAGES.${id}.${lang}`);
  });

  test('every message has samples, and the samples reach every id', () => {
    for (const id of MESSAGE_IDS) assert.ok(SAMPLES[id].length > 0, `no sample for ${id}`);
  });

  test('no output contains a placeholder, an undefined value or an object', () => {
    for (const { id, message } of samples()) {
      for (const lang of LANGS) {
        const text = render(lang, message);
        assert.ok(text.trim().length > 20, `${lang} ${id}: too short: ${text}`);
        for (const bad of ['undefined', 'NaN', 'null', '[object', '${', '{', '}', 'Infinity']) {
          assert.ok(!text.includes(bad), `${lang} ${id}: '${bad}' in: ${text}`);
        }
        assert.match(text, /[.)。)]$/u, `${lang} ${id}: does not end a sentence: ${text}`);
        assert.equal(text, text.trim(), `${lang} ${id}: stray whitespace`);
        assert.ok(!/ {2}/u.test(text), `${lang} ${id}: double space in: ${text}`);
      }
    }
  });

  test('numbers of the parameters appear as they are, in every language', () => {
    for (const { id, message } of samples()) {
      const params = message.params as Readonly<Record<string, unknown>>;
      for (const lang of LANGS) {
        const text = render(lang, message);
        for (const key of LITERAL_KEYS) {
          // Sentences that continue the one before about the same frame do not repeat its number.
          if (key === 'frame' && CONTINUES.has(id)) continue;
          const v = params[key];
          // The byte count of a handshake ACK without data and a FIN without data is not mentioned.
          if (typeof v === 'number') assert.ok(text.includes(String(v)), `${lang} ${id}: ${key}=${v} missing in: ${text}`);
        }
        const frames = params.frames;
        if (Array.isArray(frames)) for (const f of frames) assert.ok(text.includes(String(f)), `${lang} ${id}: frame ${String(f)} missing in: ${text}`);
        if (typeof params.bytes === 'number' && params.bytes > 0) assert.ok(text.includes(String(params.bytes)), `${lang} ${id}: bytes missing in: ${text}`);
      }
    }
  });

  test('each language is its own: no template gives the English text', () => {
    for (const { id, message } of samples()) {
      const en = render('en', message);
      for (const lang of ['de', 'sv', 'ja'] as const) assert.notEqual(render(lang, message), en, `${lang} ${id} is English`);
    }
  });

  test('German and Swedish write decimal commas, English and Japanese decimal points', () => {
    const m: Message = { id: 'hs.rtt', params: { frame: 3, rtt: 0.7085 } };
    assert.match(render('en', m), /708\.5 ms/u);
    assert.match(render('de', m), /708,5 ms/u);
    assert.match(render('sv', m), /708,5 ms/u);
    assert.match(render('ja', m), /708\.5 ミリ秒/u);
  });

  test('Japanese is written in the polite style of the seed article (です/ます)', () => {
    for (const { id, message } of samples()) {
      const text = render('ja', message);
      assert.match(text, /[\u3040-\u30ff]/u, `ja ${id}: no kana: ${text}`);
      // Every sentence ends in a polite form, perhaps followed by a remark in brackets (or inside one).
      for (const sentence of text.split('。').slice(0, -1)) {
        assert.match(sentence.trim(), /(です|ます|ません|でした|ました|ください)[)）]?( \([^()]*\))?$/u, `ja ${id}: not polite: 「${sentence}」 in ${text}`);
      }
    }
  });
});
