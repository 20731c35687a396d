/**
 * The frame list: a virtualized table. Only the rows on screen exist in the DOM (a pool of row
 * elements, refilled on scroll); a spacer gives the scrollbar its length. Past MAX_SCROLL pixels
 * (browsers cap element heights near 2^24..2^25 px) the scroll position maps proportionally onto
 * the rows, so a million frames scroll the same as ten.
 *
 * The list shows `rows` (frame indices, e.g. the ones a filter kept) or, without it, every frame.
 * Keyboard: Up/Down, PageUp/PageDown, Home/End move the selection.
 *
 * Invariant: at most `visibleRows + 2` row elements exist, whatever the number of frames.
 */
import { h } from './dom.js';
import type { FrameSource } from './frames.js';
import { RowCache, rowText, type RowText } from './rows.js';

export const ROW_HEIGHT = 22;
const MAX_SCROLL = 8_000_000;
type Column = keyof Omit<RowText, 'tone'>;
const ALL: readonly Column[] = ['no', 'time', 'src', 'dst', 'proto', 'len', 'info'];
const COMPACT: readonly Column[] = ['no', 'time', 'info'];
const TITLES: Readonly<Record<Column, string>> = { no: 'No.', time: 'Time', src: 'Source', dst: 'Destination', proto: 'Protocol', len: 'Length', info: 'Info' };

export class FrameList {
  readonly el: HTMLElement;
  private readonly viewport: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly layer: HTMLElement;
  private readonly pool: HTMLElement[] = [];
  private source: FrameSource | undefined;
  private rows: Uint32Array | undefined;
  private rowCount = 0;
  private readonly cache = new RowCache();
  /** Position in the displayed rows of the selection, or -1. */
  private selectedPos = -1;
  private hoverFrame = -1;
  /** Called with the frame index when the selection changes. */
  onSelect: (index: number) => void = () => undefined;

  private readonly columns: readonly Column[];

  /** `compact`: number, time and summary only (narrow panes). */
  constructor(options: { readonly compact?: boolean } = {}) {
    this.columns = options.compact === true ? COMPACT : ALL;
    const header = h('div', { class: 'flist-head', attrs: { role: 'row' } }, ...this.columns.map((c) => h('span', { class: `c-${c}`, text: TITLES[c] })));
    this.spacer = h('div', { class: 'flist-spacer' });
    this.layer = h('div', { class: 'flist-layer', attrs: { role: 'rowgroup' } });
    this.viewport = h('div', { class: 'flist-viewport', attrs: { tabindex: 0, role: 'grid', 'aria-label': 'frames' } }, this.spacer, this.layer);
    this.el = h('div', { class: `flist${options.compact === true ? ' compact' : ''}` }, header, this.viewport);
    this.viewport.addEventListener('scroll', () => this.render(), { passive: true });
    this.viewport.addEventListener('keydown', (e) => this.key(e));
    this.layer.addEventListener('mousedown', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('.frow');
      if (row === null) return;
      const pos = Number(row.dataset.pos);
      if (Number.isInteger(pos)) this.selectPos(pos, false);
    });
    new ResizeObserver(() => this.render()).observe(this.viewport);
  }

  /** Show `source`, restricted to `rows` when given. Keeps the selected frame if it is still shown. */
  setSource(source: FrameSource | undefined, rows?: Uint32Array): void {
    const frame = this.selectedFrame;
    if (source !== this.source) this.cache.clear();
    this.source = source;
    this.rows = rows;
    this.rowCount = source === undefined ? 0 : (rows?.length ?? source.count);
    this.selectedPos = frame < 0 || source === undefined ? -1 : this.positionOf(frame);
    this.layout();
  }

  /** The source grew (simulator): show the new rows. */
  refresh(): void {
    if (this.source === undefined) return;
    this.rowCount = this.rows?.length ?? this.source.count;
    this.layout();
  }

  get selectedFrame(): number {
    if (this.selectedPos < 0) return -1;
    return this.frameAt(this.selectedPos);
  }

  /** Number of rows displayed. */
  get length(): number {
    return this.rowCount;
  }

  focus(): void {
    this.viewport.focus({ preventScroll: true });
  }

  /** Select the row showing frame index `frame` (if shown). */
  selectFrame(frame: number): boolean {
    const pos = this.positionOf(frame);
    if (pos < 0) return false;
    this.selectPos(pos, true);
    return true;
  }

  /** Mark a frame (hover from the ladder) without selecting it. */
  markFrame(frame: number): void {
    this.hoverFrame = frame;
    this.render();
  }

  selectPos(pos: number, scroll: boolean): void {
    if (this.rowCount === 0) return;
    const p = Math.max(0, Math.min(this.rowCount - 1, pos));
    const changed = p !== this.selectedPos;
    this.selectedPos = p;
    if (scroll) this.scrollTo(p);
    this.render();
    if (changed) this.onSelect(this.frameAt(p));
  }

  private frameAt(pos: number): number {
    return this.rows === undefined ? pos : (this.rows[pos] as number);
  }

  private positionOf(frame: number): number {
    if (this.rows === undefined) return frame < this.rowCount ? frame : -1;
    // rows is ascending: binary search.
    let lo = 0;
    let hi = this.rows.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.rows[mid] as number;
      if (v === frame) return mid;
      if (v < frame) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  private get visibleRows(): number {
    return Math.max(1, Math.ceil(this.viewport.clientHeight / ROW_HEIGHT));
  }

  private get scaled(): boolean {
    return this.rowCount * ROW_HEIGHT > MAX_SCROLL;
  }

  private layout(): void {
    this.spacer.style.height = `${Math.min(this.rowCount * ROW_HEIGHT, MAX_SCROLL)}px`;
    this.render();
  }

  /** First row on screen and the layer's top, for the current scroll position. */
  private window(): { first: number; top: number } {
    const st = this.viewport.scrollTop;
    if (!this.scaled) {
      const first = Math.floor(st / ROW_HEIGHT);
      return { first, top: first * ROW_HEIGHT };
    }
    const range = Math.max(1, MAX_SCROLL - this.viewport.clientHeight);
    const full = Math.max(0, this.rowCount - Math.floor(this.viewport.clientHeight / ROW_HEIGHT));
    return { first: Math.round((Math.min(st, range) / range) * full), top: st };
  }

  private scrollTo(pos: number): void {
    const vh = this.viewport.clientHeight;
    if (!this.scaled) {
      const top = pos * ROW_HEIGHT;
      if (top < this.viewport.scrollTop) this.viewport.scrollTop = top;
      else if (top + ROW_HEIGHT > this.viewport.scrollTop + vh) this.viewport.scrollTop = top + ROW_HEIGHT - vh;
      return;
    }
    const { first } = this.window();
    const vis = Math.floor(vh / ROW_HEIGHT);
    if (pos >= first && pos < first + vis) return;
    const full = Math.max(1, this.rowCount - vis);
    const want = pos < first ? pos : pos - vis + 1;
    this.viewport.scrollTop = (Math.max(0, want) / full) * Math.max(1, MAX_SCROLL - vh);
  }

  private row(k: number): HTMLElement {
    let el = this.pool[k];
    if (el === undefined) {
      el = h('div', { class: 'frow', attrs: { role: 'row' } }, ...this.columns.map((c) => h('span', { class: `c-${c}` })));
      this.pool[k] = el;
      this.layer.append(el);
    }
    return el;
  }

  render(): void {
    const src = this.source;
    const { first, top } = this.window();
    const n = src === undefined ? 0 : Math.max(0, Math.min(this.visibleRows + 1, this.rowCount - first));
    this.layer.style.transform = `translateY(${top}px)`;
    for (let k = 0; k < n; k++) {
      const pos = first + k;
      const frame = this.frameAt(pos);
      const t = this.cache.get(frame, () => rowText((src as FrameSource).record(frame), (src as FrameSource).origin));
      const el = this.row(k);
      el.hidden = false;
      el.dataset.pos = String(pos);
      el.className = `frow t-${t.tone}${pos === this.selectedPos ? ' sel' : ''}${frame === this.hoverFrame ? ' mark' : ''}`;
      el.setAttribute('aria-selected', pos === this.selectedPos ? 'true' : 'false');
      this.columns.forEach((c, i) => {
        const cell = el.children[i] as HTMLElement;
        const v = c === 'info' && this.columns === COMPACT && t.src !== '' ? `${t.src} → ${t.dst} ${t.info}` : t[c];
        if (cell.textContent !== v) cell.textContent = v;
        if (c === 'info') cell.title = v.length > 50 ? v : '';
      });
    }
    for (let k = n; k < this.pool.length; k++) (this.pool[k] as HTMLElement).hidden = true;
  }

  private key(e: KeyboardEvent): void {
    const page = Math.max(1, this.visibleRows - 1);
    let pos: number;
    switch (e.key) {
      case 'ArrowDown':
        pos = this.selectedPos + 1;
        break;
      case 'ArrowUp':
        pos = this.selectedPos < 0 ? 0 : this.selectedPos - 1;
        break;
      case 'PageDown':
        pos = this.selectedPos + page;
        break;
      case 'PageUp':
        pos = this.selectedPos - page;
        break;
      case 'Home':
        pos = 0;
        break;
      case 'End':
        pos = this.rowCount - 1;
        break;
      default:
        return;
    }
    e.preventDefault();
    this.selectPos(pos, true);
  }
}
