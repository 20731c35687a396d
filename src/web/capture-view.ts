/**
 * The capture viewer: open a pcap/pcapng (file picker, drag and drop, or a URL the `synack ui`
 * server hands over), then three panes: the frame list, the field tree and the hex dump; a display
 * filter box above them, a status line below. Everything is parsed here in the page by the library
 * (src/capture, src/analyze); nothing is uploaded anywhere.
 *
 * Invariant: whatever the bytes, the view ends in one of three states: a clear message (not a
 * capture: the CaptureError's message), the frames with a warning (damaged after frame N), or the
 * frames.
 */
import { CaptureIndex } from './frames.js';
import { compileFilter, FilterError, filterError, type CompiledFilter } from '../analyze/filter.js';
import { h } from './dom.js';
import { FrameList } from './frame-list.js';
import { analyzeConnections, runFilter, type ConnAnalysis, type JobToken } from './jobs.js';
import { PacketPanes } from './packet-panes.js';
import { guessFileType } from './sniff.js';
import { splitter } from './splitter.js';

/** Largest file the page reads (browsers refuse ArrayBuffers much above 2 GiB anyway). */
const MAX_FILE = 2 ** 31 - 1;

const EXAMPLES = ['tcp.port == 139', 'tcp.flags.syn == 1', 'ip.addr == 131.107.2.214', 'tcp && !(tcp.len == 0)', 'conn == 0'];

export class CaptureView {
  readonly el: HTMLElement;
  readonly list = new FrameList();
  readonly panes = new PacketPanes();
  private readonly filterInput: HTMLInputElement;
  private readonly filterMsg: HTMLElement;
  private readonly banner: HTMLElement;
  private readonly status: HTMLElement;
  private readonly work: HTMLElement;
  private readonly welcome: HTMLElement;
  private readonly main: HTMLElement;
  index: CaptureIndex | undefined;
  private analysis: ConnAnalysis | undefined;
  private analysisJob: Promise<ConnAnalysis | undefined> | undefined;
  private job: JobToken | undefined;
  private displayed = 0;
  private filterMs = 0;
  private loadMs = 0;
  /** Listeners told when a new capture is loaded (the connections view resets). */
  readonly onLoad: (() => void)[] = [];

  constructor(private readonly openPicker: () => void) {
    this.filterInput = h('input', {
      class: 'filter-input',
      attrs: { type: 'text', spellcheck: 'false', autocomplete: 'off', placeholder: 'Display filter: tcp.port == 139 && tcp.flags.syn == 1', 'aria-label': 'display filter', list: 'filter-examples' },
    });
    const examples = h('datalist', { attrs: { id: 'filter-examples' } }, ...EXAMPLES.map((e) => h('option', { attrs: { value: e } })));
    this.filterMsg = h('div', { class: 'filter-msg', attrs: { role: 'alert', 'aria-live': 'polite' } });
    const apply = h('button', { class: 'btn', text: 'Apply', on: { click: () => void this.applyFilter() } });
    const clear = h('button', {
      class: 'btn ghost',
      text: 'Clear',
      on: {
        click: () => {
          this.filterInput.value = '';
          void this.applyFilter();
        },
      },
    });
    this.filterInput.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') void this.applyFilter();
      if (e.key === 'Escape') {
        this.filterInput.value = '';
        void this.applyFilter();
      }
    });
    this.filterInput.addEventListener('input', () => this.checkSyntax());
    const toolbar = h('div', { class: 'toolbar' }, h('div', { class: 'filter-row' }, this.filterInput, examples, apply, clear), this.filterMsg);

    this.banner = h('div', { class: 'banner', attrs: { role: 'status' } });
    this.banner.hidden = true;
    this.status = h('div', { class: 'statusbar' });
    this.work = h('span', { class: 'work' });

    const top = h('div', { class: 'pane pane-list' }, this.list.el);
    const treeBox = h('div', { class: 'pane pane-tree' }, this.panes.tree.el);
    const hexBox = h('div', { class: 'pane pane-hex' }, this.panes.hex.el);
    const lower = h('div', { class: 'lower' }, treeBox, splitter(treeBox, 'row', 200), hexBox);
    this.main = h('div', { class: 'panes' }, top, splitter(top, 'column', 90), lower);

    this.welcome = h(
      'div',
      { class: 'welcome' },
      h(
        'div',
        { class: 'card drop-card' },
        h('div', { class: 'big-icon', text: '⇅' }),
        h('h2', { text: 'Open a capture' }),
        h('p', { text: 'Drop a pcap or pcapng file anywhere on this page, or choose one. It is read here, in your browser: nothing is uploaded.' }),
        h('div', { class: 'actions' }, h('button', { class: 'btn primary', text: 'Choose a file…', on: { click: () => this.openPicker() } }), h('button', { class: 'btn', text: 'Open the KB 172983 example', on: { click: () => void this.openUrl('samples/kb172983.pcap', 'kb172983.pcap') } })),
      ),
    );
    this.el = h('section', { class: 'view capture-view', attrs: { 'aria-label': 'capture viewer' } }, toolbar, this.banner, this.main, this.welcome, this.status);
    this.main.hidden = true;

    this.list.onSelect = (i) => this.showFrame(i);
    this.panes.show(undefined);
    this.renderStatus();
  }

  /** The connection analysis, computed on first use. */
  async connections(): Promise<ConnAnalysis | undefined> {
    if (this.analysis !== undefined) return this.analysis;
    const idx = this.index;
    if (idx === undefined) return undefined;
    if (this.analysisJob === undefined) {
      const token: JobToken = { cancelled: false };
      this.analysisJob = analyzeConnections(idx, token, (d, t) => this.setWork(`tracking connections… ${Math.floor((100 * d) / t)}%`)).then((a) => {
        if (this.index === idx && a !== undefined) this.analysis = a;
        this.setWork('');
        return a;
      });
    }
    return this.analysisJob;
  }

  private showFrame(i: number): void {
    const idx = this.index;
    this.panes.show(idx === undefined || i < 0 ? undefined : idx.record(i));
  }

  /** Read a File (picker or drop). */
  async openFile(file: File): Promise<void> {
    if (file.size > MAX_FILE) {
      this.showError(file.name, `The file is ${(file.size / 2 ** 30).toFixed(1)} GiB; the page reads captures up to 2 GiB.`);
      return;
    }
    this.setWork(`reading ${file.name}…`);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await file.arrayBuffer());
    } catch (e) {
      this.setWork('');
      this.showError(file.name, `The file could not be read: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    this.openBytes(bytes, file.name);
  }

  /** Fetch a capture from the page's own server (`synack ui FILE`) or a sample. */
  async openUrl(url: string, name: string): Promise<void> {
    this.setWork(`fetching ${name}…`);
    try {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
      this.openBytes(new Uint8Array(await res.arrayBuffer()), name);
    } catch (e) {
      this.setWork('');
      this.showError(name, `The capture could not be fetched: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  openBytes(bytes: Uint8Array, name: string): void {
    this.job = cancel(this.job);
    const t0 = performance.now();
    const idx = CaptureIndex.load(bytes, name);
    this.loadMs = performance.now() - t0;
    this.setWork('');
    this.index = idx;
    this.analysis = undefined;
    this.analysisJob = undefined;
    for (const fn of this.onLoad) fn();
    if (idx.count === 0) {
      const guess = idx.error !== undefined && idx.format === undefined ? guessFileType(bytes) : undefined;
      const title = idx.error === undefined ? 'No packets in this capture' : bytes.length === 0 ? 'Empty file' : 'Not a capture file';
      this.showError(name, idx.error?.message ?? `The ${idx.format ?? ''} file is valid but holds no packets.`, title, guess === undefined ? undefined : `This looks like ${guess}.`);
      return;
    }
    this.welcome.hidden = true;
    this.main.hidden = false;
    if (idx.error !== undefined) {
      this.banner.hidden = false;
      this.banner.className = 'banner warn';
      this.banner.textContent = `Showing the ${idx.count} frames before the damage. ${idx.error.message}`;
    } else {
      this.banner.hidden = true;
    }
    this.displayed = idx.count;
    this.list.setSource(undefined);
    this.list.setSource(idx);
    this.list.selectPos(0, true);
    this.list.focus();
    if (this.filterInput.value.trim() !== '') void this.applyFilter();
    this.renderStatus();
  }

  private showError(name: string, message: string, title = 'Not a capture file', hint?: string): void {
    this.index = undefined;
    this.list.setSource(undefined);
    this.panes.show(undefined);
    this.main.hidden = true;
    this.banner.hidden = true;
    this.welcome.hidden = false;
    this.welcome.replaceChildren(
      h(
        'div',
        { class: 'card error-card', attrs: { role: 'alert' } },
        h('div', { class: 'big-icon', text: '⚠' }),
        h('h2', { text: title }),
        h('p', { class: 'file-name', text: name }),
        h('p', { class: 'error-text', text: message }),
        hint !== undefined ? h('p', { class: 'hint', text: hint }) : null,
        h('p', { text: 'synack reads pcap (microsecond or nanosecond, either byte order) and pcapng files.' }),
        h('div', { class: 'actions' }, h('button', { class: 'btn primary', text: 'Open another file…', on: { click: () => this.openPicker() } })),
      ),
    );
    this.renderStatus(name);
  }

  private checkSyntax(): void {
    const text = this.filterInput.value;
    const err = filterError(text);
    this.filterInput.classList.toggle('invalid', err !== undefined);
    this.filterInput.classList.toggle('valid', err === undefined && text.trim() !== '');
    if (err === undefined) this.filterMsg.replaceChildren();
  }

  /** Parse, compile and run the filter in the box. */
  async applyFilter(): Promise<void> {
    const text = this.filterInput.value;
    let compiled: CompiledFilter;
    try {
      compiled = compileFilter(text);
    } catch (e) {
      if (!(e instanceof FilterError)) throw e;
      this.filterInput.classList.add('invalid');
      this.filterMsg.replaceChildren(
        h('span', { class: 'err', text: e.message }),
        h('span', { class: 'where' }, ' at column ', String(e.position + 1), ': ', h('code', {}, text.slice(0, e.position), h('mark', { text: text.slice(e.position, e.position + e.length) || ' ' }), text.slice(e.position + e.length))),
      );
      return;
    }
    this.filterMsg.replaceChildren();
    this.filterInput.classList.remove('invalid');
    this.filterInput.classList.toggle('valid', !compiled.all);
    const idx = this.index;
    if (idx === undefined) return;
    this.job = cancel(this.job);
    if (compiled.all) {
      this.displayed = idx.count;
      this.filterMs = 0;
      this.list.setSource(idx);
      this.afterFilter();
      return;
    }
    const token: JobToken = { cancelled: false };
    this.job = token;
    const t0 = performance.now();
    let connOf: Int32Array | undefined;
    if (compiled.needsConn) {
      const a = await this.connections();
      if (token.cancelled || a === undefined) return;
      connOf = a.connOf;
    }
    const rows = await runFilter(idx, compiled, connOf, token, (d, t) => this.setWork(`filtering… ${Math.floor((100 * d) / t)}%`));
    this.setWork('');
    if (rows === undefined || token.cancelled || this.index !== idx) return;
    this.filterMs = performance.now() - t0;
    this.displayed = rows.length;
    this.list.setSource(idx, rows);
    this.afterFilter();
  }

  /** Apply `text` as the filter (the connections view's "show frames"). */
  async setFilter(text: string): Promise<void> {
    this.filterInput.value = text;
    this.checkSyntax();
    await this.applyFilter();
  }

  private afterFilter(): void {
    if (this.list.selectedFrame < 0) {
      if (this.list.length > 0) this.list.selectPos(0, true);
      else this.panes.show(undefined);
    }
    this.renderStatus();
  }

  private setWork(text: string): void {
    this.work.textContent = text;
    this.work.hidden = text === '';
  }

  private renderStatus(name?: string): void {
    const idx = this.index;
    const parts: (string | Node)[] = [];
    if (idx === undefined) {
      parts.push(name ?? 'No capture open');
    } else {
      const mb = idx.bytes.length / 1e6;
      parts.push(h('b', { text: idx.name }), ` · ${idx.format ?? ''} · ${mb >= 1 ? `${mb.toFixed(1)} MB` : `${idx.bytes.length} bytes`} · ${idx.count.toLocaleString('en')} frames`);
      parts.push(` · displayed: ${this.displayed.toLocaleString('en')}${this.displayed !== idx.count ? ` (${((100 * this.displayed) / idx.count).toFixed(1)}%)` : ''}`);
      parts.push(` · indexed in ${this.loadMs.toFixed(0)} ms`);
      if (this.filterMs > 0) parts.push(`, filtered in ${this.filterMs.toFixed(0)} ms`);
    }
    this.status.replaceChildren(h('span', { class: 'status-text' }, ...parts), this.work);
  }
}

function cancel(t: JobToken | undefined): undefined {
  if (t !== undefined) t.cancelled = true;
  return undefined;
}
