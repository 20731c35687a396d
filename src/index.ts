/**
 * synack's library API. Everything exported here runs in a browser as well as in Node; the Node-only
 * pieces (capture files on disk, the Node socket shell) are imported from their own entry points
 * (`synack/capture/node`).
 */
export * as wire from './wire/index.js';
export * as capture from './capture/index.js';
export { SynackError } from './errors.js';
export { dissect, type Dissection, type FrameJson, type FrameInput } from './analyze/dissect.js';
export { fieldTree, treeLines, type FieldNode, type TreeLayer } from './analyze/fieldtree.js';
export { summaryLine, summaryInfo, tcpFlagLetters, tcpFlagNames } from './analyze/summary.js';
export { hexdumpLines } from './analyze/hexdump.js';
