/**
 * The connections view's ladder: the analyzer's own diagram (ladderFromConnection's model drawn by
 * renderLadderSvg, the SVG `synack ladder --svg` writes), made interactive. Each segment of that
 * SVG is a `g.segment[data-frame]`; hovering one reports its frame (onHover), clicking reports it
 * (onClick), and `select(frame)` marks one and scrolls it into view. Colours follow the page's
 * theme through the stylesheet (CSS outranks the SVG's presentation attributes).
 *
 * The words are in the model's language (ladderFromConnection's `lang`): the connections view
 * builds a new model when its language switch changes and hands it to `relabel`, which redraws in
 * place, keeping the selected segment and the scroll position.
 *
 * Invariant: the SVG is the renderer's output unchanged (it escapes every text, so nothing from a
 * capture is interpreted as markup); this wrapper only adds classes (`hot`, `sel`) to segments.
 * It is redrawn when the pane's width changes by more than RESIZE_STEP pixels or the language
 * changes, never per event.
 */
import { ladderText } from '../analyze/i18n/ladder.js';
import type { LadderModel } from '../analyze/ladder.js';
import { renderLadderSvg } from '../analyze/ladder-svg.js';

const MIN_WIDTH = 480;
const DEFAULT_WIDTH = 820;
const RESIZE_STEP = 40;

export class ConnLadder {
  readonly el: HTMLElement;
  private model: LadderModel | undefined;
  private width = 0;
  private hovered: Element | undefined;
  private selected = -1;
  /** Frame number hovered (-1 when the pointer leaves the diagram). */
  onHover: (frame: number) => void = () => undefined;
  onClick: (frame: number) => void = () => undefined;

  constructor() {
    this.el = document.createElement('div');
    this.el.className = 'cladder';
    this.el.addEventListener('mouseover', (e) => {
      const g = segmentOf(e.target);
      if (g === undefined || g === this.hovered) return;
      this.hovered?.classList.remove('hot');
      this.hovered = g;
      g.classList.add('hot');
      this.onHover(Number(g.getAttribute('data-frame')));
    });
    this.el.addEventListener('mouseleave', () => {
      this.hovered?.classList.remove('hot');
      this.hovered = undefined;
      this.onHover(-1);
    });
    this.el.addEventListener('click', (e) => {
      const g = segmentOf(e.target);
      if (g !== undefined) this.onClick(Number(g.getAttribute('data-frame')));
    });
    new ResizeObserver(() => {
      if (this.model !== undefined && Math.abs(this.fitWidth() - this.width) > RESIZE_STEP) this.draw();
    }).observe(this.el);
  }

  /** Draw a model (undefined clears the diagram). */
  show(model: LadderModel | undefined): void {
    this.model = model;
    this.selected = -1;
    this.draw();
    this.el.scrollTop = 0;
  }

  /**
   * The same diagram with other words (a model of the same connection in another language):
   * redrawn where it was, the selected segment kept.
   */
  relabel(model: LadderModel): void {
    const scroll = this.el.scrollTop;
    this.model = model;
    this.draw();
    this.el.scrollTop = scroll;
  }

  private fitWidth(): number {
    const w = this.el.clientWidth;
    return w > 0 ? Math.max(MIN_WIDTH, w - 2) : DEFAULT_WIDTH;
  }

  private draw(): void {
    this.hovered = undefined;
    if (this.model === undefined) {
      this.el.replaceChildren();
      return;
    }
    this.width = this.fitWidth();
    const lang = this.model.lang ?? 'en';
    this.el.setAttribute('lang', lang);
    const text = renderLadderSvg([this.model], { width: this.width });
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    const root = doc.documentElement;
    if (root.localName !== 'svg') {
      // The renderer promises well-formed XML; say so plainly if it ever is not.
      this.el.replaceChildren(Object.assign(document.createElement('p'), { className: 'muted', textContent: ladderText(lang, 'ui.drawFailed', {}) }));
      return;
    }
    this.el.replaceChildren(document.importNode(root, true));
    if (this.selected >= 0) this.select(this.selected, false);
  }

  /** Mark the segment of `frame` (a frame number; -1 clears) and scroll it into view. */
  select(frame: number, scroll = true): void {
    this.el.querySelector('g.segment.sel')?.classList.remove('sel');
    this.selected = frame;
    if (frame < 0) return;
    const g = this.el.querySelector(`g.segment[data-frame="${frame}"]`);
    if (g === null) return;
    g.classList.add('sel');
    if (!scroll) return;
    const box = g.getBoundingClientRect();
    const pane = this.el.getBoundingClientRect();
    if (box.top < pane.top || box.bottom > pane.bottom) this.el.scrollTop += box.top - pane.top - this.el.clientHeight / 3;
  }
}

function segmentOf(t: EventTarget | null): Element | undefined {
  const g = t instanceof Element ? t.closest('g.segment') : null;
  return g ?? undefined;
}
