/**
 * The page: a header with the three views (capture, connections, simulator), the theme switch and
 * the file picker; drag and drop anywhere; `?open=URL` (what `synack ui FILE` links to) opens a
 * capture at once. The views are built on first use.
 */
import { CaptureView } from './capture-view.js';
import { h } from './dom.js';
import { initTheme, themeButton } from './theme.js';

type ViewName = 'capture' | 'conns' | 'sim';

interface LazyView {
  readonly el: HTMLElement;
  shown?(): void;
}

function app(): void {
  initTheme();
  const root = document.getElementById('app');
  if (root === null) return;

  const fileInput = h('input', { attrs: { type: 'file', accept: '.pcap,.pcapng,.cap,.dmp,.pcap.gz,application/vnd.tcpdump.pcap', hidden: true, 'aria-label': 'capture file' } });
  const capture = new CaptureView(() => fileInput.click());
  fileInput.addEventListener('change', () => {
    const f = fileInput.files?.[0];
    if (f !== undefined) {
      select('capture');
      void capture.openFile(f);
    }
    fileInput.value = '';
  });

  const views = new Map<ViewName, LazyView>([['capture', capture]]);
  const stage = h('main', { class: 'stage' }, capture.el);
  const tabs = new Map<ViewName, HTMLButtonElement>();
  const tab = (name: ViewName, label: string): HTMLButtonElement => {
    const b = h('button', { class: 'tab', text: label, attrs: { role: 'tab', 'data-view': name, 'aria-selected': 'false' }, on: { click: () => select(name) } });
    tabs.set(name, b);
    return b;
  };

  const make = async (name: ViewName): Promise<LazyView> => {
    const have = views.get(name);
    if (have !== undefined) return have;
    let v: LazyView;
    if (name === 'conns') {
      const { ConnsView } = await import('./conns-view.js');
      v = new ConnsView(capture, (frame) => {
        select('capture');
        capture.list.selectFrame(frame);
      });
    } else {
      const { SimView } = await import('./sim-view.js');
      v = new SimView();
    }
    views.set(name, v);
    stage.append(v.el);
    return v;
  };

  let current: ViewName = 'capture';
  const select = (name: ViewName): void => {
    current = name;
    for (const [n, b] of tabs) b.setAttribute('aria-selected', String(n === name));
    void make(name).then((v) => {
      if (current !== name) return;
      for (const [n, o] of views) o.el.hidden = n !== name;
      v.shown?.();
    });
  };

  const header = h(
    'header',
    { class: 'topbar' },
    h('div', { class: 'brand' }, h('span', { class: 'logo', text: 'syn' }, h('b', { text: 'ack' })), h('span', { class: 'tagline', text: 'TCP/IP, seen' })),
    h('nav', { class: 'tabs', attrs: { role: 'tablist' } }, tab('capture', 'Capture'), tab('conns', 'Connections'), tab('sim', 'Simulator')),
    h('div', { class: 'tools' }, h('button', { class: 'btn', text: 'Open…', title: 'Open a pcap or pcapng file', on: { click: () => fileInput.click() } }), themeButton()),
    fileInput,
  );

  const dropHint = h('div', { class: 'drop-hint', text: 'Drop the capture to open it' });
  dropHint.hidden = true;
  root.replaceChildren(header, stage, dropHint);
  select('capture');

  // Drag and drop anywhere on the page.
  let depth = 0;
  const hasFiles = (e: DragEvent): boolean => [...(e.dataTransfer?.types ?? [])].includes('Files');
  window.addEventListener('dragenter', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth++;
    dropHint.hidden = false;
  });
  window.addEventListener('dragover', (e) => {
    if (hasFiles(e)) e.preventDefault();
  });
  window.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) dropHint.hidden = true;
  });
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    dropHint.hidden = true;
    const f = e.dataTransfer?.files[0];
    if (f !== undefined) {
      select('capture');
      void capture.openFile(f);
    }
  });

  const params = new URLSearchParams(location.search);
  const open = params.get('open');
  if (open !== null) void capture.openUrl(open, params.get('name') ?? open.split('/').pop() ?? 'capture');
  const view = params.get('view');
  if (view === 'conns' || view === 'sim') select(view);
}

app();
