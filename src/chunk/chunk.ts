import { createHash } from 'node:crypto';
import type { Clause } from '../parse/types.ts';

/**
 * Retrieval units. A clause that is short enough is one chunk; a long one is split at paragraph
 * (款) boundaries, then at sentence boundaries, and each piece keeps the clause's label plus its
 * paragraph (第二款). A chunk never crosses a clause, so never two articles or two documents.
 */
export interface Chunk {
  id: string;
  clauseId: string;
  docId: string;
  label: string;
  /** Document title and headings, for retrieval; kept apart from the verbatim text. */
  title: string;
  headingPath: string[];
  /** Verbatim text of this piece of the clause. */
  text: string;
  /** Offsets into the clause text. */
  start: number;
  end: number;
}

/**
 * Bumped whenever ingesting the same corpus gives other clauses or chunks, so a persisted index is
 * rebuilt rather than loaded as current. 2: header (标题) and signature (落款) clauses. 3: documents' own titles, metadata with offsets, duplicates left out.
 */
export const CHUNKER_VERSION = 3;
const TARGET = 450;
const MAX_SINGLE = 600;

export const shortHash = (s: string, n = 6): string => createHash('sha256').update(s).digest('hex').slice(0, n);

export function chunkClause(clause: Clause, docTitle: string, paraWord: '款' | '段'): Chunk[] {
  const base = { clauseId: clause.id, docId: clause.docId, title: docTitle, headingPath: clause.headingPath };
  if (clause.text.length <= MAX_SINGLE) return [{ ...base, id: clause.id, label: clause.label, text: clause.text, start: 0, end: clause.text.length }];
  const pieces = splitClause(clause.text);
  return pieces.map((p, i) => ({
    ...base,
    id: `${clause.id}~${i + 1}`,
    label: `${clause.label}${p.firstPara === p.lastPara ? `第${p.firstPara}${paraWord}` : `第${p.firstPara}至${p.lastPara}${paraWord}`}`,
    text: clause.text.slice(p.start, p.end),
    start: p.start,
    end: p.end,
  }));
}

interface Piece {
  start: number;
  end: number;
  firstPara: number;
  lastPara: number;
}

function splitClause(text: string): Piece[] {
  // Sentences (ending in 。；！？ or a paragraph break) tagged with their paragraph number.
  const sentences: Piece[] = [];
  let para = 1;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\n') {
      if (i > start) sentences.push({ start, end: i, firstPara: para, lastPara: para });
      para++;
      start = i + 1;
    } else if ('。；！？'.includes(ch) && !'”’」）)'.includes(text[i + 1] ?? '')) {
      sentences.push({ start, end: i + 1, firstPara: para, lastPara: para });
      start = i + 1;
    }
  }
  if (start < text.length) sentences.push({ start, end: text.length, firstPara: para, lastPara: para });

  // Pack whole paragraphs while they fit; a paragraph that does not fit alone is packed by sentences.
  const pieces: Piece[] = [];
  let cur = null as Piece | null;
  const paras = [...new Set(sentences.map((s) => s.firstPara))];
  for (const p of paras) {
    const ss = sentences.filter((s) => s.firstPara === p);
    const whole: Piece = { start: ss[0]!.start, end: ss[ss.length - 1]!.end, firstPara: p, lastPara: p };
    if (cur && whole.end - cur.start <= TARGET) {
      cur = { ...cur, end: whole.end, lastPara: p };
      continue;
    }
    if (cur) pieces.push(cur);
    cur = null;
    if (whole.end - whole.start <= MAX_SINGLE) {
      cur = whole;
      continue;
    }
    let run = null as Piece | null;
    for (const s of ss) {
      if (run && s.end - run.start > TARGET) {
        pieces.push(run);
        run = null;
      }
      run = run ? { ...run, end: s.end } : { ...s };
    }
    if (run) cur = run;
  }
  if (cur) pieces.push(cur);
  // Each piece also starts with the last sentence of the piece before, so a passage that runs across
  // a cut is still mostly inside one chunk.
  return pieces.map((p, i) => {
    const prevLast = i > 0 ? sentences.filter((s) => s.end <= pieces[i - 1]!.end).pop() : undefined;
    const start = prevLast && prevLast.end - prevLast.start <= 160 ? prevLast.start : p.start;
    return { ...p, start: skipSpace(text, start) };
  });
}

const skipSpace = (text: string, i: number): number => {
  while (i < text.length && /\s/.test(text[i]!)) i++;
  return i;
};
