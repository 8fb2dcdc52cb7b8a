/**
 * The figures of a Chinese passage in English, for the first line of an answer to an English
 * question: amounts of money, periods, dates and shares. The quotes stay Chinese; these let a
 * reader see the fact without reading them.
 */
const DIGITS: Record<string, number> = { 零: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };

/** "15", "1.5", "十五", "二十" → a number; undefined for other text. */
export function parseNumber(s: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  if (!/^[零一二两三四五六七八九十]+$/.test(s)) return undefined;
  const ten = s.indexOf('十');
  if (ten < 0) return s.length === 1 ? DIGITS[s] : undefined;
  const tens = ten === 0 ? 1 : DIGITS[s.slice(0, ten)];
  const ones = ten === s.length - 1 ? 0 : DIGITS[s.slice(ten + 1)];
  return tens === undefined || ones === undefined ? undefined : tens * 10 + ones;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** 30000000 → "30 million", 500000 → "500,000". */
export function largeNumber(n: number): string {
  const round = (x: number) => String(Math.round(x * 100) / 100);
  if (n >= 1e9) return `${round(n / 1e9)} billion`;
  if (n >= 1e6) return `${round(n / 1e6)} million`;
  return n.toLocaleString('en-US');
}

const NUM = '(\\d+(?:\\.\\d+)?|[零一二两三四五六七八九十]{1,3})';
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

const RULES: { re: RegExp; render: (m: RegExpExecArray) => string | undefined }[] = [
  { re: /(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日/g, render: (m) => `${Number(m[3])} ${MONTHS[Number(m[2]) - 1]} ${m[1]}` },
  {
    re: new RegExp(`${NUM}\\s*(亿|万)?\\s*(美元|元)`, 'g'),
    render: (m) => {
      const n = parseNumber(m[1]!);
      if (n === undefined) return undefined;
      return `${m[3] === '美元' ? 'USD' : 'CNY'} ${largeNumber(n * (m[2] === '亿' ? 1e8 : m[2] === '万' ? 1e4 : 1))}`;
    },
  },
  { re: /(\d+(?:\.\d+)?)\s*[%％]/g, render: (m) => `${m[1]}%` },
  { re: new RegExp(`${NUM}\\s*个?工作日`, 'g'), render: (m) => withNumber(m[1]!, (n) => plural(n, 'working day')) },
  { re: new RegExp(`${NUM}\\s*个月`, 'g'), render: (m) => withNumber(m[1]!, (n) => plural(n, 'month')) },
  { re: new RegExp(`${NUM}\\s*(?:日|天)(?:内|以内|之内)`, 'g'), render: (m) => withNumber(m[1]!, (n) => `within ${plural(n, 'day')}`) },
  { re: new RegExp(`${NUM}\\s*年(?:内|以内|以上|后)`, 'g'), render: (m) => withNumber(m[1]!, (n) => plural(n, 'year')) },
];

function withNumber(s: string, f: (n: number) => string): string | undefined {
  const n = parseNumber(s);
  return n === undefined ? undefined : f(n);
}

/** The figures a passage states, in English, in the order they appear, each once. */
export function englishFigures(text: string): string[] {
  const found: { at: number; text: string }[] = [];
  for (const { re, render } of RULES)
    for (const m of text.matchAll(re)) {
      const out = render(m as RegExpExecArray);
      if (out) found.push({ at: m.index ?? 0, text: out });
    }
  return [...new Set(found.sort((a, b) => a.at - b.at).map((f) => f.text))];
}

/** "2021-02-05" → "5 February 2021". */
export function englishDate(iso: string): string {
  const [y, m, d] = iso.split('-').map(Number);
  return `${d} ${MONTHS[m! - 1]} ${y}`;
}
