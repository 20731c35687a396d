/**
 * A drag handle between two panes of a flex container: dragging sets the first pane's size (in
 * pixels, clamped so both panes keep a minimum). Keyboard: arrows move it by 16 px.
 */
import { h } from './dom.js';

export function splitter(first: HTMLElement, direction: 'row' | 'column', min = 80): HTMLElement {
  const el = h('div', {
    class: `splitter ${direction === 'row' ? 'split-v' : 'split-h'}`,
    attrs: { role: 'separator', tabindex: 0, 'aria-orientation': direction === 'row' ? 'vertical' : 'horizontal' },
  });
  const size = (): number => (direction === 'row' ? first.getBoundingClientRect().width : first.getBoundingClientRect().height);
  const total = (): number => {
    const p = first.parentElement?.getBoundingClientRect();
    return p === undefined ? 0 : direction === 'row' ? p.width : p.height;
  };
  const set = (px: number): void => {
    const clamped = Math.max(min, Math.min(total() - min - 6, px));
    first.style.flex = `0 0 ${clamped}px`;
  };
  el.addEventListener('pointerdown', (e) => {
    e.preventDefault();
    el.setPointerCapture(e.pointerId);
    const start = direction === 'row' ? e.clientX : e.clientY;
    const base = size();
    const move = (m: PointerEvent): void => set(base + (direction === 'row' ? m.clientX : m.clientY) - start);
    const up = (): void => {
      el.removeEventListener('pointermove', move);
      el.removeEventListener('pointerup', up);
    };
    el.addEventListener('pointermove', move);
    el.addEventListener('pointerup', up);
  });
  el.addEventListener('keydown', (e) => {
    const back = direction === 'row' ? 'ArrowLeft' : 'ArrowUp';
    const fwd = direction === 'row' ? 'ArrowRight' : 'ArrowDown';
    if (e.key !== back && e.key !== fwd) return;
    e.preventDefault();
    set(size() + (e.key === fwd ? 16 : -16));
  });
  return el;
}
