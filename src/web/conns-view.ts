/**
 * The connections view: the analyzer's connection table for the open capture (state, history, RTT,
 * bytes, anomalies, as `synack conns` reports them); choosing a connection shows its ladder diagram
 * (SVG), what it did in words (English, German, Swedish, Japanese), and its frames. Hovering a
 * segment of the ladder highlights its frame; clicking selects it; double-clicking opens it in the
 * capture view.
 *
 * Invariant: the table shows at most TABLE_LIMIT rows (the capture view's `conn == N` filter
 * reaches every connection); the ladder holds at most the frames the tracker kept per connection.
 */
import type { ConnectionRecord } from '../analyze/conns.js';
import { lectureFields } from '../stack/trace.js';
import type { CaptureView } from './capture-view.js';
import { anomalyName, connFacts, LANGUAGE_NAMES, LANGUAGES, type Lang } from './conn-facts.js';
import { h } from './dom.js';
import { FrameList } from './frame-list.js';
import { LADDER_FRAMES, type ConnAnalysis } from './jobs.js';
import { Ladder, ladderKind, type LadderRow } from './ladder.js';
import { splitter } from './splitter.js';

const TABLE_LIMIT = 5000;
const LANG_KEY = 'synack-lang';

function endpoint(e: { ip: string; port: number }): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

function bytes(n: number): string {
  return n < 10_000 ? String(n) : n < 10_000_000 ? `${(n / 1000).toFixed(1)} kB` : `${(n / 1e6).toFixed(1)} MB`;
}

function rtt(s: number | null): string {
  return s === null ? '–' : `${(s * 1000).toFixed(s < 0.01 ? 3 : 1)} ms`;
}

function initialLang(): Lang {
  try {
    const v = localStorage.getItem(LANG_KEY);
    if (v !== null && (LANGUAGES as readonly string[]).includes(v)) return v as Lang;
  } catch {
    // no storage
  }
  const nav = (navigator.language ?? 'en').slice(0, 2);
  return (LANGUAGES as readonly string[]).includes(nav) ? (nav as Lang) : 'en';
}

export class ConnsView {
  readonly el: HTMLElement;
  private readonly tableBody: HTMLElement;
  private readonly note: HTMLElement;
  private readonly ladder = new Ladder({ name: 'client', label: '' }, { name: 'server', label: '' });
  private readonly frames = new FrameList({ compact: true });
  private readonly factsTitle: HTMLElement;
  private readonly factsList: HTMLElement;
  private readonly langSelect: HTMLSelectElement;
  private readonly detail: HTMLElement;
  private analysis: ConnAnalysis | undefined;
  private current: ConnectionRecord | undefined;
  /** Frame index of each ladder row. */
  private ladderFrames: number[] = [];
  private lang: Lang = initialLang();
  private stale = true;

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

    this.langSelect = h('select', { class: 'lang', attrs: { 'aria-label': 'language' } }, ...LANGUAGES.map((l) => h('option', { text: LANGUAGE_NAMES[l], attrs: { value: l } })));
    this.langSelect.value = this.lang;
    this.langSelect.addEventListener('change', () => {
      this.lang = this.langSelect.value as Lang;
      try {
        localStorage.setItem(LANG_KEY, this.lang);
      } catch {
        // no storage
      }
      if (this.current !== undefined) this.choose(this.current);
    });
    this.factsTitle = h('h3', { class: 'facts-title' });
    this.factsList = h('ul', { class: 'facts' });
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
    const explain = h('div', { class: 'pane explain' }, h('div', { class: 'explain-head' }, this.factsTitle, h('div', { class: 'explain-tools' }, this.langSelect, showFrames)), this.factsList);
    const framesBox = h('div', { class: 'pane conn-frames' }, this.frames.el);
    const side = h('div', { class: 'conn-side' }, explain, splitter(explain, 'column', 80), framesBox);
    const ladderBox = h('div', { class: 'pane ladder-pane' }, this.ladder.el);
    this.detail = h('div', { class: 'conn-detail' }, ladderBox, splitter(ladderBox, 'row', 300), side);
    this.el = h('section', { class: 'view conns-view', attrs: { 'aria-label': 'connections' } }, top, splitter(top, 'column', 80), this.detail);

    this.ladder.onHover = (i) => {
      const f = this.ladderFrames[i];
      this.frames.markFrame(f ?? -1);
      if (f !== undefined) this.frames.selectFrame(f);
    };
    this.ladder.onClick = (i) => {
      const f = this.ladderFrames[i];
      if (f !== undefined) this.frames.selectFrame(f);
    };
    this.ladder.el.addEventListener('dblclick', () => {
      const f = this.frames.selectedFrame;
      if (f >= 0) this.openFrame(f);
    });
    this.frames.onSelect = (f) => {
      const i = this.ladderFrames.indexOf(f);
      if (i >= 0) this.ladder.select(i);
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
    this.analysis = undefined;
    this.current = undefined;
    this.tableBody.replaceChildren();
    this.detail.hidden = true;
    if (this.capture.index === undefined) {
      this.note.textContent = 'Open a capture to see its TCP connections.';
      return;
    }
    this.note.textContent = 'Tracking connections…';
    const a = await this.capture.connections();
    if (a === undefined) return;
    this.analysis = a;
    this.renderTable(a);
    const first = a.conns[0];
    if (first !== undefined) this.choose(first);
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
          h('td', { class: 'anoms' }, ...anomalies.map(([k, n]) => h('span', { class: 'anom', text: `${anomalyName(k, 'en')} ×${n}` }))),
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
    const facts = connFacts(c, this.lang);
    this.factsTitle.textContent = facts.title;
    this.factsList.replaceChildren(...facts.lines.map((l) => h('li', { text: l })));

    // The connection's frames (the tracker's ids per frame).
    const rows: number[] = [];
    for (let i = c.firstFrame - 1; i < Math.min(a.connOf.length, c.lastFrame); i++) if (a.connOf[i] === c.id) rows.push(i);
    this.frames.setSource(undefined);
    this.frames.setSource(idx, Uint32Array.from(rows));

    this.ladder.setHosts({ name: this.lang === 'ja' ? 'クライアント' : 'client', label: endpoint(c.client) }, { name: this.lang === 'ja' ? 'サーバ' : 'server', label: endpoint(c.server) });
    const kept = c.frames ?? [];
    this.ladderFrames = kept.map((f) => f.frame - 1);
    const ladderRows: LadderRow[] = kept.map((f) => {
      const t = { srcPort: 0, dstPort: 0, seq: f.seq, ack: f.ack, flags: f.flags, window: f.window, options: [], payloadLength: f.length };
      const kinds = f.anomalies.map((v) => anomalyName(v.kind, this.lang));
      return {
        fromLeft: f.from === 'client',
        label: lectureFields(t),
        time: `${(f.time - c.start).toFixed(6)}`,
        kind: ladderKind(f.flags, f.length),
        ...(kinds.length > 0 ? { note: kinds.join(', ') } : {}),
      };
    });
    if (kept.length >= LADDER_FRAMES) this.factsList.append(h('li', { class: 'muted', text: `The ladder shows the first ${LADDER_FRAMES} of ${rows.length} segments.` }));
    this.ladder.setRows(ladderRows);
    this.ladder.el.scrollTop = 0;
    if (rows.length > 0) this.frames.selectPos(0, true);
  }
}
