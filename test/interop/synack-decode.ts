/**
 * Runs synack's own decoder the way a user does, `node --import tsx src/cli/main.ts decode --json
 * FILE`, and returns its JSON Lines output as one parsed object per frame.
 *
 * Invariant: a non-zero exit, a line that is not a JSON object, or a run longer than the timeout is
 * an error with the CLI's stderr in the message, never a silently shorter frame list.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../kernel/netns.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * The CLI entry run as `node --import tsx <cliPath> decode --json FILE`. SYNACK_DECODE_CLI overrides
 * it (e.g. the built dist/src/cli/main.js, or another decoder to cross-check the comparison).
 */
export const cliPath = process.env['SYNACK_DECODE_CLI'] !== undefined
  ? resolve(process.env['SYNACK_DECODE_CLI'])
  : resolve(repoRoot, 'src', 'cli', 'main.ts');

/** Why the decoder cannot be run yet, or null. main.ts dispatches `decode` to src/cli/decode.ts. */
export function decoderUnavailable(): string | null {
  if (!existsSync(cliPath)) return `synack decoder CLI not there yet (${cliPath})`;
  const decodeModule = resolve(repoRoot, 'src', 'cli', 'decode.ts');
  if (process.env['SYNACK_DECODE_CLI'] === undefined && !existsSync(decodeModule)) {
    return `synack decode command not there yet (${decodeModule})`;
  }
  return null;
}

export async function synackDecodeJson(file: string, timeoutMs = 120_000): Promise<unknown[]> {
  const r = await run([process.execPath, '--import', 'tsx', cliPath, 'decode', '--json', file], {
    timeoutMs,
    cwd: repoRoot,
    allowFailure: true,
  });
  if (r.code !== 0) {
    throw new Error(`synack decode --json ${file}: exit ${r.code ?? r.signal}: ${r.stderr.trim().slice(0, 1000)}`);
  }
  const frames: unknown[] = [];
  r.stdout.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line) as unknown;
    } catch {
      throw new Error(`synack decode --json ${file}: line ${i + 1} is not JSON: ${line.slice(0, 200)}`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      throw new Error(`synack decode --json ${file}: line ${i + 1} is not an object`);
    }
    frames.push(v);
  });
  return frames;
}
