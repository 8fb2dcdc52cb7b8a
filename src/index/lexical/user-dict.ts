import type { Chunk } from '../../chunk/chunk.ts';
import type { PolicyDocument } from '../../parse/types.ts';
import { ChineseTokenizer, STOPWORDS, normalizeText } from './tokenizer.ts';

/** Policy abbreviations and programme names users write; jieba splits most of them. */
export const POLICY_TERMS: readonly string[] = [
  '自贸区', '自贸试验区', '自由贸易试验区', '综保区', '综合保税区', '保税区', '两区', '服务业扩大开放', '综合示范区',
  '专精特新', '小巨人', '单项冠军', '隐形冠军', '独角兽', '瞪羚企业', '高新技术企业', '科技型中小企业', '中小微企业',
  '个体工商户', '市场主体', '总部企业', '外资', '外商投资', '外资股比', '负面清单', '准入前国民待遇', '告知承诺',
  '告知承诺制', '一网通办', '一业一证', '证照分离', '多证合一', '放管服', '营商环境', '跨境贸易', '数字贸易',
  '知识产权', '质押融资', '风险补偿', '贷款贴息', '融资担保', '首贷', '续贷', '无还本续贷', '社会保险费', '社保费',
  '稳岗返还', '以工代训', '留抵退税', '房租减免', '中关村', '首台套', '首创产品', '新型研发机构', '人才引进',
];

const NAME_LEN = { min: 2, max: 8 };
const HAN_ONLY = /^\p{Script=Han}+$/u;
const QUOTED = /《([^《》]+)》|“([^“”]+)”|"([^"]+)"/gu;
const DEPT_SUFFIX = /委员会|办公室|局|委/gu;
const MIN_CHUNKS = 3;

const isName = (s: string): boolean => HAN_ONLY.test(s) && s.length >= NAME_LEN.min && s.length <= NAME_LEN.max;

/**
 * Terms to load into jieba, derived from the corpus: short names of documents, names quoted in 《》
 * or “”, department names, and noun phrases jieba splits that recur in several chunks (zone names
 * such as 天竺综合保税区 and 大兴机场片区 among them).
 */
export function buildUserDict(documents: readonly PolicyDocument[], chunks: readonly Chunk[]): string[] {
  const terms = new Set<string>(POLICY_TERMS);
  const texts = [...documents.flatMap((d) => d.titles), ...chunks.map((c) => c.text)].map(normalizeText);
  for (const d of documents) for (const n of d.shortNames) addName(terms, normalizeText(n));
  for (const t of texts) for (const m of t.matchAll(QUOTED)) addName(terms, m[1] ?? m[2] ?? m[3] ?? '');
  for (const t of recurring(chunks, departments)) terms.add(t);
  const segmenter = new ChineseTokenizer([...terms]);
  for (const t of recurring(chunks, (text) => phrases(segmenter, text))) terms.add(t);
  return [...terms].sort();
}

function addName(terms: Set<string>, name: string): void {
  const core = name.replace(/^(北京市|北京|本市)/u, '');
  for (const n of [name, core]) if (isName(n)) terms.add(n);
}

/** Candidates found in at least MIN_CHUNKS chunks, dropping one contained in a longer kept candidate seen as often. */
function recurring(chunks: readonly Chunk[], candidates: (text: string) => string[]): string[] {
  const count = new Map<string, number>();
  for (const c of chunks) for (const t of new Set(candidates(normalizeText(c.text)))) count.set(t, (count.get(t) ?? 0) + 1);
  const kept = [...count].filter(([t, n]) => n >= MIN_CHUNKS && isName(t)).sort((a, b) => b[0].length - a[0].length);
  const out: [string, number][] = [];
  for (const [t, n] of kept) if (!out.some(([u, m]) => m === n && u.includes(t))) out.push([t, n]);
  return out.map(([t]) => t);
}

/**
 * Municipal departments (市商务局, 市发展改革委): every 2–6 character stretch between a 市 and a
 * department suffix is a candidate; recurring() keeps the ones that recur.
 */
function departments(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(DEPT_SUFFIX)) {
    for (let n = 2; n <= 6 && m.index - n >= 1; n++) {
      const inner = text.slice(m.index - n, m.index);
      if (text[m.index - n - 1] === '市' && !/[市局委]/u.test(inner)) out.push(text.slice(m.index - n - 1, m.index + m[0].length));
    }
  }
  return out;
}

// Phrases are noun-like: they may not open with a verb, adverb, preposition, conjunction, particle,
// pronoun, numeral or measure word (支持综合保税区, 进一步激发), and must close on a noun or a name.
const BAD_FIRST = /^(v|d|p|c|u|r|m|q|f|ad|y|e|o|x|zg|ul|uj|uz|ug|uv|ud)$/;
const GOOD_LAST = /^(n|nr|ns|nt|nz|nrt|nrfg|vn|an|j|l|i|eng)$/;

/** Runs of 2–4 adjacent jieba words inside a Han run that jieba does not already keep whole. */
function phrases(segmenter: ChineseTokenizer, text: string): string[] {
  const out: string[] = [];
  for (const [run] of text.matchAll(/\p{Script=Han}+/gu)) {
    const words = segmenter.segment(run);
    for (let i = 0; i < words.length; i++) {
      const first = words[i]!;
      if (STOPWORDS.has(first.word) || BAD_FIRST.test(first.tag)) continue;
      let phrase = first.word;
      for (let j = i + 1; j < words.length && j < i + 4; j++) {
        const w = words[j]!;
        if (STOPWORDS.has(w.word)) break;
        phrase += w.word;
        if (phrase.length > NAME_LEN.max) break;
        if (GOOD_LAST.test(w.tag)) out.push(phrase);
      }
    }
  }
  return out;
}
