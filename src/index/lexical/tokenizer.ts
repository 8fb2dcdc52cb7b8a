import { Jieba, type TaggedWord } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';

// Function words and question words. Kept short on purpose: content words such as 可以, 应当, 不得,
// 以上, 以下 carry meaning in policy text and stay; BM25's IDF handles the rest.
export const STOPWORDS: ReadonlySet<string> = new Set([
  ...'的 了 和 与 及 或 等 在 对 为 是 将 把 被 由 从 向 于 以 而 并 且 也 又 就 都 但 之 其 所 该 此 这 那 着 过 吗 呢 吧 啊 呀 么 哪 谁 我 你 他 她 它 个 各 每 即 则 若 如'.split(' '),
  ...'以及 或者 等等 对于 为了 按照 依照 根据 有关 关于 其中 其他 并且 而且 但是 如果 这些 那些 这个 那个 这样 那样 通过 进行 相关 有的 一些 一下'.split(' '),
  ...'什么 怎么 怎样 怎么样 如何 哪些 哪个 哪里 哪儿 是否 能否 能不能 可不可以 是不是 有没有 多少 为什么 我们 你们 他们 咱们 请问 想要 知道'.split(' '),
]);

const HAN_RUN = /\p{Script=Han}+/gu;
const WORD_CHAR = /[\p{L}\p{N}]/u;

/** NFKC, lower-case Latin, and drop whitespace next to Han characters (PDF line breaks, "2022 年"). */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/(?<=\p{Script=Han})\s+(?=[\p{Script=Han}\p{N}])|(?<=\p{N})\s+(?=\p{Script=Han})/gu, '');
}

// Loading the default dictionary takes ~150 ms, so one instance per distinct user dictionary is
// kept; loadDict cannot be undone, hence the key.
const instances = new Map<string, Jieba>();

function jiebaFor(userDict: string): Jieba {
  let jieba = instances.get(userDict);
  if (!jieba) {
    jieba = Jieba.withDict(dict);
    if (userDict) jieba.loadDict(Buffer.from(userDict));
    instances.set(userDict, jieba);
  }
  return jieba;
}

// jieba's search mode re-emits only the 2- and 3-character dictionary words inside a long word;
// the 4+ character ones (营商环境 inside 优化营商环境) come from this set.
let longDictWords: Set<string> | undefined;
const MIN_LONG = 4;
const MAX_SUB_SCAN = 16;
const HAN_WORD = /^\p{Script=Han}+$/u;

function defaultLongWords(): Set<string> {
  if (!longDictWords) {
    longDictWords = new Set();
    for (const line of Buffer.from(dict).toString('utf8').split('\n')) {
      const word = line.slice(0, line.indexOf(' '));
      if (word.length >= MIN_LONG) longDictWords.add(word);
    }
  }
  return longDictWords;
}

/** Frequency given to user terms: high enough that jieba keeps a term whole against its parts. */
const USER_TERM_FREQ = 100_000;

/**
 * Tokenises documents and queries alike: jieba search-mode words (HMM on) and, as a second field,
 * overlapping Han character bigrams, which match abbreviations and paraphrases the words miss.
 */
export class ChineseTokenizer {
  readonly userTerms: readonly string[];
  readonly #jieba: Jieba;
  readonly #userLong: Set<string>;

  constructor(userTerms: readonly string[] = []) {
    this.userTerms = [...new Set(userTerms)].sort();
    this.#jieba = jiebaFor(this.userTerms.map((t) => `${t} ${USER_TERM_FREQ}`).join('\n'));
    this.#userLong = new Set(this.userTerms.filter((t) => t.length >= MIN_LONG));
  }

  /** Word tokens with repeats (term frequency counts), stopwords and punctuation dropped. */
  words(text: string): string[] {
    const norm = normalizeText(text);
    if (!WORD_CHAR.test(norm)) return [];
    const out: string[] = [];
    const known = defaultLongWords();
    for (const t of this.#jieba.cutForSearch(norm, true)) {
      if (!WORD_CHAR.test(t) || STOPWORDS.has(t)) continue;
      out.push(t);
      if (t.length > MAX_SUB_SCAN || !HAN_WORD.test(t)) continue;
      for (let len = MIN_LONG; len < t.length; len++) {
        for (let i = 0; i + len <= t.length; i++) {
          const sub = t.slice(i, i + len);
          if (known.has(sub) || this.#userLong.has(sub)) out.push(sub);
        }
      }
    }
    return out;
  }

  /** Plain jieba segmentation (HMM on) with part-of-speech tags: for mining phrases. */
  segment(text: string): TaggedWord[] {
    return this.#jieba.tag(normalizeText(text), true);
  }

  /** Overlapping bigrams of each run of Han characters, with repeats; bigrams of two stopwords dropped. */
  bigrams(text: string): string[] {
    const out: string[] = [];
    for (const [run] of normalizeText(text).matchAll(HAN_RUN)) {
      for (let i = 0; i + 1 < run.length; i++) {
        const a = run[i]!;
        const b = run[i + 1]!;
        if (!(STOPWORDS.has(a) && STOPWORDS.has(b))) out.push(a + b);
      }
    }
    return out;
  }
}
