/**
 * The catalogue of `synack explain`: message id -> language -> template function with typed
 * parameters, assembled from the four language files, and `render` to turn a message into text.
 *
 * Invariant: `MESSAGES[id][lang]` exists for every id of `MESSAGE_IDS` and every language of
 * `LANGS` (the types guarantee it; test/analyze/explain-i18n.test.ts checks it at run time).
 * Browser-safe: no Node imports.
 */
import { de } from './de.js';
import { en } from './en.js';
import { ja } from './ja.js';
import { sv } from './sv.js';
import { LANGS, type Lang, type Message, MESSAGE_IDS, type MessageId, type MessageParams, type Templates } from './types.js';

export * from './types.js';

/** Every language's templates. */
export const LANGUAGES: Readonly<Record<Lang, Templates>> = { en, de, sv, ja };

/** The catalogue by message id: `MESSAGES['hs.syn'].de(params)`. */
export const MESSAGES: { readonly [K in MessageId]: { readonly [L in Lang]: (p: MessageParams[K]) => string } } = (() => {
  const out: Record<string, Record<string, unknown>> = {};
  for (const id of MESSAGE_IDS) {
    const row: Record<string, unknown> = {};
    for (const lang of LANGS) row[lang] = LANGUAGES[lang][id];
    out[id] = row;
  }
  return out as unknown as { readonly [K in MessageId]: { readonly [L in Lang]: (p: MessageParams[K]) => string } };
})();

/** The text of a message in a language. */
export function render(lang: Lang, m: Message): string {
  // The union of (id, params) pairs is checked where messages are built; here one cast joins them.
  const f = LANGUAGES[lang][m.id] as (p: Message['params']) => string;
  return f(m.params);
}

export function isLang(x: string): x is Lang {
  return (LANGS as readonly string[]).includes(x);
}

/**
 * The language a locale environment asks for: LC_ALL, else LC_MESSAGES, else LANG (POSIX
 * precedence), "de_DE.UTF-8" -> 'de'; 'en' when it names none of ours. The CLI passes
 * `process.env`; this module stays browser-safe.
 */
export function langFromEnv(env: { readonly [name: string]: string | undefined }): Lang {
  const pick = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);
  const locale = pick(env.LC_ALL) ?? pick(env.LC_MESSAGES) ?? pick(env.LANG) ?? '';
  const code = locale.slice(0, 2).toLowerCase();
  return isLang(code) ? code : 'en';
}
