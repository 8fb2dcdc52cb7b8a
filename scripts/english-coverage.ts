// Measurement only: for each English dev question, print the Chinese query the translator builds and
// how many key terms of the gold spans it reaches.
//   npx tsx scripts/english-coverage.ts [dev.jsonl] [seeds dir]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';
import { loadTranslator, translateQuery } from '../src/retrieve/english/translate.ts';

interface DevRow {
  id: string;
  question: string;
  lang: string;
  answerable: boolean;
  gold: { seed: string; span: string }[];
}

const devFile = process.argv[2] ?? '/work/shared/eval/dev.jsonl';
const seedsDir = process.argv[3] ?? '/work/shared/seeds';
const squash = (s: string): string => s.replace(/[\s\u3000]+/g, '');

// Document frequency by substring over whitespace-free documents: PDF extraction splits words across lines.
const docs = readdirSync(seedsDir)
  .filter((f) => f.endsWith('.txt'))
  .map((f) => squash(readFileSync(join(seedsDir, f), 'utf8')));
const dfCache = new Map<string, number>();
const vocabulary = (zh: string): number => {
  let df = dfCache.get(zh);
  if (df === undefined) dfCache.set(zh, (df = docs.filter((d) => d.includes(zh)).length));
  return df;
};

const t0 = performance.now();
const { cedict, glossary } = loadTranslator();
console.log(
  `loaded: glossary ${glossary.entries} rows / ${glossary.phrases} phrases; cedict ${cedict.keyCount} keys from ${cedict.source} in ${(performance.now() - t0).toFixed(0)} ms`,
);

const jieba = Jieba.withDict(dict);
const rows = readFileSync(devFile, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as DevRow)
  .filter((r) => r.lang === 'en');

let reached = 0;
let total = 0;
for (const row of rows) {
  const tr = translateQuery(row.question, { vocabulary });
  const zhTerms = tr.terms.flatMap((t) => t.zh);
  // Key terms: multi-character jieba words of the gold spans.
  const keys = [...new Set(row.gold.flatMap((g) => jieba.cut(squash(g.span), false)))].filter((w) =>
    /^[\u4e00-\u9fff]{2,}$/.test(w),
  );
  const hit = keys.filter((k) => zhTerms.some((z) => z.includes(k) || k.includes(z)));
  reached += hit.length;
  total += keys.length;
  console.log(`\n${row.id} ${row.answerable ? '' : '(unanswerable) '}${row.question}`);
  console.log(`  zhQuery: ${tr.zhQuery}`);
  console.log(`  terms:   ${tr.terms.map((t) => `${t.en}→${t.zh.join('/')}[${t.source[0]}]`).join('  ')}`);
  if (tr.untranslated.length) console.log(`  untranslated: ${tr.untranslated.join(' ')}`);
  if (keys.length) console.log(`  gold key terms reached ${hit.length}/${keys.length}: ${hit.join(' ')} | missed: ${keys.filter((k) => !hit.includes(k)).join(' ')}`);
}
console.log(`\noverall gold key terms reached: ${reached}/${total}`);
