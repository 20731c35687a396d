/**
 * TCP engine bulk throughput (engines alone, no codec): kept under this name for the runner; the
 * measurement lives in bench/tcp-work.ts and runs compiled in a child process (bench/tcp.ts).
 */
export { tcpEngineBenchmark } from './tcp.js';
