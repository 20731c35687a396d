/**
 * The catalogue of ladder diagrams: message id -> language -> template function with typed
 * parameters, assembled from the four language files, and `ladderText` to render one message.
 *
 * Invariant: `LADDER_MESSAGES[id][lang]` exists for every id of `LADDER_IDS` and every language of
 * `LANGS` (the types guarantee it; test/analyze/ladder-i18n.test.ts checks it at run time).
 * Browser-safe: no Node imports.
 */
import type { AnomalyKind } from '../anomalies.js';
import { ladderDe } from './ladder-de.js';
import { ladderEn } from './ladder-en.js';
import { ladderJa } from './ladder-ja.js';
import { ladderSv } from './ladder-sv.js';
import { LADDER_IDS, type LadderId, type LadderMessage, type LadderParams, type LadderTemplates } from './ladder-types.js';
import { LANGS, type Lang } from './types.js';

export * from './ladder-types.js';

/** Every language's ladder templates. */
export const LADDER_LANGUAGES: Readonly<Record<Lang, LadderTemplates>> = { en: ladderEn, de: ladderDe, sv: ladderSv, ja: ladderJa };

/** The catalogue by message id: `LADDER_MESSAGES['head.frame'].de({})`. */
export const LADDER_MESSAGES: { readonly [K in LadderId]: { readonly [L in Lang]: (p: LadderParams[K]) => string } } = (() => {
  const out: Record<string, Record<string, unknown>> = {};
  for (const id of LADDER_IDS) {
    const row: Record<string, unknown> = {};
    for (const lang of LANGS) row[lang] = LADDER_LANGUAGES[lang][id];
    out[id] = row;
  }
  return out as unknown as { readonly [K in LadderId]: { readonly [L in Lang]: (p: LadderParams[K]) => string } };
})();

/** The text of a ladder message in a language: `ladderText('de', 'head.frame', {})`. */
export function ladderText<K extends LadderId>(lang: Lang, id: K, params: LadderParams[K]): string {
  return LADDER_LANGUAGES[lang][id](params);
}

/** The text of a ladder message given as an (id, params) pair. */
export function renderLadderMessage(lang: Lang, m: LadderMessage): string {
  // The union of (id, params) pairs is checked where messages are built; here one cast joins them.
  const f = LADDER_LANGUAGES[lang][m.id] as (p: LadderMessage['params']) => string;
  return f(m.params);
}

/** An anomaly mark's label in a language: "dup ACK?", "doppeltes ACK?", "重複 ACK?". */
export function markLabel(lang: Lang, kind: AnomalyKind, suspected = false): string {
  return LADDER_LANGUAGES[lang].mark({ kind, suspected });
}
