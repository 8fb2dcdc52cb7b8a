import { z } from './zod.ts';
import type { CorpusStore } from '../ingest/store.ts';
import type { Clause, PolicyDocument } from '../parse/types.ts';
import { resolveClause } from '../retrieve/reference.ts';
import { InvalidInputError, NotFoundError } from './errors.ts';
import { shortText, type ToolDefinition } from './fields.ts';

const ID_PREFIX = /^d[0-9a-f]{9}-/;
const ID = /^d[0-9a-f]{9}-[a-z0-9.]+-[0-9a-f]{4}(~\d+)?$/;

export const GetClauseInput = z
  .object({
    id: z.string().trim().regex(ID, 'not a clause id (ids look like d08419644f-a15-3f9c)').optional().describe('A clause id, e.g. d08419644f-a15-3f9c'),
    reference: shortText
      .trim()
      .min(1, 'the reference is empty')
      .optional()
      .describe('Or a reference: 自贸区条例第十五条, 《中国（北京）自由贸易试验区条例》第15条, 京政发〔2021〕3号第五条'),
  })
  .refine((x) => x.id !== undefined || x.reference !== undefined, 'give a clause id or a reference such as 自贸区条例第十五条');

const DocumentRef = z.object({
  id: z.string(),
  title: z.string(),
  docNumber: z.string().optional().describe('文号, e.g. 京政发〔2021〕3号'),
  issuer: z.string().optional(),
  issueDate: z.string().optional(),
  validFrom: z.string().optional(),
  validUntil: z.string().optional(),
  timeStatements: z.array(z.string()).describe('Effective/expiry statements as written in the document'),
});

export const ClauseView = z.object({
  id: z.string().describe('Clause id; pass it to get_clause'),
  label: z.string().describe('Citation label, e.g. 《中国（北京）自由贸易试验区条例》第三章 第十五条'),
  number: z.string().describe('The clause number and heading, e.g. 第十五条'),
  headingPath: z.array(z.string()),
  text: z.string().describe('Verbatim clause text'),
  document: DocumentRef,
  prevId: z.string().optional(),
  nextId: z.string().optional(),
  source: z.object({ file: z.string(), start: z.number(), end: z.number() }).describe('Offsets of the clause in its source file'),
});

export const GetClauseOutput = z.object({
  clause: ClauseView,
  previous: ClauseView.optional().describe('The clause before, for context'),
  next: ClauseView.optional().describe('The clause after, for context'),
});

export type GetClauseInput = z.infer<typeof GetClauseInput>;
export type ClauseView = z.infer<typeof ClauseView>;
export type ClauseWithNeighbours = z.infer<typeof GetClauseOutput>;

export const clauseTool = {
  name: 'get_clause',
  title: 'Look up a clause verbatim',
  description:
    'Look up one clause verbatim, to check or quote a citation. Give either its id (from search_policies or answer_question) ' +
    'or a reference as a person writes it: 自贸区条例第十五条, 《中国（北京）自由贸易试验区条例》第15条, 京政发〔2021〕3号第五条. ' +
    "Returns the clause text exactly as published, its citation label, its document's title, 文号, issuer, dates and validity, and the previous and next clauses for context.",
  input: GetClauseInput,
  output: GetClauseOutput,
} satisfies ToolDefinition;

/** Whether text is meant as a clause id rather than a reference (a malformed id still gets an id's error). */
export const looksLikeClauseId = (text: string): boolean => ID_PREFIX.test(text.trim());

export function clauseView(corpus: CorpusStore, c: Clause): ClauseView {
  const d = corpus.documentById.get(c.docId)!;
  return {
    id: c.id,
    label: c.label,
    number: c.number,
    headingPath: c.headingPath,
    text: c.text,
    document: docRef(d),
    prevId: c.prevId,
    nextId: c.nextId,
    source: { file: d.source.originalName, start: c.sourceStart, end: c.sourceEnd },
  };
}

const docRef = (d: PolicyDocument): ClauseView['document'] => ({
  id: d.id,
  title: d.title,
  docNumber: d.docNumber,
  issuer: d.issuer,
  issueDate: d.issueDate,
  validFrom: d.validFrom,
  validUntil: d.validUntil,
  timeStatements: d.timeStatements,
});

/** A clause by id (a chunk id names its clause) or by a reference such as 自贸区条例第十五条. */
export function getClause(corpus: CorpusStore, input: GetClauseInput): ClauseView {
  if (input.id !== undefined) {
    const clause = corpus.clauseById.get(input.id.replace(/~\d+$/, ''));
    if (!clause) throw new NotFoundError(`no clause has id "${input.id}"; the corpus may have changed — look it up by reference instead`);
    return clauseView(corpus, clause);
  }
  if (input.reference === undefined) throw new InvalidInputError('give a clause id or a reference such as 自贸区条例第十五条');
  return clauseView(corpus, resolveClause(input.reference, corpus.documents, (id) => corpus.clausesOf(id)));
}

/** The clause with its neighbours, for reading a citation in context. */
export function getClauseWithNeighbours(corpus: CorpusStore, input: GetClauseInput): ClauseWithNeighbours {
  const clause = getClause(corpus, input);
  const near = (id?: string) => (id ? clauseView(corpus, corpus.clauseById.get(id)!) : undefined);
  return { clause, previous: near(clause.prevId), next: near(clause.nextId) };
}
