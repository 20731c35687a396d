/**
 * Runs `synack conns --json FILE` (src/cli/conns.ts) as its own process for bench/conns.ts, so the
 * benchmark times the command as a user runs it whether or not it is registered in src/cli/main.ts.
 */
import { main } from '../src/cli/conns.js';

main(['--json', '--no-progress', ...process.argv.slice(2)]).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
