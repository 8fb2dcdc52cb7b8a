// Text helpers shared by the parser stages.

export interface Paragraph {
  /** Offsets into the clean text of the file. */
  start: number;
  end: number;
  text: string;
}

export function paragraphsOf(text: string, from = 0, to = text.length): Paragraph[] {
  const out: Paragraph[] = [];
  let start = from;
  while (start < to) {
    let end = text.indexOf('\n', start);
    if (end < 0 || end > to) end = to;
    if (end > start) out.push({ start, end, text: text.slice(start, end) });
    start = end + 1;
  }
  return out;
}

const HALF = '()[],:;!?';
const FULL = '（）［］，：；！？';

/** Comparison key: no whitespace, full-width punctuation, so PDF and Word copies of a title compare equal. */
export function looseKey(s: string): string {
  let out = '';
  for (const ch of s) {
    if (/\s/.test(ch)) continue;
    const i = HALF.indexOf(ch);
    out += i >= 0 ? FULL[i] : ch;
  }
  return out;
}

/** Finds needle in haystack ignoring whitespace and punctuation width; returns [start, end) in haystack. */
export function findLoose(haystack: string, needle: string, from = 0): [number, number] | null {
  const key = looseKey(needle);
  if (!key) return null;
  const idx: number[] = [];
  let hay = '';
  for (let i = from; i < haystack.length; i++) {
    const k = looseKey(haystack[i]!);
    if (!k) continue;
    hay += k;
    idx.push(i);
  }
  const at = hay.indexOf(key);
  if (at < 0) return null;
  return [idx[at]!, idx[at + key.length - 1]! + 1];
}

/** Document-type words that end the title of a Chinese policy document. */
export const DOC_TYPE =
  /(条例|规定|办法|细则|方案|措施|意见|通知|通告|公告|决定|规划|计划|指引|指南|批复|纲要|规则|政策|函)(?:[（(](?:试行|暂行|修订|修订版|草案|第.批)[)）])?$/;

export const DATE_RE = /(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日/;
export const DATE_ONLY = /^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$/;

export const isoDate = (m: RegExpExecArray | RegExpMatchArray): string =>
  `${m[1]}-${m[2]!.padStart(2, '0')}-${m[3]!.padStart(2, '0')}`;
