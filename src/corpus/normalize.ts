import { concat, filter, mapped, replace, slice, trim, type Mapped } from './mapped.ts';
import { matchMarker, startsStructure } from '../text/markers.ts';

/**
 * Normalises a decoded policy file into clean paragraphs, each character mapped back to its source
 * offset. Handles the artefacts of text copied out of PDFs and Word files: hard line wraps, whole
 * files flattened to one line with a space at each former line break, page numbers in running text,
 * dot leaders of tables of contents, words split by spaces, spaced numbers ("2022 年 5 月 1 日") and
 * chapter titles displaced behind the first article of the chapter. Text extracted page by page
 * (pages separated by form feeds, as pdftotext and our PDF reader write it) also loses the running
 * heads and page numbers at the top and bottom of its pages.
 */
export interface Normalised {
  /** Paragraphs joined by "\n". */
  text: string;
  /** offs[i] = source offset of text[i]. */
  offs: number[];
  layout: 'paragraphs' | 'wrapped' | 'flattened';
  /** Line width (in full-width characters) of a wrapped layout. */
  wrapWidth?: number;
  pageNumbersRemoved: number;
  /** Entries of a table of contents, when the file has one; end is the offset in text where it ends. */
  toc?: { entries: string[]; end: number };
}

const TERMINAL = /[。；;：:！!？?]["”’」』)）]*$/;
const ANY_PUNCT = /[。；;：:！!？?，,、]["”’」』)）]*$/;
/** Characters that follow a number that is a quantity, not a page number. */
const UNIT_AFTER = /^[年月日号万亿元%％个项条家次倍天人台所岁届期批款类名件户套座层亩米吨千百余多小周〕\]）).．,，、\-—~～至]/;

export function normalise(source: string, opts: { markdown?: boolean } = {}): Normalised {
  const flattened = isFlattened(source);
  let lines = flattened ? splitOn(source, / +/g) : splitOn(source, /\r?\n|\r/g);
  let furnitureRemoved = 0;
  const paged = !flattened && source.includes('\f');
  if (paged) [lines, furnitureRemoved] = removePageFurniture(lines);
  // Text extracted page by page keeps a paragraph's first-line indent as ideographic spaces: the
  // indented line is as full as the lines after it.
  const indent = new WeakMap<Mapped, number>();
  lines = lines.map((l) => {
    const t = trim(l);
    if (paged) indent.set(t, /^\u3000*/.exec(l.text)![0].length);
    return t;
  });
  if (opts.markdown) lines = lines.map(stripMarkdown);
  // A page's lines are wrapped by its layout however few they are.
  const width = wrapWidth(lines, paged ? 3 : 20);
  const layout = flattened ? 'flattened' : width ? 'wrapped' : 'paragraphs';
  const toc = findToc(lines);
  let pageNumbersRemoved = 0;
  const toParagraphs = (part: Mapped[]): Mapped[] => {
    const before = part.filter((l) => l.text).length;
    let ls = removePageNumbers(part, flattened);
    pageNumbersRemoved += before - ls.filter((l) => l.text).length;
    ls = fixDisplacedChapterTitles(ls.map(removeDotLeaders).filter((l) => l.text.length > 0));
    return layout === 'paragraphs' ? ls : joinWrapped(ls, flattened, (l) => indent.get(l) ?? 0);
  };
  const head = toParagraphs(toc ? lines.slice(0, toc.start) : lines).map(cleanSpaces);
  const entries = toc ? toc.entries.map(cleanSpaces) : [];
  const body = toc ? toParagraphs(lines.slice(toc.end)).map(cleanSpaces) : [];
  const parts: Mapped[] = [];
  let tocEnd: number | undefined;
  for (const p of [...head, ...entries, ...body]) {
    if (!p.text) continue;
    if (parts.length) parts.push({ text: '\n', offs: [p.offs[0]!] });
    parts.push(p);
    if (p === entries[entries.length - 1]) tocEnd = parts.reduce((n, q) => n + q.text.length, 0);
  }
  const all = concat(parts);
  return {
    text: all.text,
    offs: all.offs,
    layout,
    wrapWidth: width ?? undefined,
    pageNumbersRemoved: pageNumbersRemoved + furnitureRemoved,
    toc: toc && tocEnd !== undefined ? { entries: entries.map((e) => e.text).filter(Boolean), end: tocEnd } : undefined,
  };
}

const LEADER = /[.．·…。]{4,}\s*\d*\s*$|[.．·…]{6,}\s*\d*/;

/**
 * A table of contents: a "目录" heading followed by entries that end in dot leaders or page numbers.
 * Its entries become paragraphs of their own, one per listed title or section.
 */
function findToc(lines: Mapped[]): { start: number; end: number; entries: Mapped[] } | null {
  const limit = Math.min(lines.length, 400);
  let start = -1;
  for (let i = 0; i < limit && start < 0; i++) {
    const t = lines[i]!.text.replace(/\s/g, '');
    if (t === '目录') start = i + 1;
    else if (t === '目' && lines[i + 1]?.text.trim() === '录') start = i + 2;
  }
  if (start < 0) return null;
  let end = -1;
  for (let i = start; i < Math.min(lines.length, start + 400); i++) if (LEADER.test(lines[i]!.text)) end = i + 1;
  if (end < 0) return null;
  while (end < lines.length && /^\d{1,3}$/.test(lines[end]!.text)) end++;
  const entries: Mapped[] = [];
  let acc: Mapped[] = [];
  const emit = (last?: Mapped) => {
    if (last?.text) acc.push(last);
    const entry = concat(acc);
    const dots = /[.．]+$/.exec(entry.text);
    if (entry.text) entries.push(dots ? slice(entry, 0, dots.index) : entry);
    acc = [];
  };
  for (const line of lines.slice(start, end)) {
    if (/^\d{1,3}$/.test(line.text)) emit(); // a page number ends the entry before it
    if (!line.text || /^\d{1,3}$/.test(line.text)) continue;
    const leader = LEADER.exec(line.text);
    const glued = /(?<=[\p{Script=Han}》”])\d{1,3}$/u.exec(line.text);
    if (leader) emit(slice(line, 0, leader.index));
    else if (glued) emit(slice(line, 0, glued.index));
    else acc.push(line);
  }
  emit();
  return { start, end, entries };
}

/** Markdown syntax is not policy text: heading hashes, list bullets, emphasis and quote markers go. */
function stripMarkdown(line: Mapped): Mapped {
  return trim(replace(replace(line, /^(#{1,6}|[-*+]|>)\s+/g, ''), /\*\*|__/g, ''));
}

/**
 * A PDF copy flattened to one long line with a space where each line break was: long lines made of
 * many space-separated pieces, most of them about one typeset line long.
 */
function isFlattened(text: string): boolean {
  const longest = text.split('\n').reduce((a, b) => (b.length > a.length ? b : a), '');
  if (longest.length < 500) return false;
  const pieces = longest.split(/ +/).filter(Boolean);
  const lineLike = pieces.filter((p) => p.length >= 15 && p.length <= 40).length;
  return pieces.length >= longest.length / 50 && lineLike >= pieces.length * 0.3;
}

function splitOn(text: string, sep: RegExp): Mapped[] {
  const out: Mapped[] = [];
  let last = 0;
  for (const m of text.matchAll(sep)) {
    out.push(mapped(text.slice(last, m.index), last));
    last = m.index! + m[0].length;
  }
  out.push(mapped(text.slice(last), last));
  return out;
}

export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += ch.charCodeAt(0) < 0x2000 ? 0.5 : 1;
  return w;
}

/**
 * A line that is a page number in one of its printed forms: "— 3 —", "第3页 共10页", "3/10". A bare
 * number is left to removePageNumbers, which tells page numbers from quantities.
 */
const PAGE_NUMBER_LINE = /^(?:[-—–－]+\s*\d{1,4}\s*[-—–－]+|第\s*\d{1,4}\s*页(?:\s*[/／,，]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*[/／]\s*\d{1,4})$/;

/**
 * Page furniture of text extracted page by page: a page's first and last two lines are dropped when
 * they are a printed page number, or when the same line (numbers aside) stands at the edge of at least half
 * of the pages — a running head or foot such as the document's or the site's name.
 */
function removePageFurniture(raw: Mapped[]): [Mapped[], number] {
  const pages: number[][] = [[]];
  raw.forEach((l, i) => {
    if (l.text.includes('\f')) pages.push([]);
    else if (l.text.trim()) pages[pages.length - 1]!.push(i);
  });
  if (pages.length < 2) return [raw, 0];
  const key = (i: number) => raw[i]!.text.replace(/\s+/g, '').replace(/\d+/g, '#');
  const edges = pages.map((p) => [...new Set([...p.slice(0, 2), ...p.slice(-2)])]);
  const seen = new Map<string, number>();
  for (const e of edges) for (const k of new Set(e.map(key))) seen.set(k, (seen.get(k) ?? 0) + 1);
  const often = Math.max(2, pages.filter((p) => p.length).length / 2);
  // A running head has words; a repeated bare number may be a quantity.
  const repeated = (i: number) => seen.get(key(i))! >= often && key(i).replace(/#/g, '').length >= 2;
  const drop = new Set(edges.flat().filter((i) => PAGE_NUMBER_LINE.test(raw[i]!.text.trim()) || repeated(i)));
  return [raw.map((l, i) => (drop.has(i) || l.text.includes('\f') ? { text: '', offs: [] } : l)), drop.size];
}

/**
 * Page numbers are lines (or, in a flattened file, space-delimited pieces) holding only a number.
 * In a flattened file numbers of quantities look the same ("2001 年"), so there a number counts as a
 * page number only when it continues an ascending page sequence and is not followed by a unit.
 */
function removePageNumbers(lines: Mapped[], flattened: boolean): Mapped[] {
  const near = (i: number, dir: 1 | -1): string => {
    for (let j = i + dir; j >= 0 && j < lines.length; j += dir) if (lines[j]!.text) return lines[j]!.text;
    return '';
  };
  const idx = lines.map((_, i) => i).filter((i) => /^\d{1,3}$/.test(lines[i]!.text) && !/第$/.test(near(i, -1)));
  const quantity = (i: number) => UNIT_AFTER.test(near(i, 1)) || /[约共近超达满以至〔(（]$/.test(near(i, -1));
  let drop: Set<number>;
  if (!flattened) drop = new Set(idx.filter((i) => !quantity(i)));
  else {
    // Heaviest chain of numbers ascending by 1–3 (blank pages may be skipped); a number followed by a
    // unit is more likely a quantity, so it weighs less but can still be a page number ("6 194 月").
    const val = idx.map((i) => Number(lines[i]!.text));
    const weight = idx.map((i): number => (quantity(i) ? 0.3 : 1));
    const best = [...weight];
    const from = val.map(() => -1);
    for (let b = 0; b < val.length; b++)
      for (let a = Math.max(0, b - 60); a < b; a++) {
        const step = val[b]! - val[a]!;
        if (step >= 1 && step <= 3 && best[a]! + weight[b]! > best[b]!) {
          best[b] = best[a]! + weight[b]!;
          from[b] = a;
        }
      }
    drop = new Set();
    let end = best.indexOf(Math.max(0, ...best));
    for (; end >= 0 && best[end]! >= 2; end = from[end]!) drop.add(idx[end]!);
  }
  return lines.map((l, i) => (drop.has(i) ? { text: '', offs: [] } : l));
}

function removeDotLeaders(line: Mapped): Mapped {
  const m = LEADER.exec(line.text);
  if (!m) return line;
  return trim(concat([slice(line, 0, m.index), slice(line, m.index + m[0].length)]));
}

/**
 * In some PDF exports a chapter's title lands after its first article number:
 * "第二章 / 第七条 / 支持与鼓励 / 市和区人民政府…". Move such short title pieces back to the chapter.
 */
function fixDisplacedChapterTitles(lines: Mapped[]): Mapped[] {
  const out: Mapped[] = [];
  for (let i = 0; i < lines.length; i++) {
    const chapter = lines[i]!;
    const ch = matchMarker(chapter.text);
    const art = lines[i + 1] && matchMarker(lines[i + 1]!.text);
    if (ch?.kind === 'zhang' && ch.text === chapter.text && art?.kind === 'tiao' && art.text === lines[i + 1]!.text) {
      let j = i + 2;
      const title: Mapped[] = [];
      while (j < lines.length && isTitlePiece(lines[j]!.text) && title.reduce((w, t) => w + t.text.length, 0) < 10) title.push(lines[j++]!);
      if (title.length > 0 && j < lines.length) {
        const gap = { text: ' ', offs: [chapter.offs[chapter.offs.length - 1]! + 1] };
        out.push(concat([chapter, gap, ...title]), lines[i + 1]!);
        i = j - 1;
        continue;
      }
    }
    out.push(chapter);
  }
  return out;
}

const isTitlePiece = (s: string): boolean => s.length <= 8 && !/[\p{P}\d]/u.test(s) && !matchMarker(s);

/** The width lines were wrapped at, when most lines share one width; null for a paragraph-per-line file. */
function wrapWidth(lines: Mapped[], minLines: number): number | null {
  const widths = lines.map((l) => Math.round(displayWidth(l.text))).filter((w) => w >= 10);
  if (widths.length < minLines) return null;
  const count = new Map<number, number>();
  for (const w of widths) count.set(w, (count.get(w) ?? 0) + 1);
  const [mode] = [...count.entries()].sort((a, b) => b[1] - a[1])[0]!;
  const near = widths.filter((w) => Math.abs(w - mode) <= 2).length;
  return near / widths.length >= 0.3 && mode <= 60 ? mode : null;
}

function joinWrapped(lines: Mapped[], flattened: boolean, indentOf: (l: Mapped) => number): Mapped[] {
  // Compilations mix documents typeset at different widths, so "full" is judged against the lines
  // around each line rather than one width for the file.
  const widths = lines.map((l) => displayWidth(l.text) + indentOf(l));
  const localWidth = (i: number): number => {
    const around = widths.slice(Math.max(0, i - 12), i + 13).filter((w) => w >= 10).sort((a, b) => a - b);
    return around.length ? around[Math.floor(around.length * 0.75)]! : 30;
  };
  const paragraphs: Mapped[] = [];
  let cur: Mapped[] = [];
  const flush = () => {
    if (cur.length) paragraphs.push(concat(cur));
    cur = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const a = lines[i]!;
    cur.push(a);
    const b = lines[i + 1];
    if (!b) break;
    const w = localWidth(i);
    if (breakBetween(a.text, b.text, widths[i]! >= w - 2.5, widths[i + 1]! >= w - 2.5, flattened)) flush();
    // Pieces of a flattened file were separated by a space; keep it so that spacing rules can see it.
    else if (flattened) cur.push({ text: ' ', offs: [a.offs[a.offs.length - 1]! + 1] });
  }
  flush();
  return paragraphs;
}

function breakBetween(a: string, b: string, fullA: boolean, fullB: boolean, flattened: boolean): boolean {
  const ma = matchMarker(a);
  if (ma && ma.text === a) return false; // a bare "第七条" or "2." runs on into its text
  if (/\d$/.test(a) && UNIT_AFTER.test(b)) return false;
  const terminal = TERMINAL.test(a);
  if (terminal && !fullA) return true;
  // After a finished sentence, a short line without punctuation is a heading or title, not a continuation.
  if ((terminal || /[)）]$/.test(a)) && !fullB && !ANY_PUNCT.test(b) && !/^[A-Za-z0-9]/.test(b)) return true;
  const mb = matchMarker(b);
  if (mb && startsStructure(b)) {
    const strong = ['bian', 'zhang', 'jie', 'tiao', 'bufen'].includes(mb.kind);
    if (terminal || (!fullA && (strong || !ANY_PUNCT.test(a)))) return true;
  }
  if (fullA || ANY_PUNCT.test(a)) return false;
  // A short line without punctuation is a heading, a title line, a signature or a date — unless the
  // file is flattened, where short pieces also come from spaces inside a line ("2018 年 11 月").
  return !flattened || (ma !== null && !/\d$/.test(a) && !/^[A-Za-z0-9]/.test(b));
}

/**
 * Removes spaces inside a paragraph (word splits, "2022 年 5 月", "总　　则") but keeps one between
 * two Latin letters or digits, and one after a leading 第X章/条 marker.
 */
function cleanSpaces(p: Mapped): Mapped {
  const t = p.text;
  const marker = matchMarker(t);
  const keepAfterMarker =
    marker && ['bian', 'zhang', 'jie', 'tiao', 'bufen'].includes(marker.kind) && marker.length > marker.text.length ? marker.text.length : -1;
  const latin = (c: string | undefined) => c !== undefined && /[A-Za-z0-9]/.test(c);
  const isSpace = (c: string) => /[\s\u3000\u00a0]/.test(c);
  let prevKept = '';
  return filter(p, (i) => {
    const c = t[i]!;
    if (!isSpace(c)) {
      prevKept = c;
      return true;
    }
    if (i === keepAfterMarker) return true;
    if (isSpace(t[i - 1] ?? ' ')) return false;
    let j = i + 1;
    while (j < t.length && isSpace(t[j]!)) j++;
    return latin(prevKept) && latin(t[j]) && /[A-Za-z]/.test(prevKept + t[j]) && (prevKept = ' ') === ' ';
  });
}
