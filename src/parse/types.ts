/** A policy document: one regulation, plan, measure or notice (a notice and the policy it issues are one). */
export interface PolicyDocument {
  /** Stable, URL-safe; derived from the title, so re-ingesting unchanged text gives the same id. */
  id: string;
  /** The title a citation uses: the issued policy's own title when a notice issues it. */
  title: string;
  /** Every title the document carries (notice and attachment). */
  titles: string[];
  /** Short names a user may write, e.g. 自贸区条例. */
  shortNames: string[];
  /** 文号, e.g. 京政发〔2021〕3号. */
  docNumber?: string;
  issuer?: string;
  /** ISO date. */
  issueDate?: string;
  /** Effective and expiry statements as written. */
  timeStatements: string[];
  validFrom?: string;
  validUntil?: string;
  kind: 'regulation' | 'structured' | 'plain';
  source: { file: string; originalName: string; start: number; end: number };
  clauseCount: number;
}

/** The smallest unit that reads on its own: an article, a numbered measure, an interpretation item. */
export interface Clause {
  id: string;
  docId: string;
  /** Human citation label, e.g. 《中国（北京）自由贸易试验区条例》第三章 第十五条. */
  label: string;
  /** The clause's own number and heading, e.g. 第十五条, 一、降低企业税费负担. */
  number: string;
  /** Headings above the clause, e.g. ["第三章 投资开放与贸易便利"]. */
  headingPath: string[];
  /** Verbatim clean text. Paragraphs are separated by "\n". */
  text: string;
  /** Offsets of the text in the clean text of the file, and in the source file. */
  start: number;
  end: number;
  sourceStart: number;
  sourceEnd: number;
  ordinal: number;
  prevId?: string;
  nextId?: string;
}

export interface ParsedFile {
  file: string;
  originalName: string;
  encoding: string;
  layout: string;
  /** Clean text of the whole file and its map back to source offsets. */
  text: string;
  offs: number[];
  documents: PolicyDocument[];
  clauses: Clause[];
  /** Compiler text kept apart: cover, contents, prefaces, part and section headings. */
  compilerText: string[];
  /** Listed titles that were not found, and other text that could not be placed. */
  unplaced: string[];
}

/** A document's own record: its title with 文号 (标题) or its signature block (落款), not a rule. */
export const isRecordClause = (clause: Pick<Clause, 'number'>): boolean => clause.number === '标题' || clause.number === '落款';
