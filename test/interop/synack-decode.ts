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
export const cliPath = resolve(repoRoot, 'src', 'cli', 'main.ts');

/** Why the decoder cannot be run yet, or null. */
export function decoderUnavailable(): string | null {
  return existsSync(cliPath) ? null : `synack decoder CLI not there yet (${cliPath})`;
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
