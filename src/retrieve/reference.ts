import { matchMarker, parseNumber } from '../text/markers.ts';
import { looseKey } from '../parse/text.ts';
import type { Clause, PolicyDocument } from '../parse/types.ts';
import { NoSuchClauseError, UnknownDocumentError } from './errors.ts';

/**
 * Explicit references in a question or lookup: a document (title, short name, 文号) and an article
 * or numbered item, written as users write them: "自贸区条例第十五条", "京政发〔2021〕3号第五条",
 * "《北京市促进私营个体经济发展条例》第二十八条", "私营个体经济条例 第28条".
 */
export interface Reference {
  /** Text naming a document (inside 《》 or before the article number). */
  docText?: string;
  docNumber?: string;
  article?: number;
  paragraph?: number;
  /** Numbered item path, e.g. ["一、", "（二）"]. */
  items: string[];
}

const CN = '零〇一二三四五六七八九十百千两';
const DOC_NUMBER = new RegExp(`([\\p{Script=Han}]{1,12})\\s*[〔\\[［(（【]\\s*(\\d{4})\\s*[〕\\]］)）】]\\s*(\\d+)\\s*号`, 'u');
const ARTICLE = new RegExp(`第\\s*([${CN}\\d]+)\\s*条`);
const PARAGRAPH = new RegExp(`第\\s*([${CN}\\d]+)\\s*款`);
const ABBREVIATIONS: [RegExp, string][] = [
  [/自贸试验区|自贸区/g, '自由贸易试验区'],
  [/综保区/g, '综合保税区'],
  [/京津冀/g, '京津冀'],
];

export function parseReference(text: string): Reference {
  const t = text.normalize('NFKC').replace(/\s+/g, ' ').trim();
  const ref: Reference = { items: [] };
  const num = DOC_NUMBER.exec(t);
  if (num) ref.docNumber = `${num[1]}〔${num[2]}〕${num[3]}号`;
  const art = ARTICLE.exec(t);
  if (art) ref.article = parseNumber(art[1]!);
  const para = PARAGRAPH.exec(t);
  if (para) ref.paragraph = parseNumber(para[1]!);
  const quoted = /《([^《》]+)》/.exec(t)?.[1];
  const itemRe = /[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）]|\d{1,2}[.．、]|[（(]\d{1,2}[)）]/g;
  if (quoted) {
    ref.docText = quoted;
    for (const m of t.slice(t.indexOf('》') + 1).matchAll(itemRe)) ref.items.push(m[0]);
  } else {
    const cut = Math.min(art?.index ?? Infinity, para?.index ?? Infinity);
    let head = (Number.isFinite(cut) ? t.slice(0, cut) : t).replace(DOC_NUMBER, '').trim();
    // Numbered items after the document name: "…若干措施一、（二）".
    for (let m; !Number.isFinite(cut) && (m = /([一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）]|\d{1,2}[.．、]|[（(]\d{1,2}[)）])$/.exec(head)); ) {
      ref.items.unshift(m[0]);
      head = head.slice(0, m.index).trim();
    }
    ref.docText = head || undefined;
  }
  if (ref.docText && !/[\p{Script=Han}]{2,}/u.test(ref.docText)) ref.docText = undefined;
  return ref;
}

const bigrams = (s: string): string[] => {
  const out: string[] = [];
  for (let i = 0; i + 1 < s.length; i++) out.push(s.slice(i, i + 2));
  return out;
};

export function expandAbbreviations(s: string): string {
  let out = looseKey(s).replace(/^中国[（(]北京[)）]/, '').replace(/^北京市?/, '');
  for (const [re, full] of ABBREVIATIONS) out = out.replace(re, full);
  return out;
}

interface Name {
  text: string;
  bigrams: Set<string>;
}

// Aliases (a compiler's short heading) name the document as users saw it listed. Kept per document
// object (a store's documents do not change): every question is matched against every document.
const names = new WeakMap<PolicyDocument, Name[]>();
function namesOf(doc: PolicyDocument): Name[] {
  let list = names.get(doc);
  if (!list) names.set(doc, (list = [...doc.titles, ...(doc.aliases ?? []), ...doc.shortNames].map(expandAbbreviations).map((text) => ({ text, bigrams: new Set(bigrams(text)) }))));
  return list;
}

/** How well text names a document: 1 for a title or short name, else the share of its bigrams in the title. */
export function documentMatchScore(text: string, doc: PolicyDocument): number {
  return matchScore(expandAbbreviations(text), doc);
}

/** documentMatchScore of text already through expandAbbreviations. */
function matchScore(q: string, doc: PolicyDocument): number {
  if (q.length < 2) return 0;
  const list = namesOf(doc);
  if (list.some((n) => n.text === q)) return 1;
  const qs = bigrams(q);
  let best = 0;
  for (const name of list) {
    const hit = qs.filter((b) => name.bigrams.has(b)).length / Math.max(1, qs.length);
    // A name fully inside the query ("…条例第十五条" style) is as good as the query inside the name.
    const inside = q.includes(name.text) ? 1 : 0;
    best = Math.max(best, hit, inside);
  }
  return best;
}

export interface ResolvedDocs {
  docs: PolicyDocument[];
  score: number;
}

/** Documents a reference names, best first; empty when it names none clearly enough. */
export function resolveDocuments(ref: Reference, documents: PolicyDocument[], threshold = 0.75): ResolvedDocs {
  if (ref.docNumber) {
    const key = looseKey(ref.docNumber);
    const docs = documents.filter((d) => d.docNumber && looseKey(d.docNumber) === key);
    if (docs.length) return { docs, score: 1 };
  }
  if (!ref.docText) return { docs: [], score: 0 };
  // A document named exactly wins over one whose longer title merely contains the name
  // (《…落实《X》实施细则》 when the question names 《X》).
  const q = expandAbbreviations(ref.docText);
  const exact = documents.filter((d) => namesOf(d).some((n) => n.text === q));
  if (exact.length) return { docs: exact, score: 1 };
  const scored = documents.map((d) => ({ d, s: matchScore(q, d) })).filter((x) => x.s >= threshold);
  if (!scored.length) return { docs: [], score: 0 };
  const best = Math.max(...scored.map((x) => x.s));
  return { docs: scored.filter((x) => x.s >= best - 0.05).map((x) => x.d), score: best };
}

/** Resolves a full reference to one clause, or throws an error that says what exists instead. */
export function resolveClause(text: string, documents: PolicyDocument[], clausesOf: (docId: string) => Clause[]): Clause {
  const ref = parseReference(text);
  if (!ref.docText && !ref.docNumber) throw new UnknownDocumentError(`"${text}" names no document; write its title, a short name or its 文号, e.g. 自贸区条例第十五条`);
  const { docs } = resolveDocuments(ref, documents);
  if (!docs.length) throw new UnknownDocumentError(`no document matches "${ref.docText ?? ref.docNumber}"; list them with list_documents`);
  const doc = ref.article ? (docs.find((d) => clausesOf(d.id).some((c) => articleOf(c) === ref.article)) ?? docs[0]!) : docs[0]!;
  const clauses = clausesOf(doc.id);
  if (ref.article !== undefined) {
    const hit = clauses.find((c) => articleOf(c) === ref.article);
    if (!hit) {
      const n = clauses.filter((c) => articleOf(c) !== undefined).length;
      throw new NoSuchClauseError(
        n ? `no clause matches 第${ref.article}条 in 《${doc.title}》; it has ${n} articles` : `《${doc.title}》 has no numbered articles (条); cite its items instead, e.g. 一、`,
      );
    }
    return hit;
  }
  if (ref.items.length) {
    const want = ref.items.map(itemKey);
    const hit = clauses.find((c) => {
      const got = [...c.label.slice(c.label.indexOf('》') + 1).matchAll(ITEM)].map((m) => itemKey(m[0]));
      return want.every((w, i) => got[i] === w) && got.length >= want.length;
    });
    if (hit) return hit;
    throw new NoSuchClauseError(`no item ${ref.items.join('')} in 《${doc.title}》`);
  }
  throw new NoSuchClauseError(`"${text}" names 《${doc.title}》 but no article or item in it; add one, e.g. 第一条 or 一、`);
}

const ITEM = /[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）]|\d{1,2}[.．、]|[（(]\d{1,2}[)）]|第[一二三四五六七八九十百零]+条/g;
const itemKey = (s: string): string => {
  const m = matchMarker(s);
  return m ? `${m.kind}:${m.n}` : s;
};

export function articleOf(c: Clause): number | undefined {
  const m = /^第([一二三四五六七八九十百零]+)条$/.exec(c.number);
  return m ? parseNumber(m[1]!) : undefined;
}
