/**
 * Names of well-known ports, for display only (the seeds print `139 (NBT Session)`). A small fixed
 * table of the services people meet in TCP captures; everything else stays a number.
 */
const TCP: Readonly<Record<number, string>> = {
  20: 'FTP data',
  21: 'FTP',
  22: 'SSH',
  23: 'Telnet',
  25: 'SMTP',
  53: 'DNS',
  80: 'HTTP',
  110: 'POP3',
  111: 'SUN RPC',
  135: 'MS RPC endpoint mapper',
  137: 'NETBIOS Name Service',
  138: 'NETBIOS Datagram Service',
  139: 'NETBIOS Session Service',
  143: 'IMAP',
  179: 'BGP',
  389: 'LDAP',
  443: 'HTTPS',
  445: 'Microsoft-DS (SMB)',
  465: 'SMTPS',
  587: 'SMTP submission',
  636: 'LDAPS',
  993: 'IMAPS',
  995: 'POP3S',
  1433: 'MS SQL',
  3306: 'MySQL',
  3389: 'RDP',
  5432: 'PostgreSQL',
  6379: 'Redis',
  8080: 'HTTP alternate',
};

const UDP: Readonly<Record<number, string>> = {
  53: 'DNS',
  67: 'DHCP server',
  68: 'DHCP client',
  69: 'TFTP',
  123: 'NTP',
  137: 'NETBIOS Name Service',
  138: 'NETBIOS Datagram Service',
  161: 'SNMP',
  443: 'QUIC',
  514: 'Syslog',
  546: 'DHCPv6 client',
  547: 'DHCPv6 server',
  5353: 'mDNS',
};

export function portName(port: number, proto: 'tcp' | 'udp'): string | undefined {
  return (proto === 'tcp' ? TCP : UDP)[port];
}
