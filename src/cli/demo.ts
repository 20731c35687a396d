/**
 * `synack demo`: two hosts on the in-memory network exchange real segments through the TCP engine;
 * the command prints them in the lecture's notation, as a ladder diagram, with the applications'
 * events and a short explanation; `--json` prints the same as one JSON object, `--pcap FILE` writes
 * the packets (LINKTYPE_RAW; .pcapng for pcapng). Thin: the scenarios live in src/stack/scenarios.ts.
 *
 * Invariant: the output depends only on the flags (virtual time, seeded randomness), except the
 * real elapsed time reported for bulk transfers.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CaptureRecorder } from '../link/tap.js';
import { runScenario, SCENARIO_NAMES, SCENARIOS, type DemoOptions, type DemoResult, type EcnStats } from '../stack/scenarios.js';
import { ladder, lectureLine, segmentJson } from '../stack/trace.js';
import { EXIT, LineWriter, usageError } from './output.js';

const USAGE = `usage: synack demo [options]

Two hosts, A and B, on an in-memory network; a real exchange through the TCP engine, shown as the
lecture shows it (A -> B [ACK, ack=67, SYN, seq=1112]), as a ladder diagram, and explained.

options:
  --scenario NAME   one of the scenarios below (default: default)
  --list            list the scenarios
  --seed S          seed for ISN keys, ports and link faults (number or text, default 1)
  --json            one JSON object: segments, events, explanation (bulk: bytes, times, hashes)
  --pcap FILE       write the packets to FILE (pcap; pcapng when FILE ends in .pcapng)
  --bytes N         bytes for --scenario bulk (suffixes k, M, G: 1024-based; default 1M)
  --loss P          link faults, probabilities 0..1: loss,
  --reorder P         reordering,
  --duplicate P       duplication,
  --corrupt P         one flipped bit (the receiver drops it on the checksum)
  --ce P              ECN congestion marks: an ECN-capable packet is marked Congestion
                      Experienced instead of dropped (RFC 3168); turns --ecn on
  --ecn             both hosts ask for ECN (RFC 3168); the report counts CE marks, ECE and CWR
                    segments and window reductions
  --delay MS        one-way delay in ms (default 10; kb172983 0.05; bulk 1)
  --jitter MS       extra uniform delay 0..MS per packet
  --ipv6            IPv6 hosts fd00::1 and fd00::2 (kb172983 keeps the article's IPv4 hosts)
  -h, --help        this text

scenarios:
${SCENARIO_NAMES.map((n) => `  ${n.padEnd(20)} ${SCENARIOS[n]?.summary ?? ''}`).join('\n')}`;

function probability(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const p = Number(v);
  if (!(p >= 0 && p <= 1)) throw usageError(`--${name} wants a probability from 0 to 1, got '${v}'`);
  return p;
}

function nonNegative(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n >= 0) || !Number.isFinite(n)) throw usageError(`--${name} wants a number >= 0, got '${v}'`);
  return n;
}

/** "64M" -> 67108864; plain integers as they are. */
export function parseByteCount(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kKmMgG]?)i?[bB]?$/.exec(v.trim());
  if (m === null) throw usageError(`--bytes wants a byte count like 1000, 64k or 64M, got '${v}'`);
  const unit = (m[2] ?? '').toLowerCase();
  const mult = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  const n = Math.round(Number(m[1]) * mult);
  if (!Number.isSafeInteger(n) || n > 2 ** 40) throw usageError(`--bytes ${v} is too large`);
  return n;
}

export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        scenario: { type: 'string' },
        list: { type: 'boolean' },
        seed: { type: 'string' },
        json: { type: 'boolean' },
        pcap: { type: 'string' },
        bytes: { type: 'string' },
        loss: { type: 'string' },
        reorder: { type: 'string' },
        duplicate: { type: 'string' },
        corrupt: { type: 'string' },
        ce: { type: 'string' },
        ecn: { type: 'boolean' },
        delay: { type: 'string' },
        jitter: { type: 'string' },
        ipv6: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw usageError(`${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
  }
  if (values.help === true) {
    process.stdout.write(USAGE + '\n');
    return EXIT.OK;
  }
  if (values.list === true) {
    for (const n of SCENARIO_NAMES) process.stdout.write(`${n.padEnd(20)} ${SCENARIOS[n]?.title ?? ''}\n`);
    return EXIT.OK;
  }
  const name = values.scenario ?? 'default';
  if (SCENARIOS[name] === undefined) throw usageError(`unknown scenario '${name}'; one of: ${SCENARIO_NAMES.join(', ')}`);
  const seed = values.seed === undefined ? 1 : /^\d+$/.test(values.seed) ? Number(values.seed) : values.seed;

  const chunks: Uint8Array[] = [];
  let recorder: CaptureRecorder | undefined;
  if (values.pcap !== undefined) {
    recorder = new CaptureRecorder({ sink: (c) => chunks.push(c), format: values.pcap.endsWith('.pcapng') ? 'pcapng' : 'pcap' });
  }
  const opts: DemoOptions = {
    seed,
    realClock: () => performance.now(),
    ...(values.ipv6 === true ? { ipv6: true } : {}),
    ...defined('loss', probability('loss', values.loss)),
    ...defined('reorder', probability('reorder', values.reorder)),
    ...defined('duplicate', probability('duplicate', values.duplicate)),
    ...defined('corrupt', probability('corrupt', values.corrupt)),
    ...defined('ce', probability('ce', values.ce)),
    ...(values.ecn === true ? { ecn: true } : {}),
    ...defined('delay', nonNegative('delay', values.delay)),
    ...defined('jitter', nonNegative('jitter', values.jitter)),
    ...(values.bytes !== undefined ? { bytes: parseByteCount(values.bytes) } : {}),
    ...(recorder !== undefined ? { onPacket: (t: number, p: Uint8Array) => recorder.record(t, p) } : {}),
  };
  const result = runScenario(name, opts);
  if (values.pcap !== undefined) writeFileSync(values.pcap, Buffer.concat(chunks));

  const out = new LineWriter();
  if (values.json === true) {
    await out.line(JSON.stringify(resultJson(result), null, 2));
  } else {
    for (const l of textReport(result, values.pcap)) await out.line(l);
  }
  await out.flush();
  if (!result.completed) return EXIT.FAILURE;
  if (result.bulk !== undefined && !result.bulk.intact) return EXIT.FAILURE;
  return EXIT.OK;
}

function defined<K extends string>(key: K, v: number | undefined): { [P in K]?: number } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: number };
}

/** The JSON document of `--json`. */
export function resultJson(r: DemoResult): Record<string, unknown> {
  return {
    scenario: r.scenario,
    title: r.title,
    seed: r.seed,
    completed: r.completed,
    hosts: r.hosts,
    link: r.link,
    virtualMs: r.virtualMs,
    packets: r.packets,
    ...(r.bulk !== undefined ? { bulk: r.bulk } : {}),
    ...(r.ecn !== undefined ? { ecn: r.ecn } : {}),
    segments: r.segments.map(segmentJson),
    events: r.notes,
    drops: r.drops,
    explanation: r.explanation,
  };
}

function faultText(r: DemoResult): string {
  const f: string[] = [];
  if (r.link.loss > 0) f.push(`loss ${r.link.loss}`);
  if (r.link.reorder > 0) f.push(`reorder ${r.link.reorder}`);
  if (r.link.duplicate > 0) f.push(`duplicate ${r.link.duplicate}`);
  if (r.link.corrupt > 0) f.push(`corrupt ${r.link.corrupt}`);
  if (r.link.ce !== undefined && r.link.ce > 0) f.push(`CE marks ${r.link.ce}`);
  return f.length > 0 ? f.join(', ') : 'no random faults';
}

/** The text report. */
export function textReport(r: DemoResult, pcap?: string): string[] {
  const L: string[] = [];
  const A = r.hosts.A;
  const B = r.hosts.B;
  L.push(`synack demo: ${r.scenario}: ${r.title}`);
  L.push(`${A.name} = ${A.address}, ${B.name} = ${B.address}; link ${r.link.delay} ms one way, ${faultText(r)}; seed ${r.seed}`);
  L.push('');
  if (r.bulk !== undefined) {
    const b = r.bulk;
    L.push(`Transfer: ${b.bytes} bytes sent, ${b.bytesReceived} received, ${b.intact ? 'intact' : 'NOT INTACT'}`);
    L.push(`  SHA-256 sent      ${b.sha256Sent}`);
    L.push(`  SHA-256 received  ${b.sha256Received}`);
    L.push(`  virtual time      ${b.virtualMs.toFixed(3)} ms (goodput ${(b.goodputBps / 1e6).toFixed(2)} Mbit/s of virtual time)`);
    if (b.realMs !== undefined) L.push(`  real time         ${b.realMs.toFixed(1)} ms`);
    L.push(`  segments          ${r.packets} on the wire; ${b.retransmissions} retransmitted (${b.fastRetransmits} fast retransmits, ${b.timeouts} timeouts)`);
    const drops = [...Object.entries(r.drops.A).map(([k, v]) => `A ${k} ${v}`), ...Object.entries(r.drops.B).map(([k, v]) => `B ${k} ${v}`)];
    if (drops.length > 0) L.push(`  dropped           ${drops.join(', ')}`);
    if (r.ecn !== undefined) L.push(`  ECN               ${ecnText(r.ecn)}`);
    L.push('');
  } else if (r.ecn !== undefined) {
    L.push(`ECN: ${ecnText(r.ecn)}`, '');
  }
  if (r.segments.length > 0) {
    L.push("Segments (the lecture's notation; every segment after the SYN carries ACK, as real TCP does):");
    let phase: string | undefined;
    for (const s of r.segments) {
      if (s.phase !== phase) {
        phase = s.phase;
        const t = r.phaseTitles[phase];
        if (t !== undefined) L.push(`  -- ${t} --`);
      }
      const fate = s.fate === 'delivered' ? '' : `   (${s.fate})`;
      L.push(`  ${String(s.index).padStart(3)}  ${lectureLine(s)}${fate}`);
    }
    L.push('');
    L.push('Ladder (time of sending; each side\'s connection state at that moment):');
    for (const l of ladder(r.segments, {
      left: { name: A.name, label: A.address },
      right: { name: B.name, label: B.address },
      phaseTitles: r.phaseTitles,
    })) {
      L.push(`  ${l}`.trimEnd());
    }
    L.push('');
  }
  if (r.notes.length > 0) {
    L.push('Application events:');
    for (const n of r.notes) L.push(`  ${n.time.toFixed(3).padStart(10)} ms  ${n.text}`);
    L.push('');
  }
  L.push('What happened:');
  for (const e of r.explanation) L.push(...wrap(e, 96, '  - ', '    '));
  if (!r.completed) L.push('', 'The scenario did not finish within its time limit.');
  if (pcap !== undefined) L.push('', `Packets written to ${pcap}.`);
  return L;
}

/** One line on ECN (RFC 3168): negotiated or not, marks, echoes, reductions. */
function ecnText(e: EcnStats): string {
  if (!e.negotiated) return `not negotiated; ${e.ceMarked} packets marked CE`;
  return `negotiated; ${e.ceMarked} packets marked CE by the link (${e.ceIn} taken in), ${e.eceSegments} ECE and ${e.cwrSegments} CWR segments, ${e.ecnReductions} window reductions`;
}

function wrap(text: string, width: number, first: string, rest: string): string[] {
  const words = text.split(/\s+/);
  const out: string[] = [];
  let line = first;
  let empty = true;
  for (const w of words) {
    if (!empty && line.length + 1 + w.length > width) {
      out.push(line);
      line = rest + w;
    } else {
      line += (empty ? '' : ' ') + w;
    }
    empty = false;
  }
  out.push(line);
  return out;
}
