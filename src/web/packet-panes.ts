/**
 * The two lower panes of the viewer: the field tree of the selected frame (the library's
 * fieldTree, the same tree `synack decode -V` prints) and its hex dump. Selecting a field
 * highlights its bytes; clicking a byte selects the smallest field that covers it. Which subtrees
 * are collapsed is remembered by label path across frames, as analyzers do.
 *
 * Invariant: every highlight lies inside the frame's bytes (fieldTree guarantees the ranges).
 */
import type { CaptureRecord } from '../capture/index.js';
import { dissect, type Dissection } from '../analyze/dissect.js';
import { fieldTree, type FieldNode, type TreeLayer } from '../analyze/fieldtree.js';
import { h } from './dom.js';

/** A node of the displayed tree: a layer (its title) or a field. */
interface Item {
  readonly id: number;
  readonly key: string;
  readonly label: string;
  readonly value: string;
  readonly offset: number;
  readonly length: number;
  readonly depth: number;
  readonly status: FieldNode['status'] | undefined;
  readonly layer: string;
  readonly children: Item[];
  parent: Item | undefined;
  el?: HTMLElement;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, '0'));
/** Frames longer than this show their first MAX_HEX bytes in the hex pane. */
const MAX_HEX = 65536;

export class TreePane {
  readonly el: HTMLElement;
  private items: Item[] = [];
  private selected: Item | undefined;
  private readonly collapsed = new Set<string>();

  /** Start with these subtrees (keys: layer prefixes like 'FRAME', 'IP') closed. */
  collapse(keys: readonly string[]): void {
    for (const k of keys) this.collapsed.add(k);
  }
  onSelect: (range: { offset: number; length: number } | undefined) => void = () => undefined;

  constructor() {
    this.el = h('div', { class: 'tree', attrs: { tabindex: 0, role: 'tree', 'aria-label': 'fields' } });
    this.el.addEventListener('click', (e) => {
      const t = e.target as HTMLElement;
      const row = t.closest<HTMLElement>('.tnode');
      if (row === null) return;
      const item = this.items[Number(row.dataset.id)];
      if (item === undefined) return;
      if (t.classList.contains('twisty')) this.toggle(item);
      else this.select(item, false);
    });
    this.el.addEventListener('dblclick', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('.tnode');
      const item = row === null ? undefined : this.items[Number(row.dataset.id)];
      if (item !== undefined && item.children.length > 0) this.toggle(item);
    });
    this.el.addEventListener('keydown', (e) => this.key(e));
  }

  clear(message = ''): void {
    this.items = [];
    this.selected = undefined;
    this.el.replaceChildren(message === '' ? '' : h('div', { class: 'empty-note', text: message }));
  }

  show(layers: readonly TreeLayer[]): void {
    const prevKey = this.selected?.key;
    this.items = [];
    this.selected = undefined;
    const frag = document.createDocumentFragment();
    const add = (
      n: { label: string; value: string; offset: number; length: number; status?: FieldNode['status']; badge?: string },
      layer: string,
      depth: number,
      parent: Item | undefined,
      path: string,
      kids: readonly FieldNode[],
    ): Item => {
      // Same labels under one parent (option kinds) are told apart by their position.
      const item: Item = {
        id: this.items.length,
        key: path,
        label: n.label,
        value: n.value,
        offset: n.offset,
        length: n.length,
        depth,
        status: n.status,
        layer,
        children: [],
        parent,
      };
      this.items.push(item);
      const twisty = h('span', { class: 'twisty', text: kids.length > 0 ? '' : ' ' });
      const text = h('span', { class: 'tlabel' }, n.badge !== undefined ? h('span', { class: `badge L-${layer}`, text: n.badge }) : null, h('span', { class: 'tname', text: n.label }), n.value !== '' ? h('span', { class: 'tval', text: ` = ${n.value}` }) : null);
      const el = h(
        'div',
        {
          class: `tnode d${Math.min(depth, 6)}${n.status !== undefined ? ` st-${n.status}` : ''}${kids.length > 0 ? ' parent' : ''}`,
          attrs: { 'data-id': item.id, role: 'treeitem', 'data-layer': layer },
        },
        twisty,
        text,
      );
      el.style.paddingLeft = `${4 + depth * 16}px`;
      item.el = el;
      frag.append(el);
      kids.forEach((c, i) => item.children.push(add(c, layer, depth + 1, item, `${path}/${c.label}#${i}`, c.children ?? [])));
      return item;
    };
    for (const l of layers) {
      add({ label: l.title, value: '', offset: l.offset, length: l.length, badge: l.prefix }, l.layer, 0, undefined, l.prefix, l.fields);
    }
    this.el.replaceChildren(frag);
    for (const it of this.items) this.applyCollapsed(it);
    const again = prevKey === undefined ? undefined : this.items.find((i) => i.key === prevKey);
    if (again !== undefined) this.select(again, true);
    else this.onSelect(undefined);
  }

  private applyCollapsed(item: Item): void {
    const hidden = (i: Item): boolean => {
      for (let p = i.parent; p !== undefined; p = p.parent) if (this.collapsed.has(p.key)) return true;
      return false;
    };
    if (item.el !== undefined) {
      item.el.hidden = hidden(item);
      if (item.children.length > 0) {
        const open = !this.collapsed.has(item.key);
        item.el.classList.toggle('open', open);
        item.el.setAttribute('aria-expanded', String(open));
      }
    }
  }

  private toggle(item: Item): void {
    if (this.collapsed.has(item.key)) this.collapsed.delete(item.key);
    else this.collapsed.add(item.key);
    for (const it of this.items) this.applyCollapsed(it);
  }

  select(item: Item, scroll: boolean): void {
    this.selected?.el?.classList.remove('sel');
    this.selected = item;
    // Open the way to it.
    let changed = false;
    for (let p = item.parent; p !== undefined; p = p.parent) changed = this.collapsed.delete(p.key) || changed;
    if (changed) for (const it of this.items) this.applyCollapsed(it);
    item.el?.classList.add('sel');
    if (scroll) item.el?.scrollIntoView({ block: 'nearest' });
    this.onSelect(item.length > 0 ? { offset: item.offset, length: item.length } : undefined);
  }

  /** Select the smallest field covering byte `offset` (the deepest one on ties). */
  selectByte(offset: number): void {
    let best: Item | undefined;
    for (const it of this.items) {
      if (it.length <= 0 || offset < it.offset || offset >= it.offset + it.length) continue;
      if (best === undefined || it.length < best.length || (it.length === best.length && it.depth > best.depth)) best = it;
    }
    if (best !== undefined) this.select(best, true);
  }

  /** The label of the smallest field covering `offset` (for the hex pane's hover line). */
  fieldAt(offset: number): string | undefined {
    let best: Item | undefined;
    for (const it of this.items) {
      if (it.length <= 0 || offset < it.offset || offset >= it.offset + it.length) continue;
      if (best === undefined || it.length < best.length || (it.length === best.length && it.depth > best.depth)) best = it;
    }
    return best?.label;
  }

  private key(e: KeyboardEvent): void {
    const visible = this.items.filter((i) => i.el !== undefined && !i.el.hidden);
    const at = this.selected === undefined ? -1 : visible.indexOf(this.selected);
    const go = (i: number): void => {
      const it = visible[Math.max(0, Math.min(visible.length - 1, i))];
      if (it !== undefined) this.select(it, true);
    };
    const cur = this.selected;
    switch (e.key) {
      case 'ArrowDown':
        go(at + 1);
        break;
      case 'ArrowUp':
        go(at - 1);
        break;
      case 'ArrowRight':
        if (cur !== undefined && cur.children.length > 0 && this.collapsed.has(cur.key)) this.toggle(cur);
        else go(at + 1);
        break;
      case 'ArrowLeft':
        if (cur !== undefined && cur.children.length > 0 && !this.collapsed.has(cur.key)) this.toggle(cur);
        else if (cur?.parent !== undefined) this.select(cur.parent, true);
        break;
      default:
        return;
    }
    e.preventDefault();
  }
}

export class HexPane {
  readonly el: HTMLElement;
  private readonly body: HTMLElement;
  private readonly status: HTMLElement;
  private hexEls: HTMLElement[] = [];
  private ascEls: HTMLElement[] = [];
  private lit: [number, number] = [0, 0];
  onByte: (offset: number) => void = () => undefined;
  describe: (offset: number) => string | undefined = () => undefined;

  /** `width`: bytes per line (16, or 8 for narrow panes). */
  constructor(private readonly width = 16) {
    this.body = h('div', { class: 'hex-body' });
    this.status = h('div', { class: 'hex-status', text: ' ' });
    this.el = h('div', { class: 'hex', attrs: { 'aria-label': 'bytes' } }, this.body, this.status);
    this.body.addEventListener('click', (e) => {
      const o = (e.target as HTMLElement).dataset.o;
      if (o !== undefined) this.onByte(Number(o));
    });
    this.body.addEventListener('mouseover', (e) => {
      const o = (e.target as HTMLElement).dataset.o;
      if (o === undefined) return;
      const n = Number(o);
      const field = this.describe(n);
      this.status.textContent = `byte 0x${n.toString(16).toUpperCase().padStart(4, '0')} (${n})${field !== undefined ? ` · ${field}` : ''}`;
    });
  }

  clear(): void {
    this.hexEls = [];
    this.ascEls = [];
    this.lit = [0, 0];
    this.body.replaceChildren();
    this.status.textContent = ' ';
  }

  /** Show `data`; bytes are tinted by the layer (`spans`) they belong to. */
  show(data: Uint8Array, spans: Dissection['spans']): void {
    this.clear();
    const n = Math.min(data.length, MAX_HEX);
    const layerOf = new Array<string>(n).fill('');
    for (const s of spans) for (let i = s.offset; i < Math.min(n, s.offset + s.length); i++) layerOf[i] = s.layer;
    const frag = document.createDocumentFragment();
    const w = this.width;
    for (let off = 0; off < n; off += w) {
      const hexCol = h('span', { class: 'hx' });
      const ascCol = h('span', { class: 'as' });
      for (let i = off; i < Math.min(off + w, n); i++) {
        const b = data[i] as number;
        const cls = layerOf[i] !== '' ? `L-${layerOf[i] ?? ''}` : '';
        const x = h('span', { class: cls, text: HEX[b] ?? '', attrs: { 'data-o': i } });
        const a = h('span', { class: cls, text: b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.', attrs: { 'data-o': i } });
        this.hexEls.push(x);
        this.ascEls.push(a);
        hexCol.append(x);
        ascCol.append(a);
      }
      frag.append(h('div', { class: 'hline' }, h('span', { class: 'ho', text: off.toString(16).toUpperCase().padStart(5, '0') }), hexCol, ascCol));
    }
    if (data.length > n) frag.append(h('div', { class: 'empty-note', text: `... ${data.length - n} more bytes not shown` }));
    this.body.replaceChildren(frag);
  }

  highlight(range: { offset: number; length: number } | undefined): void {
    const [a, len] = this.lit;
    for (let i = a; i < a + len; i++) {
      this.hexEls[i]?.classList.remove('hl');
      this.ascEls[i]?.classList.remove('hl');
    }
    if (range === undefined) {
      this.lit = [0, 0];
      return;
    }
    const end = Math.min(range.offset + range.length, this.hexEls.length);
    for (let i = range.offset; i < end; i++) {
      this.hexEls[i]?.classList.add('hl');
      this.ascEls[i]?.classList.add('hl');
    }
    this.lit = [range.offset, Math.max(0, end - range.offset)];
    this.hexEls[range.offset]?.scrollIntoView({ block: 'nearest' });
  }
}

/** Tree + hex of one frame, wired together. */
export class PacketPanes {
  readonly tree = new TreePane();
  readonly hex: HexPane;
  dissection: Dissection | undefined;

  constructor(hexWidth = 16) {
    this.hex = new HexPane(hexWidth);
    this.tree.onSelect = (r) => this.hex.highlight(r);
    this.hex.onByte = (o) => this.tree.selectByte(o);
    this.hex.describe = (o) => this.tree.fieldAt(o);
  }

  show(r: CaptureRecord | undefined): void {
    if (r === undefined) {
      this.dissection = undefined;
      this.tree.clear('Select a frame to see its fields and bytes.');
      this.hex.clear();
      return;
    }
    const d = dissect(r);
    this.dissection = d;
    this.hex.show(d.data, d.spans);
    this.tree.show(fieldTree(d));
  }
}
