/**
 * The simulator view: two synack hosts in the page on virtual time (SimModel), their states and
 * windows as they change, the controls (applications, link faults, playback), the ladder growing
 * segment by segment, and the selected segment in the viewer panes (field tree and hex dump).
 *
 * Playback: play runs virtual time at `speed` times real time, but skips stretches where nothing
 * is on the wire and nothing is due soon (an RTO of a second, TIME-WAIT), so the exchange never
 * stalls; step runs to the next segment; "to the end" runs everything at once.
 *
 * Invariant: the view only reads the model; all changes go through SimModel's methods, so what
 * the page shows is what the engines did.
 */
import { SCENARIO_NAMES, SCENARIOS } from '../stack/scenarios.js';
import { lectureFields, type TraceSegment } from '../stack/trace.js';
import { h } from './dom.js';
import { PacketList } from './frames.js';
import { Ladder, ladderKind, type LadderRow } from './ladder.js';
import { PacketPanes } from './packet-panes.js';
import { isLost, MANUAL, SimModel, type Side, type SimSettings } from './sim-model.js';

const SPEEDS: readonly [number, string][] = [
  [0.01, '0.01×'],
  [0.05, '0.05×'],
  [0.2, '0.2×'],
  [1, '1×'],
];

function fmtMs(ms: number): string {
  return ms < 10_000 ? `${ms.toFixed(3)} ms` : `${(ms / 1000).toFixed(3)} s`;
}

interface HostCard {
  readonly el: HTMLElement;
  readonly state: HTMLElement;
  readonly vars: HTMLElement;
  readonly listen: HTMLInputElement;
  readonly buttons: HTMLButtonElement[];
  readonly bytes: HTMLInputElement;
}

export class SimView {
  readonly el: HTMLElement;
  private model: SimModel;
  private readonly ladder = new Ladder({ name: 'A', label: '' }, { name: 'B', label: '' }, 600);
  private readonly panes = new PacketPanes(8);
  private readonly packets = new PacketList(101);
  private readonly presetSel: HTMLSelectElement;
  private readonly speedSel: HTMLSelectElement;
  private readonly seedInput: HTMLInputElement;
  private readonly delayInput: HTMLInputElement;
  private readonly mtuInput: HTMLInputElement;
  private readonly lossInput: HTMLInputElement;
  private readonly reorderInput: HTMLInputElement;
  private readonly dupInput: HTMLInputElement;
  private readonly ceInput: HTMLInputElement;
  private readonly ecnBox: HTMLInputElement;
  private readonly playBtn: HTMLButtonElement;
  private readonly clock: HTMLElement;
  private readonly titleEl: HTMLElement;
  private readonly notesEl: HTMLElement;
  private readonly explainEl: HTMLElement;
  private readonly pendingEl: HTMLElement;
  private readonly hosts: Record<Side, HostCard>;
  private playing = false;
  private lastFrame = 0;
  private selected = -1;
  private follow = true;
  private readonly seenData = new Map<string, number>();
  private lastPhase = '';
  private notesShown = 0;
  private readonly startWall = Math.floor(Date.now() / 1000);

  constructor() {
    this.presetSel = h(
      'select',
      { class: 'preset', attrs: { 'aria-label': 'scenario' } },
      h('option', { text: 'by hand', attrs: { value: MANUAL } }),
      ...SCENARIO_NAMES.map((n) => h('option', { text: n === 'bulk' ? 'bulk (64 KiB)' : n, attrs: { value: n }, title: SCENARIOS[n]?.title ?? '' })),
    );
    this.presetSel.value = 'lecture-half-close';
    this.seedInput = h('input', { class: 'num-in', attrs: { type: 'number', value: 1, min: 0, 'aria-label': 'seed', title: 'seed: ISN keys, ports, link faults' } });
    this.delayInput = h('input', { class: 'num-in', attrs: { type: 'number', value: '', min: 0, step: 1, placeholder: 'auto', 'aria-label': 'one-way delay in ms' } });
    this.mtuInput = h('input', { class: 'num-in', attrs: { type: 'number', value: 1500, min: 68, max: 65535, 'aria-label': 'MTU' } });
    this.ecnBox = h('input', { class: 'ecn', attrs: { type: 'checkbox', 'aria-label': 'ECN', title: 'both hosts ask for ECN (RFC 3168) in their SYNs' } });
    const reset = h('button', { class: 'btn', text: 'Reset', title: 'Start again with these settings', on: { click: () => this.reset() } });
    for (const el of [this.presetSel, this.seedInput, this.delayInput, this.mtuInput, this.ecnBox]) el.addEventListener('change', () => this.reset());

    this.playBtn = h('button', { class: 'btn primary play', text: '▶ Play', on: { click: () => this.togglePlay() } });
    const step = h('button', { class: 'btn step', text: 'Step', title: 'Run to the next segment', on: { click: () => this.step() } });
    const toEnd = h('button', { class: 'btn to-end', text: 'Run to end', title: 'Run everything now', on: { click: () => this.toEnd() } });
    this.speedSel = h('select', { attrs: { 'aria-label': 'speed' } }, ...SPEEDS.map(([v, t]) => h('option', { text: t, attrs: { value: v } })));
    this.speedSel.value = '0.05';
    this.clock = h('span', { class: 'sim-clock', text: '0.000 ms' });
    const exportBtn = h('button', { class: 'btn export', text: 'Export pcapng', title: 'Download the exchange as a pcapng file', on: { click: () => this.exportPcapng() } });

    const toolbar = h(
      'div',
      { class: 'sim-toolbar' },
      this.presetSel,
      h('label', { class: 'field' }, 'seed ', this.seedInput),
      h('label', { class: 'field' }, 'delay ', this.delayInput, ' ms'),
      h('label', { class: 'field' }, 'MTU ', this.mtuInput),
      h('label', { class: 'field' }, this.ecnBox, ' ECN'),
      reset,
      h('span', { class: 'sep' }),
      this.playBtn,
      step,
      toEnd,
      h('label', { class: 'field', title: 'virtual time per real time' }, this.speedSel),
      this.clock,
      h('span', { class: 'grow' }),
      exportBtn,
    );

    this.hosts = { A: this.hostCard('A'), B: this.hostCard('B') };
    this.lossInput = h('input', { class: 'num-in', attrs: { type: 'number', value: 0, min: 0, max: 100, step: 1, 'aria-label': 'loss percent' } });
    this.reorderInput = h('input', { class: 'num-in', attrs: { type: 'number', value: 0, min: 0, max: 100, step: 1, 'aria-label': 'reorder percent' } });
    this.dupInput = h('input', { class: 'num-in', attrs: { type: 'number', value: 0, min: 0, max: 100, step: 1, 'aria-label': 'duplicate percent' } });
    this.ceInput = h('input', {
      class: 'num-in',
      attrs: { type: 'number', value: 0, min: 0, max: 100, step: 1, 'aria-label': 'CE mark percent', title: 'ECN-capable packets marked Congestion Experienced, as a router would instead of dropping them (with ECN on)' },
    });
    for (const i of [this.lossInput, this.reorderInput, this.dupInput, this.ceInput]) i.addEventListener('change', () => this.applyRates());
    this.pendingEl = h('div', { class: 'pending' });
    const oneShot = (label: string, from: Side, act: (m: SimModel) => void): HTMLButtonElement =>
      h('button', {
        class: 'btn small',
        text: label,
        attrs: { 'data-act': `${label}-${from}` },
        on: {
          click: () => {
            act(this.model);
            this.refresh();
          },
        },
      });
    const dirRow = (from: Side): HTMLElement => {
      const to = from === 'A' ? 'B' : 'A';
      return h(
        'div',
        { class: 'dir-row' },
        h('span', { class: `dir ${from === 'A' ? 'a' : 'b'}`, text: `${from} → ${to}` }),
        oneShot('drop', from, (m) => m.dropNext(from)),
        oneShot('duplicate', from, (m) => m.duplicateNext(from)),
        oneShot('delay', from, (m) => m.delayNext(from, 5 * m.delay + 50)),
      );
    };
    const link = h(
      'div',
      { class: 'card-s link-card' },
      h('h4', { text: 'Link: the next segment' }),
      dirRow('A'),
      dirRow('B'),
      this.pendingEl,
      h('h4', { text: 'Link: rates' }),
      h('div', { class: 'rates' }, h('label', {}, 'loss ', this.lossInput, '%'), h('label', {}, 'reorder ', this.reorderInput, '%'), h('label', {}, 'dup ', this.dupInput, '%'), h('label', {}, 'CE ', this.ceInput, '%')),
    );
    const controls = h('div', { class: 'sim-controls' }, this.hosts.A.el, this.hosts.B.el, link);

    this.titleEl = h('div', { class: 'sim-title' });
    const ladderBox = h('div', { class: 'pane sim-ladder' }, this.titleEl, this.ladder.el);

    this.notesEl = h('ol', { class: 'notes' });
    this.explainEl = h('div', { class: 'sim-explain' });
    const tabs = h('div', { class: 'subtabs', attrs: { role: 'tablist' } });
    const segPane = h('div', { class: 'sub seg-pane' }, h('div', { class: 'seg-tree' }, this.panes.tree.el), h('div', { class: 'seg-hex' }, this.panes.hex.el));
    const eventsPane = h('div', { class: 'sub events-pane' }, this.explainEl, h('h4', { text: 'Application events' }), this.notesEl);
    const subs: [string, HTMLElement][] = [
      ['Segment', segPane],
      ['Events', eventsPane],
    ];
    for (const [name, pane] of subs) {
      tabs.append(
        h('button', {
          class: 'subtab',
          text: name,
          attrs: { role: 'tab', 'data-sub': name },
          on: {
            click: () => {
              for (const [n, p] of subs) p.hidden = n !== name;
              tabs.querySelectorAll('button').forEach((b) => b.setAttribute('aria-selected', String(b.dataset.sub === name)));
            },
          },
        }),
      );
    }
    eventsPane.hidden = true;
    (tabs.firstElementChild as HTMLElement).setAttribute('aria-selected', 'true');
    const right = h('div', { class: 'pane sim-right' }, tabs, segPane, eventsPane);

    this.el = h('section', { class: 'view sim-view', attrs: { 'aria-label': 'simulator' } }, toolbar, h('div', { class: 'sim-body' }, controls, ladderBox, right));

    this.ladder.onClick = (i) => {
      this.follow = i === this.model.segments.length - 1;
      this.selectSegment(i);
    };
    this.panes.tree.collapse(['FRAME', 'IP', 'IPV6']);
    this.model = this.makeModel();
    this.refresh();
  }

  private hostCard(side: Side): HostCard {
    const state = h('span', { class: 'hstate', text: 'CLOSED' });
    const vars = h('dl', { class: 'hvars' });
    const listen = h('input', { attrs: { type: 'checkbox', 'aria-label': `${side} listens on port 80` } });
    listen.addEventListener('change', () => {
      this.model.listen(side, listen.checked);
      this.refresh();
    });
    const bytes = h('input', { class: 'num-in', attrs: { type: 'number', value: 5, min: 1, max: 1048576, 'aria-label': `bytes for ${side} to send` } });
    const act = (label: string, title: string, fn: (m: SimModel) => void): HTMLButtonElement =>
      h('button', {
        class: 'btn small',
        text: label,
        title,
        attrs: { 'data-act': `${label}-${side}` },
        on: {
          click: () => {
            fn(this.model);
            this.refresh();
          },
        },
      });
    const buttons = [
      act('connect', 'Active open to the other host, port 80', (m) => m.connect(side)),
      act('send', 'Write N bytes', (m) => m.send(side, Math.floor(Number(bytes.value)))),
      act('shutdown', 'Half-close: FIN after the queued data, keep reading', (m) => m.shutdown(side)),
      act('close', 'FIN, and stop reading', (m) => m.close(side)),
      act('abort', 'RST now', (m) => m.abort(side)),
    ];
    const el = h(
      'div',
      { class: `card-s host host-${side.toLowerCase()}`, title: '' },
      h('div', { class: 'host-head' }, h('span', { class: 'hname', text: `Host ${side}` }), state),
      vars,
      h('div', { class: 'host-acts' }, h('label', { class: 'listen' }, listen, ' listen :80'), buttons[0] as HTMLElement, h('span', { class: 'send' }, buttons[1] as HTMLElement, bytes, ' B')),
      h('div', { class: 'host-acts' }, ...buttons.slice(2)),
    );
    return { el, state, vars, listen, buttons, bytes };
  }

  private settings(): SimSettings {
    const delay = this.delayInput.value.trim() === '' ? undefined : Math.max(0, Number(this.delayInput.value));
    const mtu = Math.min(65535, Math.max(68, Math.floor(Number(this.mtuInput.value) || 1500)));
    return {
      preset: this.presetSel.value,
      seed: Math.max(0, Math.floor(Number(this.seedInput.value) || 0)),
      ...(delay !== undefined && Number.isFinite(delay) ? { delay } : {}),
      loss: this.rate(this.lossInput),
      reorder: this.rate(this.reorderInput),
      duplicate: this.rate(this.dupInput),
      mtu,
      ...(this.ecnBox.checked ? { ecn: true, ce: this.rate(this.ceInput) } : {}),
    };
  }

  private rate(i: HTMLInputElement): number {
    const v = Number(i.value);
    return Number.isFinite(v) ? Math.min(1, Math.max(0, v / 100)) : 0;
  }

  private makeModel(): SimModel {
    const m = new SimModel(this.settings());
    m.onSegment = (s) => this.addSegment(s);
    this.packets.clear();
    this.seenData.clear();
    this.lastPhase = '';
    this.notesShown = 0;
    this.notesEl.replaceChildren();
    this.selected = -1;
    this.follow = true;
    const a = m.host('A');
    const b = m.host('B');
    this.ladder.setHosts({ name: a.name, label: a.address }, { name: b.name, label: b.address });
    this.ladder.clear();
    this.titleEl.textContent = m.title;
    this.panes.show(undefined);
    return m;
  }

  /** Start again with the settings in the toolbar. */
  reset(): void {
    this.pause();
    this.model.dispose();
    this.model = this.makeModel();
    this.refresh();
  }

  private applyRates(): void {
    this.model.setRates({ loss: this.rate(this.lossInput), reorder: this.rate(this.reorderInput), duplicate: this.rate(this.dupInput), ce: this.rate(this.ceInput) });
  }

  private row(s: TraceSegment): LadderRow {
    const t = s.tcp;
    const fromLeft = s.from === this.model.names[0];
    const notes: string[] = [];
    if (t !== undefined && (t.payloadLength > 0 || (t.flags & 0x003) !== 0)) {
      // The same sequence number and flags again from the same side: a retransmission.
      const key = `${s.from}:${t.flags & 0x007}:${t.seq}:${t.payloadLength}`;
      if (this.seenData.has(key)) notes.push('retransmission');
      this.seenData.set(key, s.index);
    }
    if (s.fate === 'lost') notes.push('lost');
    else if (s.fate === 'too-big') notes.push('larger than the MTU: dropped');
    else if (s.fate === 'queue-full') notes.push('queue full: dropped');
    else if (s.fate === 'duplicated') notes.push('duplicated');
    else if (s.fate === 'corrupted') notes.push('corrupted');
    if (s.reordered) notes.push('delayed');
    if (s.ceMarked === true) notes.push('marked CE');
    const caption = s.phase !== this.lastPhase ? this.model.phaseTitles[s.phase] : undefined;
    this.lastPhase = s.phase;
    return {
      fromLeft,
      label: t !== undefined ? lectureFields(t) : 'not TCP',
      time: fmtMs(s.time),
      sentAt: s.time,
      ...(s.arrival !== undefined ? { arriveAt: s.arrival } : {}),
      leftState: fromLeft ? s.senderState : s.receiverState,
      rightState: fromLeft ? s.receiverState : s.senderState,
      lost: isLost(s),
      kind: t !== undefined ? ladderKind(t.flags, t.payloadLength) : 'other',
      ...(notes.length > 0 ? { note: notes.join(', ') } : {}),
      ...(caption !== undefined ? { caption } : {}),
    };
  }

  private addSegment(s: TraceSegment): void {
    this.packets.push(s.time, s.packet);
    this.ladder.append(this.row(s));
    if (this.follow) this.selectSegment(s.index - 1, false);
  }

  private selectSegment(i: number, scroll = true): void {
    this.selected = i;
    this.ladder.select(i, scroll);
    this.panes.show(i >= 0 && i < this.packets.count ? this.packets.record(i) : undefined);
  }

  // ---------------------------------------------------------------------------------------------
  // Playback

  private togglePlay(): void {
    if (this.playing) this.pause();
    else this.play();
  }

  play(): void {
    if (this.playing) return;
    this.playing = true;
    this.follow = true;
    this.playBtn.textContent = '⏸ Pause';
    this.lastFrame = performance.now();
    requestAnimationFrame((t) => this.tick(t));
  }

  pause(): void {
    this.playing = false;
    this.playBtn.textContent = '▶ Play';
  }

  private tick(t: number): void {
    if (!this.playing) return;
    const m = this.model;
    const dt = Math.min(100, t - this.lastFrame);
    this.lastFrame = t;
    const speed = Number(this.speedSel.value) || 0.05;
    let target = m.now() + dt * speed;
    const next = m.nextAt();
    if (next === undefined) {
      this.pause();
      this.refresh();
      return;
    }
    // Nothing on the wire and nothing due soon: jump to the next event.
    const soon = Math.max(60, 3 * m.delay);
    if (m.inFlight() === 0 && next > m.now() + soon) target = next;
    m.advanceTo(target);
    this.refresh();
    requestAnimationFrame((x) => this.tick(x));
  }

  step(): void {
    this.pause();
    this.follow = true;
    this.model.stepSegment();
    this.refresh();
  }

  toEnd(): void {
    this.pause();
    this.follow = true;
    this.model.runToEnd();
    this.refresh();
  }

  // ---------------------------------------------------------------------------------------------

  private refresh(): void {
    const m = this.model;
    this.clock.textContent = `t = ${fmtMs(m.now())}`;
    this.ladder.setTime(m.now());
    for (const side of ['A', 'B'] as const) {
      const st = m.host(side);
      const card = this.hosts[side];
      card.state.textContent = st.state;
      card.state.className = `hstate s-${st.state}`;
      card.listen.checked = m.manual ? m.isListening(side) : st.listening;
      card.listen.disabled = !m.manual;
      const has = m.hasSocket(side);
      const [connect, send, shutdown, close, abort] = card.buttons;
      if (connect !== undefined) connect.disabled = !m.manual;
      card.el.title = m.manual ? '' : "The scenario's applications drive this host; choose 'by hand' to drive it yourself.";
      for (const b of [send, shutdown, close, abort]) if (b !== undefined) b.disabled = !m.manual || !has;
      card.bytes.disabled = !m.manual || !has;
      const v = st.tcp;
      const pairs: [string, string][] = [
        ['SND.UNA', v === undefined ? '–' : String(v.sndUna)],
        ['SND.NXT', v === undefined ? '–' : String(v.sndNxt)],
        ['SND.WND', v === undefined ? '–' : String(v.sndWnd)],
        ['RCV.NXT', v === undefined ? '–' : String(v.rcvNxt)],
        ['RCV.WND', v === undefined ? '–' : String(v.rcvWnd)],
        ['cwnd', v === undefined ? '–' : String(v.cwnd)],
        ['RTO', v === undefined ? '–' : `${v.rto.toFixed(0)} ms`],
        ['queued', v === undefined ? '–' : String(v.sendQueued)],
        ['read', String(st.bytesReceived)],
        ['address', st.address],
      ];
      card.vars.replaceChildren(...pairs.flatMap(([k, val]) => [h('dt', { text: k }), h('dd', { text: val })]));
    }
    const pa = m.pending('A');
    const pb = m.pending('B');
    this.pendingEl.textContent = pa + pb === 0 ? '' : `waiting: ${pa} for A → B, ${pb} for B → A`;
    const notes = m.notes();
    for (; this.notesShown < notes.length; this.notesShown++) {
      const n = notes[this.notesShown];
      if (n !== undefined) this.notesEl.append(h('li', {}, h('span', { class: 'ntime', text: fmtMs(n.time) }), ' ', n.text));
    }
    const ex = m.finished || m.nextAt() === undefined ? m.explanation() : [];
    if (ex.length > 0 && this.explainEl.childElementCount === 0) this.explainEl.replaceChildren(h('h4', { text: 'What happened' }), ...ex.map((l) => h('p', { text: l })));
    if (ex.length === 0 && this.explainEl.childElementCount > 0) this.explainEl.replaceChildren();
  }

  private exportPcapng(): void {
    const bytes = this.model.exportPcapng(this.startWall);
    const blob = new Blob([bytes.slice().buffer as ArrayBuffer], { type: 'application/octet-stream' });
    const a = h('a', { attrs: { href: URL.createObjectURL(blob), download: `synack-${this.model.settings.preset}-seed${this.model.settings.seed}.pcapng` } });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }

  shown(): void {
    // nothing to do: the model runs only when asked
  }
}
