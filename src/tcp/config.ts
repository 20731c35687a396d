/**
 * Per-connection configuration of the engine, with RFC-derived defaults and validation.
 *
 * Every resource the engine holds is bounded by a field here: send and receive buffers, the
 * out-of-order range count, the number of retransmissions, challenge ACKs per interval.
 * Invariant: a `TcpConfig` returned by `resolveConfig` passes every check below.
 */
import { SynackError } from '../errors.js';
import { DEFAULT_SLOW_START_LIMIT, isSlowStartLimit, NoCongestionControl, type CongestionControlFactory } from './congestion.js';
import { Cubic } from './cubic.js';
import { Reno } from './reno.js';

export interface TcpConfig {
  /** IP version of the connection: picks the default send MSS (MUST-15) and header sizes. */
  readonly ipVersion: 4 | 6;
  /** MTU of the path as the IP layer knows it (EMTU_S = EMTU_R here). */
  readonly mtu: number;
  /** Bytes of IPv4 options or IPv6 extension headers on every packet (RFC 9293 3.7.1 IPoptionsize). */
  readonly ipOptionsSize: number;
  /** The MSS we advertise; defaults to MMS_R - 20 (MUST-67). */
  readonly mss: number | undefined;
  /** Send buffer bound in bytes (queued + unacknowledged). */
  readonly sendBufferSize: number;
  /** Receive buffer bound in bytes (RCV.BUFF); the window never exceeds it. */
  readonly recvBufferSize: number;
  /** Nagle's algorithm (SHLD-7); false is TCP_NODELAY (MUST-17). */
  readonly nagle: boolean;
  /** Delayed-ACK timeout in ms (SHLD-18); must be < 500 (MUST-40); 0 acknowledges every segment at once. */
  readonly delayedAck: number;
  /** Keep-alives (MAY-5), off by default (MUST-25). */
  readonly keepAlive: boolean;
  /** Idle time before the first keep-alive probe, ms; default 2 h (MUST-28). */
  readonly keepAliveIdle: number;
  /** Time between unanswered keep-alive probes, ms. */
  readonly keepAliveInterval: number;
  /** Unanswered probes before the connection is declared dead (MUST-29: never just one). */
  readonly keepAliveCount: number;
  /** RFC 9293 USER TIMEOUT in ms: abort when sent data sees no acknowledgment at all for this long. */
  readonly userTimeout: number;
  /** Maximum segment lifetime in ms; TIME-WAIT lasts 2 * msl (MUST-13). */
  readonly msl: number;
  /** RTO before any RTT sample (RFC 6298 2.1: 1 s). */
  readonly initialRto: number;
  /** Lower bound of the RTO (RFC 6298 2.4: 1 s; Linux uses 200 ms). */
  readonly minRto: number;
  /** Upper bound of the RTO (RFC 6298 2.5: at least 60 s). */
  readonly maxRto: number;
  /** R2 for SYN and SYN-ACK: retransmissions before giving up (MUST-23 wants >= 3 minutes). */
  readonly maxSynRetries: number;
  /** R2 for data and FIN: retransmissions of the same segment before closing (MUST-20, MUST-21). */
  readonly maxRetransmits: number;
  /** R1: retransmissions after which the application is told (SHLD-9, SHLD-10: at least 3). */
  readonly retransmitAdvice: number;
  /** Bound on out-of-order ranges held (SHLD-31). Bytes are bounded by the receive buffer. */
  readonly maxOutOfOrderRanges: number;
  /** Offer and use window scaling (RFC 7323). */
  readonly windowScaling: boolean;
  /** Offer and use timestamps (RFC 7323) for RTTM and PAWS. */
  readonly timestamps: boolean;
  /** Offer SACK-permitted and send SACK blocks as a receiver (RFC 2018). */
  readonly sack: boolean;
  /** Challenge ACKs allowed per `challengeAckInterval` (RFC 5961 7: throttling). */
  readonly challengeAckLimit: number;
  readonly challengeAckInterval: number;
  /** Override timeout of the sender SWS algorithm, ms (RFC 9293 3.8.6.2.1: 0.1 - 1.0 s). */
  readonly swsOverride: number;
  /** How long an orphaned (close()d) connection may sit in FIN-WAIT-2, ms. */
  readonly finWait2Timeout: number;
  /**
   * What to do with a segment whose options had an illegal length (MUST-7): 'reset' the connection
   * (the RFC's suggested procedure; done only after the sequence number check passes) or 'drop' it.
   */
  readonly illegalOptionAction: 'reset' | 'drop';
  /** Congestion controller (MUST-19): 'reno' (default, with NewReno/SACK recovery), 'cubic' (RFC 9438), 'none', or a factory. */
  readonly congestionControl: 'reno' | 'cubic' | 'none' | CongestionControlFactory;
  /**
   * Slow start's L (RFC 3465 2.2), in SMSS: cwnd grows by at most this many segments' worth per
   * ACK in slow start. Default Infinity: every acknowledged byte counts, as Linux (tcp_slow_start)
   * and RFC 9406 4.3, so stretch ACKs (a GRO receiver's one ACK per 16 segments) still double the
   * window each round trip; 2 is RFC 3465's cap, 1 RFC 5681's "at most SMSS per ACK". A number
   * >= 1 or Infinity. Always 1 after a retransmission timeout (RFC 3465 2.3). Applies to 'reno'
   * and 'cubic'; a factory builds its controller as it likes.
   */
  readonly slowStartLimit: number;
  /** Restart from the initial window after an idle period longer than the RTO (RFC 5681 4.1). */
  readonly slowStartAfterIdle: boolean;
  /** RACK-TLP loss detection (RFC 8985) beside DupThresh, when SACK is in use. */
  readonly rack: boolean;
  /**
   * Explicit Congestion Notification (RFC 3168): 'on' asks for it in our SYNs and accepts it;
   * 'passive' (the default, as Linux's tcp_ecn = 2) accepts it when the peer asks; 'off' never.
   */
  readonly ecn: 'on' | 'passive' | 'off';
}

export const DEFAULT_TCP_CONFIG: TcpConfig = {
  ipVersion: 4,
  mtu: 1500,
  ipOptionsSize: 0,
  mss: undefined,
  sendBufferSize: 256 * 1024,
  recvBufferSize: 256 * 1024,
  nagle: true,
  delayedAck: 40,
  keepAlive: false,
  keepAliveIdle: 2 * 60 * 60 * 1000,
  keepAliveInterval: 75 * 1000,
  keepAliveCount: 9,
  userTimeout: 5 * 60 * 1000,
  msl: 30 * 1000,
  initialRto: 1000,
  minRto: 1000,
  maxRto: 60 * 1000,
  maxSynRetries: 7,
  maxRetransmits: 15,
  retransmitAdvice: 3,
  maxOutOfOrderRanges: 1024,
  windowScaling: true,
  timestamps: true,
  sack: true,
  challengeAckLimit: 10,
  challengeAckInterval: 5000,
  swsOverride: 200,
  finWait2Timeout: 60 * 1000,
  illegalOptionAction: 'reset',
  congestionControl: 'reno',
  slowStartLimit: DEFAULT_SLOW_START_LIMIT,
  slowStartAfterIdle: true,
  rack: true,
  ecn: 'passive',
};

/** IP header size without options. */
export function ipHeaderSize(c: TcpConfig): number {
  return c.ipVersion === 6 ? 40 : 20;
}

/** The default send MSS when the peer sends no MSS option (MUST-15): 536 for IPv4, 1220 for IPv6. */
export function defaultSendMss(c: TcpConfig): number {
  return c.ipVersion === 6 ? 1220 : 536;
}

/** MMS_S = MMS_R: the largest transport message the IP layer sends/reassembles (RFC 1122 3.3.2). */
export function mmsS(c: TcpConfig): number {
  return c.mtu - ipHeaderSize(c);
}

/** The MSS we advertise: the configured one, else MMS_R - 20 (MUST-67), never above 65535. */
export function advertisedMss(c: TcpConfig): number {
  const limit = Math.min(65535, mmsS(c) - 20);
  return c.mss === undefined ? limit : Math.min(c.mss, limit);
}

export function congestionFactory(c: TcpConfig): CongestionControlFactory {
  const cc = c.congestionControl;
  const options = { slowStartLimit: c.slowStartLimit };
  if (cc === 'reno') return (mss) => new Reno(mss, options);
  if (cc === 'cubic') return (mss) => new Cubic(mss, options);
  if (cc === 'none') return () => new NoCongestionControl();
  return cc;
}

function bad(field: string, why: string): never {
  throw new SynackError('ERR_SYNACK_BAD_CONFIG', `TCP config: ${field} ${why}`);
}

function int(c: TcpConfig, field: keyof TcpConfig, lo: number, hi: number): void {
  const v = c[field];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) bad(field, `must be an integer in [${lo}, ${hi}], got ${String(v)}`);
}

function ms(c: TcpConfig, field: keyof TcpConfig, lo: number, hi: number): void {
  const v = c[field];
  if (typeof v !== 'number' || Number.isNaN(v) || v < lo || v > hi) bad(field, `must be a number of ms in [${lo}, ${hi}], got ${String(v)}`);
}

/** Resolved configs by the overrides object they came from: connections made alike share one. */
const resolved = new WeakMap<object, TcpConfig>();
let resolvedDefault: TcpConfig | undefined;

/** Whether `c` is what `overrides` resolves to now (the caller may have changed the object since). */
function stillResolves(c: TcpConfig, overrides: Partial<TcpConfig>): boolean {
  const o = overrides as Record<string, unknown>;
  const r = c as unknown as Record<string, unknown>;
  const d = DEFAULT_TCP_CONFIG as unknown as Record<string, unknown>;
  for (const k of Object.keys(d)) {
    if (k in o ? o[k] !== r[k] : d[k] !== r[k]) return false;
  }
  return true;
}

/**
 * Defaults + overrides, validated and frozen. Throws SynackError('ERR_SYNACK_BAD_CONFIG') on a bad
 * field. Resolving the same overrides object again returns the same frozen config (a connection
 * costs no config copy), unless the object was changed in between.
 */
export function resolveConfig(overrides: Partial<TcpConfig> = {}): TcpConfig {
  let empty = true;
  for (const _ in overrides) {
    empty = false;
    break;
  }
  if (empty) return (resolvedDefault ??= build(overrides));
  const hit = resolved.get(overrides);
  if (hit !== undefined && stillResolves(hit, overrides)) return hit;
  const c = build(overrides);
  resolved.set(overrides, c);
  return c;
}

function build(overrides: Partial<TcpConfig>): TcpConfig {
  const c: TcpConfig = { ...DEFAULT_TCP_CONFIG, ...overrides };
  if (c.ipVersion !== 4 && c.ipVersion !== 6) bad('ipVersion', 'must be 4 or 6');
  int(c, 'mtu', c.ipVersion === 6 ? 1280 : 68, 1 << 20);
  int(c, 'ipOptionsSize', 0, c.ipVersion === 6 ? 1 << 16 : 40);
  if (mmsS(c) - 20 - c.ipOptionsSize < 1) bad('mtu', 'leaves no room for data');
  if (c.mss !== undefined) int(c, 'mss', 1, 65535);
  // Windows above 2^30 cannot be expressed even with the largest scale shift (RFC 7323 2.3).
  int(c, 'sendBufferSize', 1, 1 << 30);
  int(c, 'recvBufferSize', 1, 1 << 30);
  ms(c, 'delayedAck', 0, 499); // MUST-40: strictly less than 0.5 s
  ms(c, 'keepAliveIdle', 1, Infinity);
  ms(c, 'keepAliveInterval', 1, Infinity);
  int(c, 'keepAliveCount', 1, 1000);
  ms(c, 'userTimeout', 1, Infinity);
  ms(c, 'msl', 0, Infinity);
  ms(c, 'initialRto', 1, Infinity);
  ms(c, 'minRto', 1, Infinity);
  ms(c, 'maxRto', 1, Infinity);
  if (c.minRto > c.maxRto) bad('minRto', 'must not exceed maxRto');
  int(c, 'maxSynRetries', 0, 1000);
  int(c, 'maxRetransmits', 1, 1000);
  int(c, 'retransmitAdvice', 1, 1000);
  int(c, 'maxOutOfOrderRanges', 0, 1 << 16);
  int(c, 'challengeAckLimit', 0, 1 << 20);
  ms(c, 'challengeAckInterval', 1, Infinity);
  ms(c, 'swsOverride', 1, Infinity);
  ms(c, 'finWait2Timeout', 1, Infinity);
  if (c.illegalOptionAction !== 'reset' && c.illegalOptionAction !== 'drop') bad('illegalOptionAction', "must be 'reset' or 'drop'");
  if (c.congestionControl !== 'reno' && c.congestionControl !== 'cubic' && c.congestionControl !== 'none' && typeof c.congestionControl !== 'function') {
    bad('congestionControl', "must be 'reno', 'cubic', 'none' or a factory");
  }
  if (!isSlowStartLimit(c.slowStartLimit)) bad('slowStartLimit', `must be a number >= 1 (SMSS per ACK) or Infinity, got ${String(c.slowStartLimit)}`);
  if (typeof c.slowStartAfterIdle !== 'boolean') bad('slowStartAfterIdle', 'must be a boolean');
  if (typeof c.rack !== 'boolean') bad('rack', 'must be a boolean');
  if (c.ecn !== 'on' && c.ecn !== 'passive' && c.ecn !== 'off') bad('ecn', "must be 'on', 'passive' or 'off'");
  return Object.freeze(c);
}
