/** Placeholder, replaced below. */
import { h } from './dom.js';
export class SimView {
  readonly el: HTMLElement = h('section', { class: 'view', text: 'Simulator' });
}
