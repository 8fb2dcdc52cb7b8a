import type { Citation, ContextClause, Draft } from './types.ts';

/**
 * Citation verification, around every answerer: a marker must resolve to a clause that was
 * retrieved for this question, and a quote must be verbatim from that clause (whitespace aside).
 * A citation that fails is removed with its markers, never shown; the rest are renumbered in order
 * of first mention.
 */
export interface Verified {
  text: string;
  citations: Citation[];
  /** Citations removed and why, for logs and tests. */
  rejected: { n: number; reason: string }[];
}

const squash = (s: string) => s.replace(/\s+/g, '');

export function verifyDraft(draft: Draft, context: ContextClause[]): Verified {
  const byClause = new Map(context.map((c) => [c.clause.id, c]));
  const rejected: Verified['rejected'] = [];
  const valid = new Map<number, { ctx: ContextClause; quote: string }>();
  for (const c of draft.citations) {
    const ctx = byClause.get(c.clauseId);
    if (!ctx) rejected.push({ n: c.n, reason: `clause ${c.clauseId} was not among the retrieved clauses` });
    else if (!c.quote.trim() || !squash(ctx.clause.text).includes(squash(c.quote))) rejected.push({ n: c.n, reason: `quote is not verbatim from ${ctx.clause.label}` });
    else if (valid.has(c.n)) rejected.push({ n: c.n, reason: 'duplicate citation number' });
    else valid.set(c.n, { ctx, quote: c.quote.trim() });
  }
  // Renumber by first mention in the text; a valid citation never mentioned keeps its place after.
  const order: number[] = [];
  for (const m of draft.text.matchAll(/\[(\d+)\]/g)) {
    const n = Number(m[1]);
    if (valid.has(n) && !order.includes(n)) order.push(n);
  }
  for (const n of valid.keys()) if (!order.includes(n)) order.push(n);
  const renumber = new Map(order.map((n, i) => [n, i + 1]));
  const text = draft.text
    .replace(/\[(\d+)\]/g, (_, d: string) => (renumber.has(Number(d)) ? `[${renumber.get(Number(d))}]` : ''))
    .replace(/[ \t]+\n/g, '\n')
    .trim();
  const citations = order.map((n): Citation => {
    const { ctx, quote } = valid.get(n)!;
    return {
      n: renumber.get(n)!,
      id: ctx.clause.id,
      label: ctx.clause.label,
      documentId: ctx.document.id,
      documentTitle: ctx.document.title,
      docNumber: ctx.document.docNumber,
      date: ctx.document.issueDate,
      quote,
    };
  });
  return { text, citations, rejected };
}
