/**
 * Child-process entry of the TCP benchmarks (bench/tcp.ts runs it compiled by tsc):
 *
 *   node tcp-worker.js bulk <bytes> <mtu>       bulk through the codec, then the unavoidable work
 *   node tcp-worker.js stacks <bytes> <mtu>     bulk between two Stacks over the in-memory link, then
 *                                               the floor of that design (designFloor)
 *   node tcp-worker.js engine <bytes> <case>    bulk between engines alone (ENGINE_CASES index)
 *   node tcp-worker.js handshakes <n> <codec>   connect/accept/close lifetimes (codec: 0 or 1)
 *   node --expose-gc tcp-worker.js memory <n>   heap per idle established connection
 *
 * Prints one JSON object on stdout. Each measurement is preceded by a warm-up of the same code,
 * so what is timed is optimized code, not the JIT's first passes.
 */
import { bulkEngineOnly, designFloor, bulkThroughCodec, bulkThroughStacks, ENGINE_CASES, handshakes, idleConnections, unavoidableWork } from './tcp-work.js';

function arg(i: number, name: string): number {
  const v = Number(process.argv[i]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`tcp-worker: ${name} must be a positive number, got '${process.argv[i] ?? ''}'`);
  return v;
}

function main(): void {
  const what = process.argv[2];
  switch (what) {
    case 'bulk': {
      const total = arg(3, 'bytes');
      const mtu = arg(4, 'mtu');
      const mss = mtu - 40;
      const warm = Math.min(total, 64 << 20);
      bulkThroughCodec(warm, mtu);
      unavoidableWork(warm, mss);
      const r = bulkThroughCodec(total, mtu);
      const unavoidableMs = unavoidableWork(total, mss);
      process.stdout.write(`${JSON.stringify({ ...r, mss, unavoidableMs })}\n`);
      return;
    }
    case 'stacks': {
      const total = arg(3, 'bytes');
      const mtu = arg(4, 'mtu');
      const warm = Math.min(total, 64 << 20);
      bulkThroughStacks(warm, mtu);
      designFloor(warm, mtu - 40);
      const r = bulkThroughStacks(total, mtu);
      const floorMs = designFloor(total, mtu - 40);
      designFloor(warm, mtu - 40, true);
      const zeroCopyFloorMs = designFloor(total, mtu - 40, true);
      process.stdout.write(`${JSON.stringify({ ...r, floorMs, zeroCopyFloorMs })}\n`);
      return;
    }
    case 'engine': {
      const total = arg(3, 'bytes');
      const c = ENGINE_CASES[Number(process.argv[4])];
      if (c === undefined) throw new Error(`tcp-worker: no engine case '${process.argv[4] ?? ''}'`);
      bulkEngineOnly(Math.min(total, 64 << 20), c.config);
      process.stdout.write(`${JSON.stringify(bulkEngineOnly(total, c.config))}\n`);
      return;
    }
    case 'handshakes': {
      const n = arg(3, 'n');
      const codec = process.argv[4] === '1';
      handshakes(Math.min(n, 20_000), codec);
      process.stdout.write(`${JSON.stringify(handshakes(n, codec))}\n`);
      return;
    }
    case 'memory': {
      process.stdout.write(`${JSON.stringify(idleConnections(arg(3, 'n')))}\n`);
      return;
    }
    default:
      throw new Error(`tcp-worker: unknown measurement '${what ?? ''}' (bulk, handshakes, memory)`);
  }
}

main();
