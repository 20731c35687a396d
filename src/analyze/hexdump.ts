/**
 * Hex dump in the seeds' layout: a 5-digit hex offset, 16 bytes in upper-case hex, then ASCII
 * with non-printable bytes shown as '.'. Pure: no I/O; one string per line.
 */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, '0'));

function printable(b: number): string {
  return b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
}

/** Lines of `00000:  02 60 8C ...   .`.....` for `bytes`; `width` bytes per line. */
export function hexdumpLines(bytes: Uint8Array, width = 16): string[] {
  const lines: string[] = [];
  for (let off = 0; off < bytes.length; off += width) {
    const end = Math.min(off + width, bytes.length);
    let hex = '';
    let ascii = '';
    for (let i = off; i < end; i++) {
      const b = bytes[i] as number;
      hex += (i > off ? ' ' : '') + HEX[b];
      ascii += printable(b);
    }
    lines.push(`${off.toString(16).toUpperCase().padStart(5, '0')}:  ${hex.padEnd(width * 3 - 1)}   ${ascii}`);
  }
  return lines;
}
