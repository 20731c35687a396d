#!/usr/bin/env node
/**
 * The `synack` command: dispatches to one module per command (src/cli/<command>.ts). Commands are
 * thin: they parse flags, call the library, and format output. Every error becomes one line on
 * stderr and a non-zero exit code; stack traces only with SYNACK_DEBUG=1.
 */
import { SynackError } from '../errors.js';
import { EXIT } from './output.js';

interface Command {
  readonly summary: string;
  readonly run: (argv: string[]) => Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  demo: {
    summary: 'two synack hosts on the in-memory network: the seeds\' handshake, close and half-close, and more',
    run: async (argv) => (await import('./demo.js')).main(argv),
  },
  decode: {
    summary: 'decode a pcap/pcapng file frame by frame (summary, -V field tree, -x hex, --json)',
    run: async (argv) => (await import('./decode.js')).main(argv),
  },
  conns: {
    summary: 'one record per TCP connection: Zeek state and history, handshake RTT, close, anomalies',
    run: async (argv) => (await import('./conns.js')).main(argv),
  },
  explain: {
    summary: 'a capture explained frame by frame in plain language (--lang en, de, sv, ja)',
    run: async (argv) => (await import('./explain.js')).main(argv),
  },
  ladder: {
    summary: 'the sequence diagram of each connection: text, or SVG with --svg OUT (--lang en, de, sv, ja)',
    run: async (argv) => (await import('./ladder.js')).main(argv),
  },
  nc: {
    summary: 'netcat over the userspace stack on a Linux TUN device (root): connect or listen (-l)',
    run: async (argv) => (await import('./nc.js')).main(argv),
  },
  ui: {
    summary: 'serve the browser UI (capture viewer, connections, simulator) on 127.0.0.1',
    run: async (argv) => (await import('./ui.js')).main(argv),
  },
};

function help(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  return [
    'synack: a TCP/IP toolkit (userspace TCP stack, capture analyzer)',
    '',
    'usage: synack <command> [options]',
    '',
    'commands:',
    ...names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n]?.summary ?? ''}`),
    '',
    "run 'synack <command> --help' for a command's options",
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n');
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  const cmd = COMMANDS[name];
  if (cmd === undefined) {
    process.stderr.write(`synack: unknown command '${name}'\n\n${help()}\n`);
    return EXIT.USAGE;
  }
  return cmd.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (process.env.SYNACK_DEBUG === '1') console.error(err);
    if (err instanceof SynackError) {
      process.stderr.write(`synack: ${err.message}\n`);
      process.exitCode = err.code === 'ERR_SYNACK_USAGE' ? EXIT.USAGE : EXIT.FAILURE;
    } else if (err instanceof Error && 'code' in err && typeof err.code === 'string' && err.code.startsWith('E')) {
      // System errors (ENOENT, EACCES...) are user-facing conditions, not bugs.
      process.stderr.write(`synack: ${err.message}\n`);
      process.exitCode = EXIT.FAILURE;
    } else {
      process.stderr.write(`synack: internal error: ${err instanceof Error ? err.message : String(err)} (SYNACK_DEBUG=1 shows the stack)\n`);
      process.exitCode = EXIT.FAILURE;
    }
  },
);
