/** Where a field was read: the words as written, with offsets in the file's clean text and in the source file. */
export interface TextSpan {
  text: string;
  start: number;
  end: number;
  sourceStart: number;
  sourceEnd: number;
}

/** A document another one repeals ("…同时废止", "宣布失效", "停止执行"), named by title, 文号 or a description. */
export interface Repeal {
  title?: string;
  docNumber?: string;
  /** When the repealed documents are not named one by one, e.g. "11件行政规范性文件". */
  description?: string;
  /** ISO date the repeal takes effect, when the text says (often the repealing document's own date). */
  effectiveDate?: string;
  span: TextSpan;
}

/** A document in the corpus that repeals this one. */
export interface RepealedBy {
  id: string;
  title: string;
  docNumber?: string;
  effectiveDate?: string;
}

/** A policy document: one regulation, plan, measure or notice (a notice and the policy it issues are one). */
export interface PolicyDocument {
  /** Stable, URL-safe; derived from the first title, and from the text when two texts share a title. */
  id: string;
  /** The title a citation uses: the document's own title as written in its text (the issued policy's when a notice issues it). */
  title: string;
  /** Every title the document carries (notice and attachment). */
  titles: string[];
  /** Other names it goes by that are not its own title, e.g. a compiler's short heading. */
  aliases: string[];
  /** Short names a user may write, e.g. 自贸区条例. */
  shortNames: string[];
  /** 文号, e.g. 京政发〔2021〕3号. */
  docNumber?: string;
  /** The first issuer (kept for callers of the single-issuer field). */
  issuer?: string;
  /** Every issuing body, in the order written (co-issued documents keep all). */
  issuers: string[];
  /** ISO date. */
  issueDate?: string;
  /** Effective and expiry statements as written. */
  timeStatements: string[];
  /** ISO date it takes effect: a stated date, or the issue date for "自印发之日起施行". */
  effectiveDate?: string;
  /** How the effective date is stated. */
  effectiveRule?: 'date' | 'on_issue' | 'after_issue';
  /** ISO date its own validity ends, when the text states a period. */
  expiryDate?: string;
  /** The validity period as written, e.g. "有效期3年", "执行期限至2021年3月31日". */
  validity?: string;
  /** Same as effectiveDate and expiryDate (older field names). */
  validFrom?: string;
  validUntil?: string;
  /** What this document itself repeals, in or out of the corpus. */
  repeals: Repeal[];
  /** Documents of the corpus that repeal this one. */
  repealedBy: RepealedBy[];
  /** True when the source holds the title alone: nothing of it is cited. */
  bodyMissing: boolean;
  /** Where each metadata field was read. */
  provenance: {
    docNumber?: TextSpan;
    issuers: TextSpan[];
    issueDate?: TextSpan;
    effective?: TextSpan;
    expiry?: TextSpan;
  };
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
  /** Documents of this file left out because an earlier one has the same text. */
  duplicates: { file: string; title: string; sameAs: string; sameAsFile: string; message: string }[];
}

/** A document's own record: its title with 文号 (标题) or its signature block (落款), not a rule. */
export const isRecordClause = (clause: Pick<Clause, 'number'>): boolean => clause.number === '标题' || clause.number === '落款';
