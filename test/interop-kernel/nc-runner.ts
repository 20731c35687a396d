/**
 * Runs `synack nc` (src/cli/nc.ts main) as a process, for nc.test.ts: `node --import tsx
 * nc-runner.ts ARGS...` behaves as `synack nc ARGS...` (same function, same exit code).
 */
import { main } from '../../src/cli/nc.js';

process.exitCode = await main(process.argv.slice(2));
