/**
 * The public API of the wire layer: one view and one repr per protocol, checksums, addresses,
 * sequence arithmetic. Browser-safe: no Node imports anywhere under src/wire.
 */
export * from './result.js';
export * from './bytes.js';
export * from './checksum.js';
export * from './seq.js';
export * from './ethernet.js';
export * from './arp.js';
export * from './ipv4.js';
export * from './ipv6.js';
export * from './ip.js';
export * from './tcp.js';
export * from './udp.js';
export * from './icmp.js';
