/**
 * A guess at what a file that is not a capture is, from its first bytes, so that the error card
 * can say "this looks like a JPEG image" under the capture layer's own message. Only well-known
 * signatures; undefined when unsure.
 */

const SIGNATURES: readonly [bytes: readonly number[], what: string][] = [
  [[0xff, 0xd8, 0xff], 'a JPEG image'],
  [[0x89, 0x50, 0x4e, 0x47], 'a PNG image'],
  [[0x47, 0x49, 0x46, 0x38], 'a GIF image'],
  [[0x25, 0x50, 0x44, 0x46], 'a PDF document'],
  [[0x50, 0x4b, 0x03, 0x04], 'a ZIP archive'],
  [[0x1f, 0x8b], 'gzip-compressed (decompress it first: gunzip)'],
  [[0x42, 0x5a, 0x68], 'bzip2-compressed (decompress it first: bunzip2)'],
  [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz-compressed (decompress it first: unxz)'],
  [[0x28, 0xb5, 0x2f, 0xfd], 'zstd-compressed (decompress it first: unzstd)'],
  [[0x7f, 0x45, 0x4c, 0x46], 'an ELF program'],
  [[0x47, 0x4d, 0x42, 0x55], 'a Microsoft Network Monitor 2.x capture (convert it: editcap -F pcapng in.cap out.pcapng)'],
  [[0x52, 0x54, 0x53, 0x53], 'a Microsoft Network Monitor 1.x capture (convert it: editcap -F pcapng in.cap out.pcapng)'],
  [[0x73, 0x6e, 0x6f, 0x6f, 0x70, 0x00], 'a Solaris snoop capture (convert it: editcap -F pcapng in.snoop out.pcapng)'],
];

export function guessFileType(b: Uint8Array): string | undefined {
  for (const [sig, what] of SIGNATURES) {
    if (b.length >= sig.length && sig.every((x, i) => b[i] === x)) return what;
  }
  const head = b.subarray(0, 256);
  if (head.length >= 4 && head.every((x) => x === 0x09 || x === 0x0a || x === 0x0d || (x >= 0x20 && x < 0x7f) || x >= 0x80)) return 'a text file';
  return undefined;
}
