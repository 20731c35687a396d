/**
 * The connections view: the analyzer's connection table for the open capture (state, history, RTT,
 * bytes, anomalies, as `synack conns` reports them); choosing a connection shows its ladder diagram
 * (the analyzer's ladder model and SVG, as `synack ladder`), its explanation (the analyzer's
 * Explainer, as `synack explain`, in English, German, Swedish or Japanese), and its frames.
 * Hovering a segment of the ladder highlights its frame; clicking selects it; double-clicking opens
 * it in the capture view. Clicking a sentence selects the frame it is about; the sentences about
 * the selected frame are marked.
 *
 * Invariant: the table shows at most TABLE_LIMIT rows (the capture view's `conn == N` filter
 * reaches every connection), and only those connections are explained; the ladder holds at most
 * the frames the tracker kept per connection. Switching language re-renders the items the
 * Explainer produced (renderItem) and redraws the ladder from the same connection record in that
 * language (ladderFromConnection's `lang`); the capture is not read again.
 */
import type { ConnectionRecord } from '../analyze/conns.js';
import { CONTINUES, type ConnectionExplanation, type ExplainItem, renderItem } from '../analyze/explain.js';
import { LANGS, type Lang } from '../analyze/i18n/index.js';
import { ladderFromConnection, MARK_LABEL } from '../analyze/ladder.js';
import type { CaptureView } from './capture-view.js';
import { ConnLadder } from './conn-ladder.js';
import { h } from './dom.js';
import { FrameList } from './frame-list.js';
import { explainConnections, type ConnAnalysis, type JobToken } from './jobs.js';
import { splitter } from './splitter.js';

const TABLE_LIMIT = 5000;
const LANG_KEY = 'synack-lang';
const LANGUAGE_NAMES: Readonly<Record<Lang, string>> = { en: 'English', de: 'Deutsch', sv: 'Svenska', ja: '日本語' };

function endpoint(e: { ip: string; port: number }): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

function bytes(n: number): string {
  return n < 10_000 ? String(n) : n < 10_000_000 ? `${(n / 1000).toFixed(1)} kB` : `${(n / 1e6).toFixed(1)} MB`;
}

function rtt(s: number | null): string {
  return s === null ? '–' : `${(s * 1000).toFixed(s < 0.01 ? 3 : 1)} ms`;
}

function isLang(v: string): v is Lang {
  return (LANGS as readonly string[]).includes(v);
}

function initialLang(): Lang {
  try {
    const v = localStorage.getItem(LANG_KEY);
    if (v !== null && isLang(v)) return v;
  } catch {
    // no storage
  }
  const nav = (navigator.language ?? 'en').slice(0, 2);
  return isLang(nav) ? nav : 'en';
}

/**
 * Whether an item speaks about frame number `f`: its frame, its list, or (for the frame-by-frame
 * part: data runs) its range. A heading's range ("frames 4–7 are another connection") is the whole
 * connection and would mark every frame, so it marks only its first.
 */
function about(item: ExplainItem, f: number): boolean {
  if (item.frame === null) return false;
  if (item.frame === f) return true;
  if (item.section === 'frames' && item.lastFrame !== undefined && f > item.frame && f <= item.lastFrame) return true;
  return item.frames?.includes(f) ?? false;
}

export class ConnsView {
  readonly el: HTMLElement;
  private readonly tableBody: HTMLElement;
  private readonly note: HTMLElement;
  private readonly ladder = new ConnLadder();
  private readonly frames = new FrameList({ compact: true });
  private readonly explainTitle: HTMLElement;
  private readonly explainBody: HTMLElement;
  private readonly langSelect: HTMLSelectElement;
  private readonly detail: HTMLElement;
  private analysis: ConnAnalysis | undefined;
  private current: ConnectionRecord | undefined;
  /** The Explainer's output by connection id; undefined until its pass has finished. */
  private explanations: Map<number, ConnectionExplanation> | undefined;
  private explainJob: JobToken | undefined;
  private explainProgress = '';
  /** Rendered sentences of the current connection, with their items (for marking and re-rendering). */
  private sentences: { readonly el: HTMLElement; readonly item: ExplainItem }[] = [];
  /** The spaces between sentences of one paragraph (none in Japanese). */
  private gaps: Text[] = [];
  private lang: Lang = initialLang();
  private stale = true;
  /** Set while a connection is being shown (its first frame is selected without scrolling the text). */
  private choosing = false;

  constructor(
    private readonly capture: CaptureView,
    private readonly openFrame: (frame: number) => void,
  ) {
    const cols = ['#', 'Client', 'Server', 'State', 'History', 'RTT', 'Bytes →', 'Bytes ←', 'Packets', 'Duration', 'Anomalies'];
    this.tableBody = h('tbody');
    const table = h('table', { class: 'conns-table' }, h('thead', {}, h('tr', {}, ...cols.map((c) => h('th', { text: c })))), this.tableBody);
    this.tableBody.addEventListener('click', (e) => {
      const tr = (e.target as HTMLElement).closest<HTMLElement>('tr');
      const id = Number(tr?.dataset.id);
      const c = this.analysis?.conns.find((x) => x.id === id);
      if (c !== undefined) this.choose(c);
    });
    this.tableBody.addEventListener('keydown', (e) => {
      const tr = (e.target as HTMLElement).closest<HTMLElement>('tr');
      if (tr === null) return;
      const next = e.key === 'ArrowDown' ? tr.nextElementSibling : e.key === 'ArrowUp' ? tr.previousElementSibling : e.key === 'Enter' ? tr : null;
      if (next instanceof HTMLElement) {
        e.preventDefault();
        next.focus();
        next.click();
      }
    });
    this.note = h('div', { class: 'conns-note' });
    const top = h('div', { class: 'pane conns-top' }, h('div', { class: 'table-scroll' }, table), this.note);

    this.langSelect = h('select', { class: 'lang', attrs: { 'aria-label': 'language' } }, ...LANGS.map((l) => h('option', { text: LANGUAGE_NAMES[l], attrs: { value: l } })));
    this.langSelect.value = this.lang;
    this.langSelect.addEventListener('change', () => {
      const v = this.langSelect.value;
      if (!isLang(v)) return;
      this.lang = v;
      try {
        localStorage.setItem(LANG_KEY, v);
      } catch {
        // no storage
      }
      this.rerender();
      if (this.current !== undefined) this.ladder.relabel(ladderFromConnection(this.current, { lang: this.lang }));
    });
    this.explainTitle = h('h3', { class: 'explain-title' });
    this.explainBody = h('div', { class: 'explanation', attrs: { lang: this.lang } });
    this.explainBody.addEventListener('click', (e) => {
      const s = (e.target as HTMLElement).closest<HTMLElement>('.sentence[data-frame]');
      const f = Number(s?.dataset.frame);
      if (Number.isInteger(f) && f > 0) this.frames.selectFrame(f - 1);
    });
    const showFrames = h('button', {
      class: 'btn',
      text: 'Filter these frames',
      title: 'Show this connection in the capture view (conn == N)',
      on: {
        click: () => {
          if (this.current === undefined) return;
          void this.capture.setFilter(`conn == ${this.current.id}`);
          this.openFrame(this.current.firstFrame - 1);
        },
      },
    });
    const explain = h('div', { class: 'pane explain' }, h('div', { class: 'explain-head' }, this.explainTitle, h('div', { class: 'explain-tools' }, this.langSelect, showFrames)), this.explainBody);
    const framesBox = h('div', { class: 'pane conn-frames' }, this.frames.el);
    const side = h('div', { class: 'conn-side' }, explain, splitter(explain, 'column', 80), framesBox);
    const ladderBox = h('div', { class: 'pane ladder-pane' }, this.ladder.el);
    this.detail = h('div', { class: 'conn-detail' }, ladderBox, splitter(ladderBox, 'row', 300), side);
    this.el = h('section', { class: 'view conns-view', attrs: { 'aria-label': 'connections' } }, top, splitter(top, 'column', 80), this.detail);

    this.ladder.onHover = (f) => {
      this.frames.markFrame(f - 1);
      if (f > 0) this.frames.selectFrame(f - 1);
    };
    this.ladder.onClick = (f) => {
      if (f > 0) this.frames.selectFrame(f - 1);
    };
    this.ladder.el.addEventListener('dblclick', () => {
      const f = this.frames.selectedFrame;
      if (f >= 0) this.openFrame(f);
    });
    this.frames.onSelect = (i) => {
      this.ladder.select(i + 1);
      this.markSentences(i + 1, !this.choosing);
    };
    capture.onLoad.push(() => {
      this.stale = true;
      if (!this.el.hidden) void this.shown();
    });
    this.detail.hidden = true;
  }

  /** Called when the view becomes visible. */
  async shown(): Promise<void> {
    if (!this.stale) return;
    this.stale = false;
    if (this.explainJob !== undefined) this.explainJob.cancelled = true;
    this.explainJob = undefined;
    this.explanations = undefined;
    this.analysis = undefined;
    this.current = undefined;
    this.tableBody.replaceChildren();
    this.detail.hidden = true;
    const idx = this.capture.index;
    if (idx === undefined) {
      this.note.textContent = 'Open a capture to see its TCP connections.';
      return;
    }
    this.note.textContent = 'Tracking connections…';
    const a = await this.capture.connections();
    if (a === undefined || this.capture.index !== idx) return;
    this.analysis = a;
    this.renderTable(a);
    const first = a.conns[0];
    if (first !== undefined) this.choose(first);
    // The explanations: a second pass, after the table is on screen.
    const token: JobToken = { cancelled: false };
    this.explainJob = token;
    this.explainProgress = 'Explaining the connections…';
    this.renderExplanation();
    const ex = await explainConnections(idx, TABLE_LIMIT, token, (d, t) => {
      this.explainProgress = `Explaining the connections… ${Math.floor((100 * d) / t)}%`;
      if (this.current !== undefined && this.sentences.length === 0) this.explainBody.firstElementChild?.replaceChildren(this.explainProgress);
    });
    if (ex === undefined || token.cancelled) return;
    this.explainJob = undefined;
    this.explanations = ex;
    this.renderExplanation();
  }

  private renderTable(a: ConnAnalysis): void {
    const frag = document.createDocumentFragment();
    for (const c of a.conns.slice(0, TABLE_LIMIT)) {
      const anomalies = (Object.entries(c.anomalies) as [keyof typeof c.anomalies, number][]).filter(([, n]) => n > 0);
      frag.append(
        h(
          'tr',
          { attrs: { 'data-id': c.id, tabindex: 0 } },
          h('td', { class: 'num', text: String(c.id) }),
          h('td', { class: 'mono', text: endpoint(c.client) }),
          h('td', { class: 'mono', text: endpoint(c.server) }),
          h('td', {}, h('span', { class: `state st-${c.state}`, text: c.state })),
          h('td', { class: 'mono', text: c.history }),
          h('td', { class: 'num', text: rtt(c.handshake.rtt) }),
          h('td', { class: 'num', text: bytes(c.sent.client.payloadBytes) }),
          h('td', { class: 'num', text: bytes(c.sent.server.payloadBytes) }),
          h('td', { class: 'num', text: String(c.sent.client.packets + c.sent.server.packets) }),
          h('td', { class: 'num', text: `${c.duration.toFixed(3)} s` }),
          h('td', { class: 'anoms' }, ...anomalies.map(([k, n]) => h('span', { class: 'anom', text: `${MARK_LABEL[k]} ×${n}` }))),
        ),
      );
    }
    this.tableBody.replaceChildren(frag);
    const n = a.conns.length;
    this.note.textContent = n === 0 ? 'No TCP connections in this capture.' : `${n.toLocaleString('en')} TCP connection${n === 1 ? '' : 's'}${n > TABLE_LIMIT ? ` (the first ${TABLE_LIMIT} listed; filter with conn == N in the capture view)` : ''}.`;
  }

  private choose(c: ConnectionRecord): void {
    const a = this.analysis;
    const idx = this.capture.index;
    if (a === undefined || idx === undefined) return;
    this.current = c;
    this.tableBody.querySelectorAll('tr').forEach((tr) => tr.classList.toggle('sel', Number(tr.dataset.id) === c.id));
    this.detail.hidden = false;
    this.renderExplanation();

    // The connection's frames (the tracker's ids per frame).
    const rows: number[] = [];
    for (let i = c.firstFrame - 1; i < Math.min(a.connOf.length, c.lastFrame); i++) if (a.connOf[i] === c.id) rows.push(i);
    this.frames.setSource(undefined);
    this.frames.setSource(idx, Uint32Array.from(rows));

    this.ladder.show(ladderFromConnection(c, { lang: this.lang }));
    this.choosing = true;
    try {
      if (rows.length > 0) this.frames.selectPos(0, true);
    } finally {
      this.choosing = false;
    }
  }

  /** The explanation of the current connection, as the Explainer's items rendered in `lang`. */
  private renderExplanation(): void {
    const c = this.current;
    this.sentences = [];
    this.gaps = [];
    this.explainBody.setAttribute('lang', this.lang);
    if (c === undefined) {
      this.explainTitle.textContent = '';
      this.explainBody.replaceChildren();
      return;
    }
    const e = this.explanations?.get(c.id);
    // Both passes number connections alike; the first frame confirms it is the same connection.
    if (e === undefined || e.record.firstFrame !== c.firstFrame) {
      this.explainTitle.textContent = `Connection ${c.id}: ${endpoint(c.client)} → ${endpoint(c.server)}`;
      const why = this.explanations === undefined ? this.explainProgress : c.id >= TABLE_LIMIT ? `Only the first ${TABLE_LIMIT} connections are explained here; \`synack explain --conn ${c.id}\` explains this one.` : 'No explanation for this connection.';
      this.explainBody.replaceChildren(h('p', { class: 'muted', text: why }));
      return;
    }
    this.explainTitle.textContent = '';
    const out: HTMLElement[] = [];
    let para: HTMLElement | undefined;
    let section = '';
    for (const item of e.items) {
      const span = h('span', { class: 'sentence', text: renderItem(item, this.lang) });
      if (item.frame !== null) span.dataset.frame = String(item.frame);
      this.sentences.push({ el: span, item });
      if (item.id === 'conn.title') {
        this.explainTitle.replaceChildren(span);
        continue;
      }
      // A paragraph per frame-level statement, its continuations in it; the summary as one paragraph.
      const joins = para !== undefined && section === item.section && (CONTINUES.has(item.id) || item.section === 'summary');
      if (!joins) {
        para = h('p', { class: `ex-${item.section}` });
        out.push(para);
      } else {
        const gap = document.createTextNode(this.gap());
        this.gaps.push(gap);
        para?.append(gap);
      }
      section = item.section;
      para?.append(span);
    }
    this.explainBody.replaceChildren(...out);
    this.explainBody.scrollTop = 0;
    this.markSentences(this.frames.selectedFrame + 1, false);
  }

  /** Re-render the sentences in the current language (same items, no new pass). */
  private rerender(): void {
    this.explainBody.setAttribute('lang', this.lang);
    if (this.sentences.length === 0) return;
    for (const s of this.sentences) s.el.textContent = renderItem(s.item, this.lang);
    for (const g of this.gaps) g.data = this.gap();
  }

  /** What separates two sentences in the current language (Japanese sentences end in 。). */
  private gap(): string {
    return this.lang === 'ja' ? '' : ' ';
  }

  /** Mark the sentences about frame number `f`; with `scroll`, bring the first into view. */
  private markSentences(f: number, scroll: boolean): void {
    let first: HTMLElement | undefined;
    for (const s of this.sentences) {
      const on = f > 0 && about(s.item, f);
      s.el.classList.toggle('cur', on);
      if (on) first ??= s.el;
    }
    if (!scroll || first === undefined) return;
    // Only the explanation scrolls (scrollIntoView would also move the hidden-overflow panes).
    const box = first.getBoundingClientRect();
    const pane = this.explainBody.getBoundingClientRect();
    if (box.top < pane.top) this.explainBody.scrollTop += box.top - pane.top - 8;
    else if (box.bottom > pane.bottom) this.explainBody.scrollTop += Math.min(box.bottom - pane.bottom + 8, box.top - pane.top - 8);
  }
}
