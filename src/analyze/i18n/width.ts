/**
 * Display width of text in a terminal (and in a monospace SVG): East Asian wide and fullwidth
 * characters (Unicode's East_Asian_Width W and F: kana, kanji, hangul, fullwidth forms) take two
 * columns, every other character one. Used by the text renderers that promise a line width
 * (`synack explain`'s wrapping, the ladder's text renderer) and by the SVG ladder to size boxes.
 *
 * Invariant: `displayWidth(clipToWidth(s, w)) <= w`, `displayWidth(padStartToWidth(s, w)) ===
 * max(w, displayWidth(s))` (likewise padEnd), and every line of `wrapToWidth(s, w)` is at most `w`
 * columns wide (for w >= 2). Combining marks and zero-width characters count as one column (none
 * occur in synack's catalogues; overcounting only makes lines shorter). Browser-safe.
 */

/** Ranges of East Asian wide/fullwidth code points (the blocks synack's languages use, and more). */
const WIDE: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f], // Hangul Jamo initials
  [0x2e80, 0x303e], // CJK radicals, Kangxi, CJK symbols and punctuation (、。「」)
  [0x3041, 0x33ff], // hiragana, katakana, bopomofo, CJK compatibility
  [0x3400, 0x4dbf], // CJK extension A
  [0x4e00, 0x9fff], // CJK unified ideographs
  [0xa000, 0xa4cf], // Yi
  [0xac00, 0xd7a3], // Hangul syllables
  [0xf900, 0xfaff], // CJK compatibility ideographs
  [0xfe30, 0xfe4f], // CJK compatibility forms
  [0xff00, 0xff60], // fullwidth forms (（）！？)
  [0xffe0, 0xffe6], // fullwidth signs
  [0x1f300, 0x1f64f], // pictographs, emoticons
  [0x20000, 0x3fffd], // CJK extensions B and later
];

/** Columns a character (one code point) takes: 2 for East Asian wide and fullwidth, else 1. */
export function charWidth(c: string): number {
  const cp = c.codePointAt(0) ?? 0;
  for (const [lo, hi] of WIDE) {
    if (cp < lo) return 1;
    if (cp <= hi) return 2;
  }
  return 1;
}

/** Whether the character is East Asian wide (a line may break before or after it). */
export function isWide(c: string): boolean {
  return charWidth(c) === 2;
}

/** Columns a string takes on a terminal. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const c of s) w += charWidth(c);
  return w;
}

/** The longest prefix of `s` that is at most `width` columns wide. */
export function sliceToWidth(s: string, width: number): string {
  let w = 0;
  let out = '';
  for (const c of s) {
    const cw = charWidth(c);
    if (w + cw > width) break;
    w += cw;
    out += c;
  }
  return out;
}

/** `s` itself when it fits in `width` columns, else its start and "…" (at most `width` columns). */
export function clipToWidth(s: string, width: number): string {
  if (displayWidth(s) <= width) return s;
  if (width <= 0) return '';
  return `${sliceToWidth(s, width - 1)}…`;
}

/** `s` with spaces before it up to `width` columns (padStart by display width). */
export function padStartToWidth(s: string, width: number): string {
  const w = displayWidth(s);
  return w >= width ? s : `${' '.repeat(width - w)}${s}`;
}

/** `s` with spaces after it up to `width` columns (padEnd by display width). */
export function padEndToWidth(s: string, width: number): string {
  const w = displayWidth(s);
  return w >= width ? s : `${s}${' '.repeat(width - w)}`;
}

/** Characters that must not begin a line (Japanese line breaking rules, simplified; and Latin closers). */
const NO_START = /^[、。，．）」』】〕・ー…：；？！:;,.)\]?!]/u;

/**
 * Greedy word wrap by display width: Latin text breaks at spaces, East Asian text between any two
 * wide characters (never before closing punctuation). A word wider than the line is cut.
 */
export function wrapToWidth(text: string, width: number): string[] {
  const w = Math.max(2, Math.floor(width));
  // Tokens: runs of spaces, runs of narrow non-space characters (a Latin word), single wide characters.
  const tokens: string[] = [];
  let word = '';
  const flush = (): void => {
    if (word !== '') tokens.push(word);
    word = '';
  };
  for (const c of text) {
    if (/\s/u.test(c)) {
      flush();
      if (tokens.at(-1) !== ' ') tokens.push(' ');
    } else if (isWide(c)) {
      flush();
      tokens.push(c);
    } else word += c;
  }
  flush();
  // Closing punctuation sticks to the token before it.
  for (let k = 1; k < tokens.length; k++) {
    const t = tokens[k] ?? '';
    const prev = tokens[k - 1] ?? ' ';
    if (prev !== ' ' && NO_START.test(t) && displayWidth(prev) + displayWidth(t) <= w) {
      tokens.splice(k - 1, 2, prev + t);
      k--;
    }
  }
  const out: string[] = [];
  let line = '';
  let lineW = 0;
  let space = false;
  for (let t of tokens) {
    if (t === ' ') {
      space = lineW > 0;
      continue;
    }
    let tw = displayWidth(t);
    const gap = space ? 1 : 0;
    space = false;
    if (lineW > 0 && lineW + gap + tw > w) {
      out.push(line);
      line = '';
      lineW = 0;
    } else if (lineW > 0 && gap > 0) {
      line += ' ';
      lineW += 1;
    }
    // A token wider than a whole line is cut.
    while (tw > w - lineW) {
      const head = sliceToWidth(t, w - lineW);
      if (head === '') {
        out.push(line);
        line = '';
        lineW = 0;
        continue;
      }
      out.push(line + head);
      line = '';
      lineW = 0;
      t = t.slice(head.length);
      tw = displayWidth(t);
    }
    line += t;
    lineW += tw;
  }
  if (line !== '') out.push(line);
  return out;
}
