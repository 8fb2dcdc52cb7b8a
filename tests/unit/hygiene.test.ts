import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS, ROOT, SHARED } from '../helpers.ts';

/**
 * No eval question is copied into the code or its tests: a test that asks a dev-set question checks
 * what the models were fitted on, not how they behave. dev.jsonl is read here only to check absence.
 *
 * A Chinese question may not share a run of 12 or more characters with any file under src/ or
 * tests/, unless that run is the corpus's own text (a document title a user names, say), and no file
 * may hold 80% of a question in one run at all. An English question may not share a run of 6 or more
 * words; shorter runs are glossary vocabulary ("comprehensive bonded zone") the translator must hold.
 */
const DEV = path.join(SHARED, 'eval/dev.jsonl');
const MIN_CHARS = 12;
const MIN_WORDS = 6;

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));

const squash = (s: string) => s.replace(/\s+/g, '');
const trimPunct = (s: string) => s.replace(/^[\s\p{P}]+|[\s\p{P}]+$/gu, '');
const words = (s: string) => s.toLowerCase().match(/[a-z0-9]+/g) ?? [];
const mostlyChinese = (s: string) => (s.match(/\p{Script=Han}/gu)?.length ?? 0) > (s.match(/[A-Za-z]/g)?.length ?? 0);

interface Copy {
  id: string;
  file: string;
  copied: string;
}

/** Runs of at least MIN_CHARS characters of each Chinese question found in text, maximal to the right. */
function charCopies(questions: { id: string; question: string }[], files: [string, string][], corpus: string): Copy[] {
  const grams = new Map<string, [number, number][]>();
  questions.forEach((q, qi) => {
    for (let i = 0; i + MIN_CHARS <= q.question.length; i++) {
      const g = q.question.slice(i, i + MIN_CHARS);
      grams.set(g, [...(grams.get(g) ?? []), [qi, i]]);
    }
  });
  const out: Copy[] = [];
  for (const [file, text] of files) {
    for (let j = 0; j + MIN_CHARS <= text.length; j++) {
      const hits = grams.get(text.slice(j, j + MIN_CHARS));
      if (!hits) continue;
      for (const [qi, i] of hits) {
        const q = questions[qi]!.question;
        if (i > 0 && j > 0 && text[j - 1] === q[i - 1]) continue; // inside a run already reported
        let len = MIN_CHARS;
        while (i + len < q.length && text[j + len] === q[i + len]) len++;
        const copied = q.slice(i, i + len);
        const mostOfIt = len >= 0.8 * q.length;
        if (mostOfIt || !corpus.includes(squash(trimPunct(copied)))) out.push({ id: questions[qi]!.id, file, copied });
      }
    }
  }
  return out;
}

/** Runs of at least MIN_WORDS words of each English question, ignoring case and punctuation. */
function wordCopies(questions: { id: string; question: string }[], files: [string, string][]): Copy[] {
  const grams = new Map<string, [number, number][]>();
  const qWords = questions.map((q) => words(q.question));
  qWords.forEach((w, qi) => {
    for (let i = 0; i + MIN_WORDS <= w.length; i++) {
      const g = w.slice(i, i + MIN_WORDS).join(' ');
      grams.set(g, [...(grams.get(g) ?? []), [qi, i]]);
    }
  });
  const out: Copy[] = [];
  for (const [file, text] of files) {
    const w = words(text);
    for (let j = 0; j + MIN_WORDS <= w.length; j++) {
      const g = w.slice(j, j + MIN_WORDS).join(' ');
      for (const [qi, i] of grams.get(g) ?? []) {
        const q = qWords[qi]!;
        if (i > 0 && j > 0 && w[j - 1] === q[i - 1]) continue;
        let len = MIN_WORDS;
        while (i + len < q.length && w[j + len] === q[i + len]) len++;
        out.push({ id: questions[qi]!.id, file, copied: q.slice(i, i + len).join(' ') });
      }
    }
  }
  return out;
}

const files = (): [string, string][] =>
  ['src', 'tests'].flatMap((d) => filesUnder(path.join(ROOT, d))).map((f) => [path.relative(ROOT, f), readFileSync(f, 'utf8')]);

describe('the checks themselves', () => {
  const questions = [
    { id: 'X-1', question: '某某区的小微企业申请房租补贴需要准备哪些材料？' },
    { id: 'X-2', question: 'How long does a foreign chef have to wait for a work permit in the district?' },
  ];
  const corpus = squash('小微企业申请房租补贴需要准备哪些材料');
  it('catch a copied question, a long run of one and a reworded copy of English, and let corpus text through', () => {
    expect(charCopies(questions, [['a.ts', "ask('某某区的小微企业申请房租补贴需要准备哪些材料？')"]], '')).toEqual([
      { id: 'X-1', file: 'a.ts', copied: questions[0]!.question },
    ]);
    expect(charCopies(questions, [['b.ts', "q = '小微企业申请房租补贴需要准备'"]], '')).toEqual([{ id: 'X-1', file: 'b.ts', copied: '小微企业申请房租补贴需要准备' }]);
    // most of a question is refused even when the corpus states it
    expect(charCopies(questions, [['a.ts', '的小微企业申请房租补贴需要准备哪些材料']], corpus)).toHaveLength(1);
    // the same run is allowed when the corpus states it (and it is not most of the question)
    expect(charCopies(questions, [['b.ts', "q = '小微企业申请房租补贴需要准备'"]], corpus)).toEqual([]);
    expect(charCopies(questions, [['c.ts', "q = '某某区的小微企'"]], '')).toEqual([]);
    expect(wordCopies(questions, [['d.ts', "q = 'how long does A FOREIGN chef have, to wait'"]])).toEqual([{ id: 'X-2', file: 'd.ts', copied: 'how long does a foreign chef have to wait' }]);
    expect(wordCopies(questions, [['e.ts', "q = 'a foreign chef needs a work permit'"]])).toEqual([]);
  });
});

describe.skipIf(!existsSync(DEV))('no eval question in src/ or tests/', () => {
  it('finds no copied question or long run of one', () => {
    const rows = readFileSync(DEV, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { id: string; question: string });
    expect(rows.length).toBeGreaterThan(0);
    const corpus = readdirSync(CORPUS)
      .filter((f) => f.endsWith('.txt'))
      .map((f) => squash(readFileSync(path.join(CORPUS, f), 'utf8')))
      .join('\u0000');
    const all = files();
    expect(all.some(([f]) => f === path.join('tests', 'unit', 'hygiene.test.ts'))).toBe(true);
    const copies = [...charCopies(rows.filter((r) => mostlyChinese(r.question)), all, corpus), ...wordCopies(rows.filter((r) => !mostlyChinese(r.question)), all)];
    const report = [...new Set(copies.map((c) => `${c.id} in ${c.file}: “${c.copied}”`))];
    expect(report).toEqual([]);
  });
});
