/**
 * tshark's reading of every TCP packet in a capture, the fields the ECN tests compare: source, the
 * IP ECN field (IPv4 TOS or IPv6 traffic class, low two bits), SYN/ACK/FIN/ECE/CWR, payload length
 * and the raw sequence number. ICMP errors quoting a TCP header are left out. Shared by the kernel
 * ECN tests (test/interop-kernel/ecn.test.ts) and `synack demo --ce` (test/cli/demo-ecn.test.ts).
 */
import assert from 'node:assert/strict';
import { run } from '../kernel/netns.js';
import { tsharkPath } from './tshark.js';

export interface TcpPacket {
  readonly frame: number;
  readonly src: string;
  /** The IP header's ECN field: 0 not-ECT, 1 ECT(1), 2 ECT(0), 3 CE. */
  readonly ecn: number;
  readonly syn: boolean;
  readonly ack: boolean;
  readonly fin: boolean;
  readonly ece: boolean;
  readonly cwr: boolean;
  readonly len: number;
  readonly seq: number;
}

const FIELDS = [
  'frame.number', 'ip.src', 'ipv6.src', 'ip.dsfield.ecn', 'ipv6.tclass.ecn',
  'tcp.flags.syn', 'tcp.flags.ack', 'tcp.flags.fin', 'tcp.flags.ece', 'tcp.flags.cwr', 'tcp.len', 'tcp.seq_raw',
] as const;

/** Every TCP packet in `file`, in capture order (needs tshark). */
export async function tcpPackets(file: string): Promise<TcpPacket[]> {
  const tshark = tsharkPath();
  if (tshark === null) throw new Error('tshark not found');
  const r = await run([
    tshark, '-n', '-r', file, '-o', 'tcp.relative_sequence_numbers:FALSE', '-o', 'tcp.desegment_tcp_streams:FALSE',
    '-Y', 'tcp && !icmp && !icmpv6', '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=f', ...FIELDS.flatMap((f) => ['-e', f]),
  ], { timeoutMs: 120_000 });
  const bool = (v: string | undefined): boolean => v === '1' || v === 'True';
  return r.stdout.split('\n').filter((l) => l !== '').map((line) => {
    const c = line.split('\t');
    assert.equal(c.length, FIELDS.length, `tshark line: ${line}`);
    const [frame, ip4, ip6, ecn4, ecn6, syn, ack, fin, ece, cwr, len, seq] = c;
    return {
      frame: Number(frame),
      src: ip4 !== '' && ip4 !== undefined ? ip4 : (ip6 ?? ''),
      ecn: Number(ecn4 !== '' && ecn4 !== undefined ? ecn4 : ecn6),
      syn: bool(syn),
      ack: bool(ack),
      fin: bool(fin),
      ece: bool(ece),
      cwr: bool(cwr),
      len: Number(len),
      seq: Number(seq),
    };
  });
}
