// Structural markers of Chinese policy texts, below both corpus/ and parse/: normalisation uses them (to keep item boundaries when
// joining wrapped lines) and by the clause parser.

const CN = '零〇一二三四五六七八九十百千两';

export type MarkerKind =
  | 'bian' // 第X编
  | 'zhang' // 第X章
  | 'jie' // 第X节
  | 'tiao' // 第X条
  | 'bufen' // 第X部分
  | 'cn' // 一、
  | 'cnParen' // （一）
  | 'num' // 1. 1．
  | 'numDun' // 1、 (a list of its own: "15、" items may hold "1." sub-items)
  | 'numParen' // （1）
  | 'circled'; // ①

export interface Marker {
  kind: MarkerKind;
  /** The marker as written, e.g. "第十五条", "第十五条之一", "（一）", "1." */
  text: string;
  n: number;
  /** An inserted article's 之N: "第十五条之一" is n 15, sub 1, and follows 第十五条. */
  sub?: number;
  /** Length of marker plus the whitespace after it. */
  length: number;
}

const PATTERNS: [MarkerKind, RegExp][] = [
  ['bian', new RegExp(`^第([${CN}\\d]+)编(?=[\\s\\u3000]|$)`)],
  ['zhang', new RegExp(`^第([${CN}\\d]+)章(?=[\\s\\u3000]|$|[^，。、的])`)],
  ['jie', new RegExp(`^第([${CN}\\d]+)节(?=[\\s\\u3000]|$)`)],
  ['tiao', new RegExp(`^第([${CN}\\d]+)条(?:之([${CN}]+))?(?![例款件])`)],
  ['bufen', new RegExp(`^第([${CN}\\d]+)部分`)],
  ['cn', new RegExp(`^([${CN}]+)[、．.](?![\\d])`)],
  ['cnParen', new RegExp(`^[（(]([${CN}]+)[)）]`)],
  ['num', /^(\d{1,2})(?:．|\.(?!\d))/],
  ['numDun', /^(\d{1,2})、/],
  ['numParen', /^[（(](\d{1,2})[)）]/],
  ['circled', /^([①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳])/],
];

export function matchMarker(text: string): Marker | null {
  for (const [kind, re] of PATTERNS) {
    const m = re.exec(text);
    if (!m) continue;
    const ws = /^[\s\u3000]*/.exec(text.slice(m[0].length))![0].length;
    const n = kind === 'circled' ? '①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳'.indexOf(m[1]!) + 1 : parseNumber(m[1]!);
    const marker: Marker = { kind, text: m[0], n, length: m[0].length + ws };
    if (kind === 'tiao' && m[2]) marker.sub = parseNumber(m[2]);
    return marker;
  }
  return null;
}

const DIGIT: Record<string, number> = { 零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };
const UNIT: Record<string, number> = { 十: 10, 百: 100, 千: 1000 };

/** "二十八" → 28, "一百零三" → 103, "15" → 15. */
export function parseNumber(s: string): number {
  if (/^\d+$/.test(s)) return Number(s);
  let total = 0;
  let digit = 0;
  for (const ch of s) {
    if (ch in DIGIT) digit = DIGIT[ch]!;
    else if (ch in UNIT) {
      total += (digit || 1) * UNIT[ch]!;
      digit = 0;
    }
  }
  return total + digit;
}

/** Markers that open a new paragraph in the source layout (used when joining wrapped lines). */
export const startsStructure = (line: string): boolean => {
  const m = matchMarker(line);
  if (!m) return false;
  // "1." and "一、" also start ordinary sentences in wrapped lines only rarely; require some text after them.
  return m.kind !== 'num' || line.length > m.length + 1;
};
