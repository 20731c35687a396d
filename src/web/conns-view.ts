/** Placeholder, replaced below. */
import { h } from './dom.js';
import type { CaptureView } from './capture-view.js';
export class ConnsView {
  readonly el: HTMLElement;
  constructor(_capture: CaptureView, _open: (frame: number) => void) {
    this.el = h('section', { class: 'view', text: 'Connections' });
  }
}
