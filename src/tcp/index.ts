/**
 * The TCP engine's public surface: a sans-IO RFC 9293 connection (`TcpConnection`), the LISTEN
 * state as a pure function, reset generation for closed ports, the ISN generator, configuration,
 * events, and the congestion-control plug-in interface. Browser-safe: no Node imports.
 */
export {
  TcpConnection,
  ourWindowShift,
  type AcceptOptions,
  type ConnectOptions,
  type ListenOptions,
  type SendOptions,
  type TcpInfo,
} from './connection.js';
export { listenSegment, type ListenAction, type SegmentMeta } from './listen.js';
export { resetFor, resetWithSeq, segmentLength } from './reset.js';
export { TcpState, isSynchronized } from './state.js';
export {
  DEFAULT_TCP_CONFIG,
  resolveConfig,
  advertisedMss,
  defaultSendMss,
  mmsS,
  type TcpConfig,
} from './config.js';
export {
  DROP_REASONS,
  type DropReason,
  type IcmpNotice,
  type ResetReason,
  type TcpCounters,
  type TcpEvent,
  type TcpEventType,
  type TimeoutReason,
} from './events.js';
export { IsnGenerator, isnClock, issAbove, type ConnectionTuple } from './isn.js';
export { siphash24, siphash24Words } from './siphash.js';
export {
  NoCongestionControl,
  initialWindow,
  halvedWindow,
  DEFAULT_SLOW_START_LIMIT,
  type ControllerOptions,
  type CongestionControl,
  type CongestionContext,
  type CongestionControlFactory,
} from './congestion.js';
export { Reno } from './reno.js';
export { Cubic, CUBIC_BETA, CUBIC_C } from './cubic.js';
export { Scoreboard, DUP_THRESH, MAX_BLOCKS } from './scoreboard.js';
export { Rack, type RackVerdict } from './rack.js';
export { RttEstimator } from './rtt.js';
export { synOptions, optionsLength, type SynOptionParams } from './options.js';
