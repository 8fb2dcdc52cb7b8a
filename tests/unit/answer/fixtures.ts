import type { ContextClause } from '../../../src/answer/types.ts';
import type { Clause, PolicyDocument } from '../../../src/parse/types.ts';

/** A made-up document and clauses for answer-stage unit tests. */
export function doc(over: Partial<PolicyDocument> = {}): PolicyDocument {
  return {
    id: 'doc-a',
    title: '某某区小微企业房租补贴办法',
    titles: ['某某区小微企业房租补贴办法'],
    aliases: [],
    shortNames: [],
    docNumber: '某政发〔2021〕1号',
    issuers: [],
    issueDate: '2021-03-01',
    timeStatements: [],
    repeals: [],
    repealedBy: [],
    bodyMissing: false,
    provenance: { issuers: [] },
    kind: 'regulation',
    source: { file: 'a.txt', originalName: 'a.txt', start: 0, end: 100 },
    clauseCount: 2,
    ...over,
  };
}

export function clause(id: string, text: string, over: Partial<Clause> = {}): Clause {
  return { id, docId: 'doc-a', label: `《某某区小微企业房租补贴办法》${id}`, number: id, headingPath: [], text, start: 0, end: text.length, sourceStart: 0, sourceEnd: text.length, ordinal: 0, ...over };
}

export function ctx(n: number, c: Clause, d: PolicyDocument = doc()): ContextClause {
  return { n, clause: c, document: d, scores: { fused: 1 }, rank: n };
}
