/**
 * npm run bench: retrieval quality on the dev set for the product retriever, each arm alone and the
 * naive LangChain recipe, plus index build time, start-up, warm latencies and peak memory — all in
 * one process, with ratios against the naive baseline run alongside.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';
import { openApp, type App } from '../../src/app.ts';
import { TransformersEmbedder } from '../../src/index/embedder/index.ts';
import { HnswVectorStore } from '../../src/index/vector-store.ts';
import { config } from '../../src/config.ts';
import { projectRoot } from '../../src/util/paths.ts';
import { fmt, loadDevSet, percentile, scoreRetrieval, type DevQuestion } from './dev-set.ts';
import { fitRanker, foldModels, foldOf, NEUTRAL_RANKER, rankingExamples, retrievalWith } from './learning.ts';

const K = 10;
const ms = (t0: number) => performance.now() - t0;
const table: string[][] = [];
const row = (...cells: (string | number)[]) => table.push(cells.map(String));

async function naiveRecipe(embedder: TransformersEmbedder, rows: DevQuestion[]) {
  // What a tutorial does: split the raw files at 500/50 characters, embed, HNSW, top-k.
  const splitter = new RecursiveCharacterTextSplitter({ chunkSize: 500, chunkOverlap: 50 });
  const dir = config().corpusDir;
  const texts: string[] = [];
  for (const f of (await readdir(dir)).filter((n) => n.endsWith('.txt'))) texts.push(...(await splitter.splitText(await readFile(path.join(dir, f), 'utf8'))));
  const t0 = performance.now();
  const vectors = await embedder.embedPassages(texts);
  const store = HnswVectorStore.create(embedder.dims, { capacity: texts.length });
  await store.add(vectors.map((vector, i) => ({ id: String(i), vector })));
  const buildMs = ms(t0);
  const results = [];
  const latencies: number[] = [];
  for (const q of rows.filter((r) => r.answerable)) {
    const t = performance.now();
    const [v] = await embedder.embedQueries([q.question]);
    const hits = await store.search(v!, K);
    latencies.push(ms(t));
    results.push({ id: q.id, texts: hits.map((h) => texts[Number(h.id)]!) });
  }
  return { results, buildMs, chunks: texts.length, latencies };
}

async function productRuns(app: App, rows: DevQuestion[]) {
  const out: Record<string, { id: string; texts: string[] }[]> = { hybrid: [], dense: [], lexical: [] };
  for (const mode of ['hybrid', 'dense', 'lexical'] as const)
    for (const q of rows.filter((r) => r.answerable)) {
      const res = await app.retriever.search(q.question, { k: K, mode });
      out[mode]!.push({ id: q.id, texts: res.results.map((r) => r.chunk.text) });
    }
  return out;
}

async function latencies(app: App, rows: DevQuestion[]) {
  // Warm: every question once to warm the JIT, then timed with the query-embedding cache bypassed
  // (fresh text each time) and with it (repeated questions, as under real traffic).
  const questions = rows.map((r) => r.question);
  for (const q of questions) await app.retriever.search(q, { k: K });
  const cold: number[] = [];
  const cached: number[] = [];
  const chat: number[] = [];
  for (let round = 0; round < 3; round++)
    for (const q of questions) {
      let t = performance.now();
      await app.retriever.search(`${q}${' '.repeat(round + 1)}#${round}`, { k: K });
      cold.push(ms(t));
      t = performance.now();
      await app.retriever.search(q, { k: K });
      cached.push(ms(t));
      t = performance.now();
      await app.answers.answer(q);
      chat.push(ms(t));
    }
  return { cold, cached, chat };
}

async function main() {
  const rows = await loadDevSet();
  const indexDir = await mkdtemp(path.join(tmpdir(), 'pa-bench-'));
  try {
    let t0 = performance.now();
    const embedder = await TransformersEmbedder.create({ quiet: true, queryCacheSize: 1000 });
    const modelLoadMs = ms(t0);
    t0 = performance.now();
    const built = await openApp({ indexDir, embedder, quiet: true });
    const buildMs = ms(t0);

    // Start-up with a fresh index: a new model instance and a load of the index just built.
    t0 = performance.now();
    const app = await openApp({ indexDir, quiet: true });
    const startupMs = ms(t0);
    const cli = path.join(projectRoot(), 'dist', 'cli.js');
    t0 = performance.now();
    execFileSync(process.execPath, [cli, 'search', '自贸区条例第十五条', '--k', '1', '--json'], { env: { ...process.env, POLICY_ASSISTANT_INDEX_DIR: indexDir, POLICY_ASSISTANT_QUIET: '1' }, stdio: 'pipe' });
    const cliMs = ms(t0);

    const product = await productRuns(app, rows);
    const naive = await naiveRecipe(embedder, rows);
    const lat = await latencies(app, rows);

    // The committed ranker was fitted on these questions: score it also as 5-fold CV, each fold
    // reranked by a ranker fitted without it (tests/bench/learning.ts).
    const firstStage = await openApp({ indexDir, embedder, quiet: true, ranker: NEUTRAL_RANKER });
    const examples = await rankingExamples(firstStage, rows.filter((r) => r.answerable));
    const folds = foldModels(examples, (train) => fitRanker(train.map((i) => examples[i]!)));
    const scores = { 'product, 5-fold CV': retrievalWith(rows, examples, (id) => folds[foldOf(id)]!, K), 'product, in-sample': scoreRetrieval(rows, product.hybrid!), 'first stage (no ranker)': retrievalWith(rows, examples, () => NEUTRAL_RANKER, K), dense: scoreRetrieval(rows, product.dense!), bm25: scoreRetrieval(rows, product.lexical!), naive: scoreRetrieval(rows, naive.results) };
    console.log('\nRetrieval on ../shared/eval/dev.jsonl (answerable questions; score.mjs definitions)\n');
    for (const [name, s] of Object.entries(scores)) {
      console.log(name);
      console.log(`  zh  ${fmt(s.zh)}`);
      console.log(`  en  ${fmt(s.en)}`);
      console.log(`  all ${fmt(s.all)}`);
    }
    const ratio = (a: number, b: number) => (b ? `${(a / b).toFixed(2)}×` : 'n/a');
    console.log(`\nproduct − naive: R@5 ${(scores['product, 5-fold CV'].all.r5 - scores.naive.all.r5).toFixed(3)} (zh ${(scores['product, 5-fold CV'].zh.r5 - scores.naive.zh.r5).toFixed(3)}, en ${(scores['product, 5-fold CV'].en.r5 - scores.naive.en.r5).toFixed(3)})`);

    row('measure', 'value', 'baseline (naive recipe, same process)', 'ratio');
    row('index build, full corpus', `${(buildMs / 1000).toFixed(1)} s (${built.corpus.chunks.length} chunks)`, `${(naive.buildMs / 1000).toFixed(1)} s (${naive.chunks} chunks)`, ratio(buildMs, naive.buildMs));
    row('model load', `${modelLoadMs.toFixed(0)} ms`, '', '');
    row('start-up, fresh index (openApp)', `${startupMs.toFixed(0)} ms`, '', '');
    row('CLI process: start + one search', `${cliMs.toFixed(0)} ms`, '', '');
    row('search p50, uncached query', `${percentile(lat.cold, 50).toFixed(1)} ms`, `${percentile(naive.latencies, 50).toFixed(1)} ms`, ratio(percentile(lat.cold, 50), percentile(naive.latencies, 50)));
    row('search p95, uncached query', `${percentile(lat.cold, 95).toFixed(1)} ms`, `${percentile(naive.latencies, 95).toFixed(1)} ms`, ratio(percentile(lat.cold, 95), percentile(naive.latencies, 95)));
    row('search p50 / p95, repeated query', `${percentile(lat.cached, 50).toFixed(1)} / ${percentile(lat.cached, 95).toFixed(1)} ms`, '', '');
    row('offline chat answer p50 / p95', `${percentile(lat.chat, 50).toFixed(1)} / ${percentile(lat.chat, 95).toFixed(1)} ms`, `${percentile(lat.cold, 50).toFixed(1)} ms (search alone)`, ratio(percentile(lat.chat, 50), percentile(lat.cold, 50)));
    row('peak RSS', `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`, '', '');
    const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => [...r[i]!].length)));
    console.log('\n' + table.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n'));
  } finally {
    await rm(indexDir, { recursive: true, force: true });
  }
}

await main();
