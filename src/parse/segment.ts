import { matchMarker } from '../text/markers.ts';
import { DATE_ONLY, DOC_TYPE, findLoose, paragraphsOf, type Paragraph } from './text.ts';

/**
 * Splits one normalised file into its policy documents. A compilation lists its documents in a table
 * of contents (their titles are then located in the body) or just runs them one after another (titles
 * are recognised by their shape). Text of the compiler — cover, contents, preface, part and section
 * headings, introductions — is kept apart and never becomes part of a policy.
 */
export interface DocumentSpan {
  titles: string[];
  /** Clean-text offsets: the document runs from start to end; its title from start to titleEnd. */
  start: number;
  titleEnd: number;
  end: number;
}

export interface Segmentation {
  documents: DocumentSpan[];
  compiler: Paragraph[];
  /** Listed titles that could not be found in the body. */
  unplaced: string[];
}

const PART = /^第[一二三四五六七八九十]+部分/;
const SECTION = /^(\d{1,2})\s*[.．、]\s*(\S.{0,24})$/;

export function segment(text: string, toc?: { entries: string[]; end: number }): Segmentation {
  const paras = paragraphsOf(text);
  const bodyStart = toc?.end ?? 0;
  const listed = toc ? locateListed(text, toc) : null;
  const found = mergeAttachments(listed ? listed.found : detectTitles(paras));
  const compilation = found.length > 1 || !!toc;
  // Where compiler text begins after a document: a part heading ("第二部分 …" with its introduction),
  // or a numbered section heading ("2.科技领域") before the next title or closing the file.
  const cuts = compilation ? [...(listed?.sections ?? []), ...paras.filter((p) => PART.test(p.text)).map((p) => p.start)] : [];
  if (compilation && !listed) cuts.push(...sectionHeadings(paras, found));
  cuts.sort((a, b) => a - b);

  const documents: DocumentSpan[] = [];
  const compilerRanges: [number, number][] = [[0, found[0]?.start ?? bodyStart]];
  found.forEach((t, i) => {
    const limit = found[i + 1]?.start ?? text.length;
    const cut = cuts.find((c) => c >= t.titleEnd && c < limit) ?? limit;
    documents.push({ titles: t.titles, start: t.start, titleEnd: t.titleEnd, end: trimEnd(text, t.start, cut) });
    compilerRanges.push([cut, limit]);
  });
  if (found.length === 0) documents.push(wholeFile(text, paras, bodyStart));
  const compiler = compilerRanges.flatMap(([a, b]) => paragraphsOf(text, a, b)).filter((p) => p.text.trim());
  return { documents, compiler, unplaced: listed?.unplaced ?? [] };
}

function trimEnd(text: string, start: number, end: number): number {
  while (end > start && /\s/.test(text[end - 1]!)) end--;
  return end;
}

interface FoundTitle {
  titles: string[];
  start: number;
  titleEnd: number;
}

function locateListed(text: string, toc: { entries: string[]; end: number }) {
  const found: FoundTitle[] = [];
  const sections: number[] = [];
  const unplaced: string[] = [];
  let from = toc.end;
  for (const entry of toc.entries) {
    if (PART.test(entry)) continue; // part headings are reworded in the body; found by shape instead
    const section = SECTION.test(entry) && !DOC_TYPE.test(entry);
    if (!section && !DOC_TYPE.test(entry)) continue;
    const at = findLoose(text, entry, from);
    if (!at) {
      if (!section) unplaced.push(entry);
      continue;
    }
    if (section) sections.push(at[0]);
    else found.push({ titles: [entry], start: at[0], titleEnd: at[1] });
    from = at[1];
  }
  return { found, sections, unplaced };
}

/** A 文号 line ("京政发〔2021〕3号") stands under a title and is never part of it. */
const DOC_NUMBER_LINE = /^[\p{Script=Han}]{1,12}[〔\[［]\s*\d{4}\s*[〕\]］]\s*\d+\s*号$/u;

const titleLine = (s: string): boolean =>
  s.length <= 60 &&
  !/[。；;：:，,、!！?？]$/.test(s) &&
  !/^[《<〈附注\d]/.test(s) &&
  !/：|:/.test(s) &&
  !DATE_ONLY.test(s) &&
  !DOC_NUMBER_LINE.test(s) &&
  !/^https?:/.test(s) &&
  !matchMarker(s);

/** Titles recognised by shape: one to four short lines without end punctuation that end in a document type. */
function detectTitles(paras: Paragraph[]): FoundTitle[] {
  const out: FoundTitle[] = [];
  for (let i = 0; i < paras.length; i++) {
    let joined = '';
    let last = -1;
    for (let k = i; k < Math.min(paras.length, i + 4) && titleLine(paras[k]!.text); k++) {
      joined += paras[k]!.text;
      if (joined.length >= 8 && joined.length <= 90 && DOC_TYPE.test(joined) && paras[k + 1]) last = k;
    }
    if (last < 0) continue;
    const title = paras.slice(i, last + 1).map((p) => p.text).join('');
    out.push({ titles: [title], start: paras[i]!.start, titleEnd: paras[last]!.end });
    i = last;
  }
  return out;
}

/** "…印发《X》的通知" followed by X itself: the notice and its attachment are one document. */
function mergeAttachments(found: FoundTitle[]): FoundTitle[] {
  const out: FoundTitle[] = [];
  for (const t of found) {
    const prev = out[out.length - 1];
    const quoted = prev?.titles[0]!.match(/《([^》]+)》/g)?.map((q) => q.slice(1, -1)) ?? [];
    if (prev && quoted.some((q) => q === t.titles[0] || t.titles[0]!.endsWith(q))) prev.titles.push(t.titles[0]!);
    else out.push({ ...t, titles: [...t.titles] });
  }
  return out;
}

/**
 * Numbered section headings of a compilation without contents: one directly before a title, or one
 * after the last document that continues the compiler's numbering ("7. 四季度出台…汇总").
 */
function sectionHeadings(paras: Paragraph[], found: FoundTitle[]): number[] {
  const starts = new Set(found.map((t) => t.start));
  const out: number[] = [];
  let lastN = 0;
  paras.forEach((p, j) => {
    const m = SECTION.exec(p.text);
    if (!m || /[。；;：:，,]/.test(p.text)) return;
    const beforeTitle = paras[j + 1] && starts.has(paras[j + 1]!.start);
    const closing = Number(m[1]) === lastN + 1 && !found.some((t) => t.start > p.start);
    if (beforeTitle || closing) {
      out.push(p.start);
      lastN = Number(m[1]);
    }
  });
  return out;
}

function wholeFile(text: string, paras: Paragraph[], from: number): DocumentSpan {
  const body = paras.filter((p) => p.start >= from);
  // A cover title: leading short lines without punctuation before the first numbered heading.
  const cover: Paragraph[] = [];
  for (const p of body.slice(0, 4)) {
    if (!titleLine(p.text) || p.text.length > 40) break;
    cover.push(p);
  }
  const title = cover.length && body.length > cover.length ? cover.map((p) => p.text).join('') : '';
  const start = body[0]?.start ?? from;
  return { titles: title ? [title] : [], start, titleEnd: title ? cover[cover.length - 1]!.end : start, end: trimEnd(text, start, text.length) };
}

/**
 * The document's own title run on after a compiler's short heading, in the same paragraph:
 * "健康医疗领域“两区”建设方案" + "国家服务业…建设健康医疗领域工作方案(2021年)" + "为贯彻落实…".
 * It must end in a document type and be followed by how a preamble starts.
 */
const OWN_TITLE = new RegExp(
  String.raw`^(?!为|按照|根据|经|现|近年来)([^，,。；;：:!！?？]{8,90}?(?:条例|规定|办法|细则|方案|措施|意见|通知|通告|公告|决定|规划|计划|指引|指南|纲要|规则)(?:[（(]\d{4}年[)）]|[（(](?:试行|暂行)[)）])?)(?=为|按照|根据|经|现将|近年来|特制定)`,
);

export function ownTitleAfter(text: string, at: number, end: number): { title: string; start: number; end: number } | undefined {
  const nl = text.indexOf('\n', at);
  const m = OWN_TITLE.exec(text.slice(at, Math.min(end, nl < 0 ? text.length : nl)));
  return m ? { title: m[1]!, start: at, end: at + m[1]!.length } : undefined;
}
