import type { Clause, PolicyDocument } from '../parse/types.ts';
import { NoSuchClauseError, UnknownDocumentError } from '../retrieve/errors.ts';
import { resolveClause } from '../retrieve/reference.ts';
import type { CorpusStore } from '../index/store.ts';
import { InvalidInputError, NotFoundError } from './errors.ts';

export interface ClauseView {
  id: string;
  label: string;
  number: string;
  headingPath: string[];
  /** Verbatim clause text. */
  text: string;
  document: { id: string; title: string; docNumber?: string; issuer?: string; issueDate?: string; validFrom?: string; validUntil?: string; timeStatements: string[] };
  prevId?: string;
  nextId?: string;
  /** Offsets of the clause in its source file, for checking the quote against the original. */
  source: { file: string; start: number; end: number };
}

export const MAX_REFERENCE_LENGTH = 200;
const ID_PREFIX = /^d[0-9a-f]{9}-/;
const ID = /^d[0-9a-f]{9}-[a-z0-9.]+-[0-9a-f]{4}(~\d+)?$/;

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
export function getClause(corpus: CorpusStore, input: { id?: string; reference?: string }): ClauseView {
  if (input.id !== undefined) {
    const id = input.id.trim();
    if (!ID.test(id)) throw new InvalidInputError(`"${id.slice(0, 80)}" is not a clause id (ids look like d08419644f-a15-3f9c)`);
    const clause = corpus.clauseById.get(id.replace(/~\d+$/, ''));
    if (!clause) throw new NotFoundError(`no clause has id "${id}"; the corpus may have changed — look it up by reference instead`);
    return clauseView(corpus, clause);
  }
  const ref = input.reference?.trim() ?? '';
  if (!ref) throw new InvalidInputError('give a clause id or a reference such as 自贸区条例第十五条');
  if (ref.length > MAX_REFERENCE_LENGTH) throw new InvalidInputError(`a reference is at most ${MAX_REFERENCE_LENGTH} characters`);
  try {
    return clauseView(corpus, resolveClause(ref, corpus.documents, (id) => corpus.clausesOf(id)));
  } catch (e) {
    if (e instanceof UnknownDocumentError || e instanceof NoSuchClauseError) throw new NotFoundError(e.message);
    throw e;
  }
}

/** The clause with its neighbours, for reading a citation in context. */
export function getClauseWithNeighbours(corpus: CorpusStore, input: { id?: string; reference?: string }) {
  const clause = getClause(corpus, input);
  const near = (id?: string) => (id ? clauseView(corpus, corpus.clauseById.get(id)!) : undefined);
  return { clause, previous: near(clause.prevId), next: near(clause.nextId) };
}
