/**
 * The simulator's live ladder diagram as SVG: the two hosts as vertical lines, one arrow per
 * segment, sloping down from sender to receiver, labelled in the lecture's notation (`ACK, ack=67, SYN, seq=1112`); the
 * time on the left, each side's TCP state where it changes, lost segments stopping mid-way with a
 * cross. Hover an arrow to highlight it; click to select it. Rows are appended one by one as the
 * simulation runs, and `setTime` moves a dot along the arrows of segments still in flight. (The
 * connections view draws captured connections with the analyzer's ladder model and SVG instead:
 * conn-ladder.ts. This one stays for the simulator because it grows row by row while the
 * simulation runs and animates segments in flight; the shared SVG is one document rendered from a
 * finished model.)
 *
 * Invariant: the SVG holds one group per row and nothing per frame of animation; labels are text
 * nodes (never markup), so no content from a capture is ever interpreted.
 */
import { svg } from './dom.js';

export type LadderKind = 'syn' | 'fin' | 'rst' | 'data' | 'ack' | 'other';

export interface LadderRow {
  readonly fromLeft: boolean;
  readonly label: string;
  /** Left column text (time). */
  readonly time: string;
  /** Send and arrival times (ms, the same clock as setTime) for the in-flight dot. */
  readonly sentAt?: number;
  readonly arriveAt?: number;
  /** States shown beside each host line (only drawn when they change). */
  readonly leftState?: string;
  readonly rightState?: string;
  /** The segment never arrived. */
  readonly lost?: boolean;
  /** A short note after the label ("retransmission", "duplicated"). */
  readonly note?: string;
  readonly kind: LadderKind;
  /** A caption drawn as a rule above this row (a phase of the exchange). */
  readonly caption?: string;
}

export interface LadderHost {
  readonly name: string;
  readonly label: string;
}

const HEAD = 54;
const ROW = 38;
const CAPTION = 22;
const X_LEFT = 176;
const DROP = 14;

export function ladderKind(flags: number, payload: number): LadderKind {
  if (flags & 0x004) return 'rst';
  if (flags & 0x002) return 'syn';
  if (flags & 0x001) return 'fin';
  if (payload > 0) return 'data';
  if (flags & 0x010) return 'ack';
  return 'other';
}

interface Drawn {
  readonly g: SVGGElement;
  readonly row: LadderRow;
  readonly x1: number;
  readonly x2: number;
  readonly y1: number;
  readonly dot: SVGCircleElement;
}

export class Ladder {
  readonly el: HTMLElement;
  private readonly root: SVGSVGElement;
  private readonly lines: SVGGElement;
  private readonly body: SVGGElement;
  private readonly head: SVGGElement;
  private readonly headSvg: SVGSVGElement;
  private rows: Drawn[] = [];
  private y = HEAD;
  private lastLeft = '';
  private lastRight = '';
  private hovered = -1;
  private selected = -1;
  private inFlight = new Set<number>();
  onClick: (i: number) => void = () => undefined;

  /** Width of the drawing, and the x of the right host's line. */
  private readonly w: number;
  private readonly xRight: number;

  constructor(
    private left: LadderHost,
    private right: LadderHost,
    width = 640,
  ) {
    this.w = width;
    this.xRight = width - 150;
    const W = width;
    this.root = svg('svg', { class: 'ladder-svg', width: W, height: HEAD + 20, viewBox: `0 0 ${W} ${HEAD + 20}`, role: 'img' });
    const defs = svg('defs');
    for (const [id, cls] of [
      ['ah-a', 'a'],
      ['ah-b', 'b'],
      ['ah-hot', 'hot'],
    ] as const) {
      defs.append(svg('marker', { id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 10, markerHeight: 10, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse', class: `mk mk-${cls}` }, svg('path', { d: 'M0,0 L10,5 L0,10 z' })));
    }
    this.head = svg('g', { class: 'l-head' });
    this.lines = svg('g', { class: 'l-lines' });
    this.body = svg('g', { class: 'l-body' });
    this.root.append(defs, this.lines, this.body);
    // The host names stay on screen: a sticky SVG over the top of the scrolling one.
    this.headSvg = svg('svg', { class: 'ladder-head', width: W, height: HEAD - 6, viewBox: `0 0 ${W} ${HEAD - 6}` }, this.head);
    this.el = document.createElement('div');
    this.el.className = 'ladder';
    this.el.append(this.headSvg, this.root);
    this.body.addEventListener('mouseover', (e) => {
      const i = this.indexOf(e.target);
      if (i !== undefined && i !== this.hovered) {
        this.hover(i);
      }
    });
    this.body.addEventListener('mouseleave', () => {
      this.hover(-1);
    });
    this.body.addEventListener('click', (e) => {
      const i = this.indexOf(e.target);
      if (i !== undefined) this.onClick(i);
    });
    this.drawHead();
  }

  private indexOf(t: EventTarget | null): number | undefined {
    const g = (t as Element | null)?.closest?.('g.l-row');
    if (g === null || g === undefined) return undefined;
    const i = Number(g.getAttribute('data-i'));
    return Number.isInteger(i) ? i : undefined;
  }

  setHosts(left: LadderHost, right: LadderHost): void {
    this.left = left;
    this.right = right;
    this.drawHead();
  }

  private drawHead(): void {
    const W = this.w;
    const X_RIGHT = this.xRight;
    const host = (x: number, h: LadderHost, cls: string): SVGGElement =>
      svg('g', { class: `l-host ${cls}` }, svg('text', { x, y: 20, 'text-anchor': 'middle', class: 'l-name' }, h.name), svg('text', { x, y: 37, 'text-anchor': 'middle', class: 'l-addr' }, h.label));
    this.head.replaceChildren(svg('rect', { x: 0, y: 0, width: W, height: HEAD - 6, class: 'l-headbg' }), host(X_LEFT, this.left, 'a'), host(X_RIGHT, this.right, 'b'));
    this.resize();
  }

  private resize(): void {
    const W = this.w;
    const X_RIGHT = this.xRight;
    const h = this.y + 24;
    this.root.setAttribute('height', String(h));
    this.root.setAttribute('viewBox', `0 0 ${W} ${h}`);
    this.lines.replaceChildren(
      svg('line', { x1: X_LEFT, y1: HEAD - 6, x2: X_LEFT, y2: h - 4, class: 'l-life a' }),
      svg('line', { x1: X_RIGHT, y1: HEAD - 6, x2: X_RIGHT, y2: h - 4, class: 'l-life b' }),
    );
  }

  clear(): void {
    this.rows = [];
    this.body.replaceChildren();
    this.y = HEAD;
    this.lastLeft = '';
    this.lastRight = '';
    this.hovered = -1;
    this.selected = -1;
    this.inFlight.clear();
    this.resize();
  }

  append(row: LadderRow, scroll = true): void {
    const W = this.w;
    const X_RIGHT = this.xRight;
    const i = this.rows.length;
    if (row.caption !== undefined) {
      this.body.append(
        svg('g', { class: 'l-caption' }, svg('line', { x1: 8, y1: this.y + 12, x2: W - 8, y2: this.y + 12 }), svg('text', { x: W / 2, y: this.y + 8, 'text-anchor': 'middle' }, row.caption)),
      );
      this.y += CAPTION;
    }
    const top = this.y;
    const y1 = top + 22;
    const x1 = row.fromLeft ? X_LEFT : X_RIGHT;
    const x2full = row.fromLeft ? X_RIGHT : X_LEFT;
    const x2 = row.lost ? x1 + (x2full - x1) * 0.62 : x2full;
    const y2 = y1 + DROP * (row.lost ? 0.62 : 1);
    const side = row.fromLeft ? 'a' : 'b';
    const g = svg('g', { class: `l-row k-${row.kind} ${side}${row.lost ? ' lost' : ''}`, 'data-i': i });
    g.append(svg('rect', { x: 0, y: top, width: W, height: ROW, class: 'l-hit' }));
    g.append(svg('text', { x: 8, y: y1 + 4, class: 'l-time' }, row.time));
    const arrow = svg('line', { x1, y1, x2, y2, class: 'l-arrow' });
    if (!row.lost) arrow.setAttribute('marker-end', `url(#ah-${side})`);
    g.append(arrow);
    if (row.lost) {
      g.append(svg('path', { d: `M${x2 - 5},${y2 - 5} l10,10 M${x2 + 5},${y2 - 5} l-10,10`, class: 'l-cross' }));
    }
    const mid = (X_LEFT + X_RIGHT) / 2;
    const label = svg('text', { x: mid, y: top + 15, 'text-anchor': 'middle', class: 'l-label' }, row.label);
    if (row.note !== undefined) label.append(svg('tspan', { class: 'l-note' }, `  ${row.note}`));
    g.append(label);
    // Both states are as they were when the segment was sent: drawn level with its start.
    const states = (text: string, x: number, anchor: string, cls: string): void => {
      g.append(svg('text', { x, y: y1 + 4, 'text-anchor': anchor, class: `l-state ${cls}` }, text));
    };
    if (row.leftState !== undefined && row.leftState !== this.lastLeft) {
      states(row.leftState, X_LEFT - 8, 'end', 'a');
      this.lastLeft = row.leftState;
    }
    if (row.rightState !== undefined && row.rightState !== this.lastRight) {
      states(row.rightState, X_RIGHT + 8, 'start', 'b');
      this.lastRight = row.rightState;
    }
    const dot = svg('circle', { cx: x1, cy: y1, r: 4.5, class: 'l-dot' });
    dot.style.display = 'none';
    g.append(dot);
    this.body.append(g);
    this.rows.push({ g, row, x1, x2, y1, dot });
    if (row.sentAt !== undefined && row.arriveAt !== undefined && !row.lost) this.inFlight.add(i);
    this.y += ROW;
    this.resize();
    if (scroll) this.el.scrollTop = this.el.scrollHeight;
  }

  /** Move the in-flight dots to virtual time `ms`. */
  setTime(ms: number): void {
    for (const i of [...this.inFlight]) {
      const d = this.rows[i];
      if (d === undefined) continue;
      const { sentAt, arriveAt } = d.row;
      if (sentAt === undefined || arriveAt === undefined) continue;
      const f = arriveAt <= sentAt ? 1 : (ms - sentAt) / (arriveAt - sentAt);
      if (f >= 1) {
        d.dot.style.display = 'none';
        this.inFlight.delete(i);
        continue;
      }
      d.dot.style.display = '';
      const t = Math.max(0, f);
      d.dot.setAttribute('cx', String(d.x1 + (d.x2 - d.x1) * t));
      d.dot.setAttribute('cy', String(d.y1 + DROP * t));
    }
  }

  hover(i: number): void {
    if (this.hovered >= 0) this.rows[this.hovered]?.g.classList.remove('hot');
    this.hovered = i;
    if (i >= 0) this.rows[i]?.g.classList.add('hot');
  }

  select(i: number, scroll = true): void {
    if (this.selected >= 0) this.rows[this.selected]?.g.classList.remove('sel');
    this.selected = i;
    const d = this.rows[i];
    if (d === undefined) return;
    d.g.classList.add('sel');
    if (scroll) {
      const top = d.y1 - 40;
      if (top < this.el.scrollTop + HEAD || top + 60 > this.el.scrollTop + this.el.clientHeight) this.el.scrollTop = Math.max(0, top - this.el.clientHeight / 3);
    }
  }
}
