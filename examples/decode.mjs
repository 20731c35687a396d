// Decode the seed capture with the library: one summary line and a few fields per frame.
// Run after `npm install`: node examples/decode.mjs [FILE]
import { readFileSync } from 'node:fs';
import { capture, dissect, summaryLine } from 'synack';

const file = capture.decodeCapture(new Uint8Array(readFileSync(process.argv[2] ?? 'test/fixtures/kb172983.pcap')));
for (const record of file.records) {
  const frame = dissect(record);
  console.log(summaryLine(frame, record.timestamp.toFixed(6)));
  if (frame.json.tcp) console.log(`     seq ${frame.json.tcp.seq}, checksum ${frame.json.tcp.checksumValid ? 'good' : 'bad'}`);
}
if (file.error) console.error(file.error.message);
