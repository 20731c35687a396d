import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hexdumpLines } from '../../src/analyze/hexdump.js';

// Frame 1 of the support article (seeds/000_*.txt), as Network Monitor printed it.
const FRAME1 =
  '02608C9E188B02608C3B85C108004500002C0D014000800' +
  '6E14B836B02D6836B02D3040D008B007D747E0000000060022000F213000002040' +
  '5B42020';

function bytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
}

test('dumps frame 1 with the offsets and byte values of the seed article', () => {
  const lines = hexdumpLines(bytes(FRAME1));
  assert.equal(lines.length, 4);
  assert.match(lines[0] ?? '', /^00000: {2}02 60 8C 9E 18 8B 02 60 8C 3B 85 C1 08 00 45 00 {3}\.`\.\.\.\.\.`\.;\.\.\.\.E\.$/);
  assert.match(lines[2] ?? '', /^00020: {2}02 D3 04 0D 00 8B 00 7D 74 7E 00 00 00 00 60 02 {3}\.\.\.\.\.\.\.}t~\.\.\.\.`\.$/);
  assert.ok((lines[3] ?? '').startsWith('00030:  20 00 F2 13 00 00 02 04 05 B4 20 20'));
});

test('pads a short last line so the ASCII column stays aligned', () => {
  const lines = hexdumpLines(bytes(FRAME1));
  const asciiStart = (line: string | undefined, n: number): number => (line ?? '').length - n;
  assert.equal(asciiStart(lines[3], 12), asciiStart(lines[0], 16));
});

test('an empty buffer dumps to no lines', () => {
  assert.deepEqual(hexdumpLines(new Uint8Array(0)), []);
});
