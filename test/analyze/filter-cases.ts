/**
 * The captures and filters of test/analyze/filter.test.ts, and tshark's answer for one (capture,
 * filter) pair; `filter-fixtures.ts` records tshark's answers for all of them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

export const CAPTURES = {
  kb172983: here('../fixtures/kb172983.pcap'),
  wire: here('../wire/fixtures/wire-fixtures.pcap'),
  sll2: here('../fixtures/capture/linux-sll2.pcap'),
  null: here('../fixtures/capture/null.pcap'),
  kernel4: here('../fixtures/kernel/ipv4-transfer.pcap'),
  kernel6: here('../fixtures/kernel/ipv6-half-close.pcap'),
  pcapng: here('../fixtures/capture/kb172983.pcapng'),
};

export const FILTERS = [
  'tcp',
  'udp',
  'arp',
  'icmp',
  'icmpv6',
  'ipv6',
  'ip',
  'eth',
  'vlan',
  '!tcp',
  'tcp.port == 139',
  'tcp.port != 139',
  'tcp.srcport == 1037',
  'tcp.dstport == 139 || tcp.dstport == 443',
  'tcp.flags.syn == 1',
  'tcp.flags.syn == 1 && tcp.flags.ack == 0',
  'tcp.flags.fin == 1 || tcp.flags.reset == 1',
  'tcp.flags == 0x012',
  'tcp.flags.syn',
  'tcp.len > 0',
  'tcp.seq == 8221822',
  'tcp.ack == 1109646',
  'tcp.window_size_value < 8760',
  'ip.addr == 131.107.2.214',
  'ip.src == 131.107.2.211',
  'ip.dst == 192.94.222.0/24',
  'ip.addr != 131.107.2.214',
  'ip.ttl == 64',
  'ipv6.addr == 2001:db8:0:1::2',
  'ipv6.src == 2001:db8::/32',
  'ipv6.dst == ::1',
  'udp.port == 40002',
  'udp.srcport >= 40000',
  'frame.number <= 3 || frame.number == 7',
  'frame.len > 100',
  'eth.addr == 02:00:00:00:00:01',
  '!(tcp.port == 139) && ip',
  'tcp.port in {139, 1037, 443}',
  'frame.number in {2..4, 6}',
  'not icmp and (udp or arp)',
];

/**
 * tshark's selection. Defragmentation is off (we show each fragment as captured), and relative
 * sequence numbers too (our tcp.seq is the raw number).
 */
export function tsharkSelect(path: string, filter: string): number[] {
  const r = spawnSync('tshark', ['-n', '-r', path, '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE', '-o', 'tcp.relative_sequence_numbers:FALSE', '-Y', filter, '-T', 'fields', '-e', 'frame.number'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `tshark failed on ${filter}: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map(Number);
}
