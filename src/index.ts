/**
 * synack's library API. Everything exported here runs in a browser as well as in Node; the Node-only
 * pieces are imported from their own entry points: `synack/node` (Duplex sockets, real-time
 * driver), `synack/capture/node` (capture files on disk), `synack/link/tun` (Linux TUN devices).
 */
export * as wire from './wire/index.js';
export * as capture from './capture/index.js';
export * as tcp from './tcp/index.js';
export { SynackError } from './errors.js';

// The stack and its links.
export { Stack, type StackOptions } from './stack/stack.js';
export { TcpSocket, TcpServer } from './stack/socket.js';
export * from './stack/errors.js';
export { Simulation } from './stack/sim.js';
export { runScenario, ScenarioRun, SCENARIO_NAMES } from './stack/scenarios.js';
export type { Link } from './link/link.js';
export { MemoryPair, type FaultOptions } from './link/memory.js';
export { PcapTap, CaptureRecorder } from './link/tap.js';
export { VirtualScheduler, RealtimeScheduler } from './link/scheduler.js';

// The analyzer.
export { dissect, type Dissection, type FrameJson, type FrameInput } from './analyze/dissect.js';
export { fieldTree, treeLines, type FieldNode, type TreeLayer } from './analyze/fieldtree.js';
export { summaryLine, summaryInfo, tcpFlagLetters, tcpFlagNames } from './analyze/summary.js';
export { hexdumpLines } from './analyze/hexdump.js';
export { ConnTracker, trackConnections, type ConnectionRecord } from './analyze/conns.js';
export { Explainer, explainRecords, renderItem } from './analyze/explain.js';
export { ladderFromConnection, renderLadderText } from './analyze/ladder.js';
export { renderLadderSvg } from './analyze/ladder-svg.js';
export { compileFilter, parseFilter, FilterError } from './analyze/filter.js';
