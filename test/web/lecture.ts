/**
 * The lecture's half-close (seeds/003, 4.4.3 "Halbschließen"): its nine segments as the lecture
 * prints them, parsed into the fields it gives, and a matcher that finds them, in order, in a list
 * of segments written in the same notation (the ladder's labels). The lecture omits ACK flags and
 * A's sequence number on some segments; a field the lecture does not give is not compared.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface LectureSegment {
  readonly from: string;
  readonly to: string;
  readonly syn: boolean;
  readonly fin: boolean;
  readonly ack?: number;
  readonly seq?: number;
  readonly bytes: number;
  readonly text: string;
}

/** "A -> B [ ACK, ack=1066, seq=86, 5 bytes data ]" (or our ladder label with from/to given). */
export function parseLecture(text: string, from = '', to = ''): LectureSegment {
  const m = /^(\w+) -> (\w+) \[(.*)\]$/.exec(text.trim());
  const body = m === null ? text : (m[3] as string);
  const fields = body.split(',').map((f) => f.trim());
  const num = (k: string): number | undefined => {
    const f = fields.find((x) => x.startsWith(`${k}=`));
    return f === undefined ? undefined : Number(f.slice(k.length + 1));
  };
  const data = fields.find((f) => / bytes? data$/.test(f));
  const ack = num('ack');
  const seq = num('seq');
  return {
    from: m?.[1] ?? from,
    to: m?.[2] ?? to,
    syn: fields.includes('SYN'),
    fin: fields.includes('FIN'),
    ...(ack !== undefined ? { ack } : {}),
    ...(seq !== undefined ? { seq } : {}),
    bytes: data === undefined ? 0 : Number(data.split(' ')[0]),
    text: text.trim(),
  };
}

/** The nine segments of the lecture's half-close, read from the seed document. */
export function lectureHalfClose(seeds: string): LectureSegment[] {
  const file = readdirSync(seeds).map((f) => join(seeds, f)).find((f) => readFileSync(f, 'utf8').includes('Halbschließen'));
  if (file === undefined) throw new Error(`no seed with the lecture in ${seeds}`);
  const text = readFileSync(file, 'utf8');
  const from = text.indexOf('Als Nächstes soll eine Situation beschrieben werden, bei der ein Halbschließen');
  const lines = text.slice(from).split('\n').filter((l) => /^[AB] -> [AB] \[/.test(l.trim()));
  return lines.map((l) => parseLecture(l));
}

/** Where each lecture segment sits in `ours` (in order), or a message naming the first mismatch. */
export function matchInOrder(lecture: readonly LectureSegment[], ours: readonly LectureSegment[]): number[] | string {
  const at: number[] = [];
  let j = 0;
  for (const want of lecture) {
    const same = (s: LectureSegment): boolean =>
      s.from === want.from &&
      s.to === want.to &&
      s.syn === want.syn &&
      s.fin === want.fin &&
      s.bytes === want.bytes &&
      (want.ack === undefined || s.ack === want.ack) &&
      (want.seq === undefined || s.seq === want.seq);
    while (j < ours.length && !same(ours[j] as LectureSegment)) j++;
    if (j === ours.length) return `lecture segment not found in order: ${want.text}`;
    at.push(j++);
  }
  return at;
}
