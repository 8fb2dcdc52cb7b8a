/**
 * npm run fit: fits the learned ranker and the answerer's models on ../shared/eval/dev.jsonl, writes
 * src/retrieve/ranker.v1.json and src/answer/answerer.v1.json, and prints 5-fold cross-validated
 * figures (each fold scored by models fitted without it) beside the in-sample ones. Answers here
 * are scored in process; npm run eval:answers scores the same folds over HTTP.
 */
import path from 'node:path';
import { ANSWERER_FILE } from '../src/answer/extractive.ts';
import { openApp } from '../src/app.ts';
import { writeFileAtomic } from '../src/index/atomic.ts';
import { TransformersEmbedder } from '../src/index/embedder/index.ts';
import { RANKER_FILE } from '../src/retrieve/ranker.ts';
import { projectRoot } from '../src/util/paths.ts';
import { fmt, formatAnswers, loadDevSet, scoreAnswers } from '../tests/bench/dev-set.ts';
import { answersWith, fitAll, foldOf, NEUTRAL_RANKER, retrievalWith, type FittedModels } from '../tests/bench/learning.ts';

const embedder = await TransformersEmbedder.create({ quiet: true });
const open = (m: Partial<FittedModels>) => openApp({ quiet: true, llm: null, embedder, ranker: m.ranker ?? NEUTRAL_RANKER, answerModel: m.answer ?? null });
const rows = await loadDevSet();
const { full, folds, ranking } = await fitAll(rows, (ranker) => open({ ranker }));
const cv = (id: string) => folds[foldOf(id)]!;
for (const [name, s] of [['first stage', retrievalWith(rows, ranking, () => NEUTRAL_RANKER)], ['5-fold CV', retrievalWith(rows, ranking, (id) => cv(id).ranker)], ['in-sample', retrievalWith(rows, ranking, () => full.ranker)]] as const)
  console.log(`retrieval ${name.padEnd(12)} all ${fmt(s.all)}\n${''.padEnd(22)} en  ${fmt(s.en)}`);

const cvAnswers = scoreAnswers(await answersWith(rows, cv, open));
console.log(`\nanswers, 5-fold CV\n${formatAnswers(cvAnswers)}`);
console.log(`\nanswers, in-sample\n${formatAnswers(scoreAnswers(await answersWith(rows, () => full, open)))}`);
if (process.argv.includes('--verbose')) console.log(cvAnswers.failures.map((f) => `  - ${f}`).join('\n'));

if (!process.argv.includes('--dry-run')) {
  for (const [file, data] of [[RANKER_FILE, full.ranker], [ANSWERER_FILE, full.answer]] as const) {
    await writeFileAtomic(path.join(projectRoot(), file), JSON.stringify(data, null, 1) + '\n');
    console.log(`wrote ${file}`);
  }
}
process.exit(0);
