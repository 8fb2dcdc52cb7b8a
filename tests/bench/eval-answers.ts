/**
 * npm run eval:answers [-- --url http://host:port] [--verbose]: asks every dev question through the
 * chat API over HTTP and scores the answers as the held-out sets are scored.
 *
 * Without --url it reports 5-fold cross-validated figures: the learned models are fitted on four
 * fifths of dev.jsonl (tests/bench/learning.ts), a real server on loopback is started with them, and
 * it is asked the fifth it never saw; the five folds are pooled. The committed models (fitted on
 * every question) are then scored the same way, in-sample, so overfitting is visible. With --url it
 * scores whatever that server runs. Every citation's quote is checked verbatim against the clause
 * the API serves.
 */
import { parseArgs } from 'node:util';
import { openApp } from '../../src/app.ts';
import { startServer } from '../../src/http/server.ts';
import { TransformersEmbedder } from '../../src/index/embedder/index.ts';
import { squash } from '../helpers.ts';
import { formatAnswers, loadDevSet, scoreAnswers, type DevQuestion, type JudgedAnswer } from './dev-set.ts';
import { fitAll, foldOf, FOLDS, type FittedModels } from './learning.ts';

interface ChatAnswer extends JudgedAnswer {
  citations: { id: string; label: string; quote: string }[];
}

async function ask(base: string, questions: DevQuestion[], verbatim: { checked: number; ok: number; bad: string[] }) {
  const pairs: { q: DevQuestion; a: ChatAnswer }[] = [];
  for (const q of questions) {
    const res = await fetch(`${base}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: q.question }) });
    if (!res.ok) throw new Error(`${q.id}: HTTP ${res.status} ${await res.text()}`);
    const a = (await res.json()) as ChatAnswer;
    for (const c of a.citations) {
      verbatim.checked++;
      const clause = (await (await fetch(`${base}/api/clauses/${encodeURIComponent(c.id)}`)).json()) as { text?: string };
      if (clause.text && squash(clause.text).includes(squash(c.quote))) verbatim.ok++;
      else verbatim.bad.push(`${q.id}: citation ${c.label} is not verbatim`);
    }
    pairs.push({ q, a });
  }
  return pairs;
}

async function withServer<T>(models: FittedModels, embedder: TransformersEmbedder, run: (base: string) => Promise<T>): Promise<T> {
  const app = await openApp({ quiet: true, llm: null, embedder, ranker: models.ranker, answerModel: models.answer });
  const server = await startServer(app, { port: 0, host: '127.0.0.1' });
  try {
    return await run(server.url);
  } finally {
    await server.close();
  }
}

async function main() {
  process.env.LOG_LEVEL ??= 'warn';
  // One client asks every question back to back: the per-address limits would throttle it.
  process.env.POLICY_ASSISTANT_RATE_LIMIT_CHAT ??= 'off';
  process.env.POLICY_ASSISTANT_RATE_LIMIT_API ??= 'off';
  const { values } = parseArgs({ options: { url: { type: 'string' }, verbose: { type: 'boolean' } } });
  const rows = await loadDevSet();
  const verbatim = { checked: 0, ok: 0, bad: [] as string[] };
  const report = (name: string, pairs: { q: DevQuestion; a: ChatAnswer }[]) => {
    const s = scoreAnswers(pairs);
    console.log(`\n${name}\n${formatAnswers(s)}`);
    if (values.verbose) console.log(s.failures.map((f) => `  - ${f}`).join('\n'));
    return s;
  };
  if (values.url) {
    report(`answers from ${values.url} on ${rows.length} dev questions`, await ask(values.url, rows, verbatim));
  } else {
    const embedder = await TransformersEmbedder.create({ quiet: true });
    const open = (ranker: FittedModels['ranker']) => openApp({ quiet: true, llm: null, embedder, ranker, answerModel: null });
    const { full, folds } = await fitAll(rows, open);
    const pooled: { q: DevQuestion; a: ChatAnswer }[] = [];
    for (let k = 0; k < FOLDS; k++) pooled.push(...(await withServer(folds[k]!, embedder, (base) => ask(base, rows.filter((q) => foldOf(q.id) === k), verbatim))));
    report(`answers over HTTP, 5-fold cross-validated (each fold answered by a server fitted without it), ${rows.length} dev questions`, pooled);
    report('answers over HTTP, in-sample (models fitted on every dev question)', await withServer(full, embedder, (base) => ask(base, rows, verbatim)));
  }
  console.log(`\ncitations verbatim: ${((100 * verbatim.ok) / Math.max(1, verbatim.checked)).toFixed(1)}% (${verbatim.ok}/${verbatim.checked})`);
  if (verbatim.bad.length) console.log(verbatim.bad.map((f) => `  - ${f}`).join('\n'));
  process.exit(verbatim.bad.length ? 1 : 0);
}

await main();
