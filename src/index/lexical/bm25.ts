import { LRUCache } from 'lru-cache';
import type { Chunk } from '../../chunk/chunk.ts';
import type { PolicyDocument } from '../../parse/types.ts';
import type { LexicalHit, LexicalIndex } from '../ports.ts';
import { ChineseTokenizer } from './tokenizer.ts';
import { buildUserDict } from './user-dict.ts';

export interface Bm25Item {
  id: string;
  /** Body text: the verbatim clause. */
  text: string;
  /** Document title and headings: a separate, lower-weighted field. */
  fields?: { title?: string };
}

/**
 * Four fields, scored by BM25 each and summed with weights: words and Han bigrams of the body,
 * words and bigrams of the title. A zero weight leaves the field out of the index.
 */
export type FieldName = 'body' | 'bodyBigrams' | 'title' | 'titleBigrams';
export type FieldWeights = Record<FieldName, number>;

export interface Bm25Options {
  k1?: number;
  b?: number;
  weights?: Partial<FieldWeights>;
  /** Extra jieba dictionary terms (see buildUserDict); queries are cut with the same dictionary. */
  userTerms?: readonly string[];
}

// Measured on the dev questions (scripts/lexical-eval.mts): bigrams at full weight beat 0.25–0.5;
// the title field is neutral there and kept light for questions that name a document.
export const DEFAULT_WEIGHTS: FieldWeights = { body: 1, bodyBigrams: 1, title: 0.2, titleBigrams: 0 };
export const DEFAULT_K1 = 1.2;
export const DEFAULT_B = 0.75;

const FIELDS: { name: FieldName; source: 'text' | 'title'; kind: 'words' | 'bigrams' }[] = [
  { name: 'body', source: 'text', kind: 'words' },
  { name: 'bodyBigrams', source: 'text', kind: 'bigrams' },
  { name: 'title', source: 'title', kind: 'words' },
  { name: 'titleBigrams', source: 'title', kind: 'bigrams' },
];
const WORD_FIELDS: FieldName[] = ['body', 'title'];

/** Serialised form: postings are flat [itemIndex, tf, itemIndex, tf, ...] with ascending indexes. */
export interface Bm25Json {
  version: 1;
  k1: number;
  b: number;
  weights: FieldWeights;
  userTerms: string[];
  ids: string[];
  fields: Partial<Record<FieldName, { lengths: number[]; postings: Record<string, number[]> }>>;
}

interface Field {
  weight: number;
  kind: 'words' | 'bigrams';
  lengths: number[];
  postings: Map<string, number[]>;
  /** k1 · (1 − b + b · len / avgLen) per item, precomputed for the tf saturation. */
  norm: Float64Array;
}

export class Bm25Index implements LexicalIndex {
  readonly #ids: string[];
  readonly #fields = new Map<FieldName, Field>();
  readonly #tokenizer: ChineseTokenizer;
  readonly #k1: number;
  readonly #b: number;
  readonly #weights: FieldWeights;
  // Every search asks for the frequencies of its terms (twice for a chat question), each a jieba
  // cut and a union of postings: a tenth of a chat request's main-thread time before this cache. The
  // index never changes, so entries never go stale; the bound is for arbitrary query text.
  readonly #docFreqs = new LRUCache<string, number>({ max: 20_000 });

  private constructor(json: Bm25Json) {
    this.#ids = json.ids;
    this.#k1 = json.k1;
    this.#b = json.b;
    this.#weights = json.weights;
    this.#tokenizer = new ChineseTokenizer(json.userTerms);
    for (const { name, kind } of FIELDS) {
      const f = json.fields[name];
      if (!f || !(json.weights[name] > 0)) continue;
      const avg = f.lengths.reduce((s, n) => s + n, 0) / (f.lengths.length || 1) || 1;
      const norm = Float64Array.from(f.lengths, (len) => json.k1 * (1 - json.b + (json.b * len) / avg));
      this.#fields.set(name, { weight: json.weights[name], kind, lengths: f.lengths, postings: new Map(Object.entries(f.postings)), norm });
    }
  }

  static build(items: readonly Bm25Item[], opts: Bm25Options = {}): Bm25Index {
    const weights = { ...DEFAULT_WEIGHTS, ...opts.weights };
    const tokenizer = new ChineseTokenizer(opts.userTerms);
    const fields: Bm25Json['fields'] = {};
    for (const { name, source, kind } of FIELDS) {
      if (!(weights[name] > 0)) continue;
      const lengths: number[] = [];
      const postings: Record<string, number[]> = Object.create(null);
      for (const [i, item] of items.entries()) {
        const text = source === 'text' ? item.text : (item.fields?.title ?? '');
        const tokens = kind === 'words' ? tokenizer.words(text) : tokenizer.bigrams(text);
        lengths.push(tokens.length);
        const tf = new Map<string, number>();
        for (const t of tokens) tf.set(t, (tf.get(t) ?? 0) + 1);
        for (const [t, n] of tf) (postings[t] ??= []).push(i, n);
      }
      fields[name] = { lengths, postings };
    }
    return new Bm25Index({
      version: 1,
      k1: opts.k1 ?? DEFAULT_K1,
      b: opts.b ?? DEFAULT_B,
      weights,
      userTerms: [...tokenizer.userTerms],
      ids: items.map((it) => it.id),
      fields,
    });
  }

  static fromJSON(json: Bm25Json): Bm25Index {
    if (json.version !== 1) throw new Error(`unsupported BM25 index version ${String(json.version)}`);
    return new Bm25Index(json);
  }

  toJSON(): Bm25Json {
    const fields: Bm25Json['fields'] = {};
    for (const [name, f] of this.#fields) fields[name] = { lengths: f.lengths, postings: Object.fromEntries(f.postings) };
    return { version: 1, k1: this.#k1, b: this.#b, weights: this.#weights, userTerms: [...this.#tokenizer.userTerms], ids: this.#ids, fields };
  }

  get size(): number {
    return this.#ids.length;
  }

  tokenize(text: string): string[] {
    return this.#tokenizer.words(text);
  }

  search(query: string, k: number, filter?: (id: string) => boolean): LexicalHit[] {
    if (!(k > 0)) return [];
    const words = [...new Set(this.#tokenizer.words(query))];
    const bigrams = [...new Set(this.#tokenizer.bigrams(query))];
    const n = this.#ids.length;
    const scores = new Float64Array(n);
    const touched: number[] = [];
    for (const f of this.#fields.values()) {
      for (const term of f.kind === 'words' ? words : bigrams) {
        const post = f.postings.get(term);
        if (!post) continue;
        const df = post.length / 2;
        // Lucene's smoothed IDF: always positive, so a very common term never subtracts.
        const w = f.weight * Math.log(1 + (n - df + 0.5) / (df + 0.5)) * (this.#k1 + 1);
        for (let p = 0; p < post.length; p += 2) {
          const i = post[p]!;
          const tf = post[p + 1]!;
          if (scores[i] === 0) touched.push(i);
          scores[i]! += (w * tf) / (tf + f.norm[i]!);
        }
      }
    }
    touched.sort((a, b) => scores[b]! - scores[a]! || a - b);
    const hits: LexicalHit[] = [];
    for (const i of touched) {
      if (hits.length >= k) break;
      const id = this.#ids[i]!;
      if (filter && !filter(id)) continue;
      hits.push({ id, score: scores[i]!, matched: this.#matched(i, words, bigrams) });
    }
    return hits;
  }

  /** Query words found in the item, then bigrams found that no matched word already covers. */
  #matched(i: number, words: string[], bigrams: string[]): string[] {
    const has = (kind: 'words' | 'bigrams', term: string): boolean => {
      for (const f of this.#fields.values()) if (f.kind === kind && containsItem(f.postings.get(term), i)) return true;
      return false;
    };
    const out = words.filter((w) => has('words', w));
    for (const b of bigrams) if (!out.some((w) => w.includes(b)) && has('bigrams', b)) out.push(b);
    return out;
  }

  /** Items containing every word of the term, in the body or title. */
  docFreq(term: string): number {
    let df = this.#docFreqs.get(term);
    if (df === undefined) this.#docFreqs.set(term, (df = this.#countDocFreq(term)));
    return df;
  }

  #countDocFreq(term: string): number {
    const tokens = [...new Set(this.#tokenizer.words(term))];
    if (!tokens.length) return 0;
    let common: number[] | undefined;
    for (const t of tokens) {
      const items = new Set<number>();
      for (const name of WORD_FIELDS) {
        const post = this.#fields.get(name)?.postings.get(t);
        if (post) for (let p = 0; p < post.length; p += 2) items.add(post[p]!);
      }
      common = common ? common.filter((i) => items.has(i)) : [...items];
      if (!common.length) return 0;
    }
    return common?.length ?? 0;
  }
}

/** Binary search over a flat [index, tf, ...] postings list. */
function containsItem(post: number[] | undefined, i: number): boolean {
  if (!post) return false;
  let lo = 0;
  let hi = post.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = post[mid * 2]!;
    if (v === i) return true;
    if (v < i) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** Index items for chunks: the verbatim text as body, the document title and headings as title. */
export function chunkItems(chunks: readonly Chunk[]): Bm25Item[] {
  return chunks.map((c) => ({ id: c.id, text: c.text, fields: { title: [c.title, ...c.headingPath].join('\n') } }));
}

/** The chunk index with a user dictionary derived from the corpus. */
export function buildChunkIndex(documents: readonly PolicyDocument[], chunks: readonly Chunk[], opts: Omit<Bm25Options, 'userTerms'> = {}): Bm25Index {
  return Bm25Index.build(chunkItems(chunks), { ...opts, userTerms: buildUserDict(documents, chunks) });
}
