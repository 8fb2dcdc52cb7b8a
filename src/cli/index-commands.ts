import { openApp } from '../app.ts';
import { parseInput, tools, TOOLS } from '../tools/index.ts';
import { print, printJson } from './output.ts';

/** Builds or updates the index explicitly (npm start does it on first run). */
export async function indexCommand(opts: { rebuild?: boolean; json?: boolean }): Promise<number> {
  // An explicit build, for this corpus: waits for another writer's lock rather than racing it, and
  // never connects to Redis (no conversations here; its socket would keep the command alive).
  const app = await openApp({ rebuild: opts.rebuild, write: 'build', waitForLock: true, redisUrl: null });
  const { stats, dir, model } = app.index;
  if (opts.json) printJson({ dir, model, ...stats, documents: app.corpus.documents.length, chunks: app.corpus.chunks.length });
  else
    print(
      `index ${stats.mode}: ${app.corpus.chunks.length} chunks of ${app.corpus.documents.length} documents in ${dir} ` +
        `(${stats.embedded} embedded, ${stats.reused} reused, ${stats.removed} removed, ${(stats.ms / 1000).toFixed(1)} s)`,
    );
  return 0;
}

export async function askCommand(question: string, opts: { json?: boolean; conversation?: string }): Promise<number> {
  const input = parseInput(TOOLS.answer.input, { question, conversationId: opts.conversation });
  const app = await openApp({ quiet: true });
  const a = await tools(app).answerQuestion(input).finally(() => app.conversations.close());
  if (opts.json) {
    printJson(a);
    return 0;
  }
  print(a.answer);
  for (const c of a.citations) {
    print();
    print(`[${c.n}] ${c.label}${c.docNumber ? `（${c.docNumber}）` : ''}`);
    print(`    “${c.quote.replace(/\n/g, '\n     ')}”`);
  }
  if (a.related.length) print(`\nrelated: ${a.related.map((r) => r.label).join('；')}`);
  for (const n of a.notices) print(`${n.expired ? '⚠ ' : ''}${n.text}`);
  print(`\nconversation: ${a.conversationId} (continue with --conversation ${a.conversationId})`);
  return 0;
}

export async function searchCommand(query: string, opts: { k?: string; json?: boolean }): Promise<number> {
  // The tool's own schema checks the input (one rule for every edge), before the model is loaded.
  const input = parseInput(TOOLS.search.input, { query, k: opts.k === undefined ? undefined : Number(opts.k) });
  const app = await openApp({ quiet: true, redisUrl: null });
  const out = await tools(app).searchPolicies(input);
  if (opts.json) printJson(out);
  else {
    if (out.query.lang === 'en') print(`searched (translated): ${out.query.searched}\n`);
    if (!out.results.length) print('no clause matches');
    out.results.forEach((r, i) => {
      const s = r.scores;
      const why = [s.dense !== undefined && `dense ${s.dense.toFixed(3)}`, s.lexical !== undefined && `bm25 ${s.lexical.toFixed(1)}`, s.reference && `reference: ${s.reference}`]
        .filter(Boolean)
        .join(', ');
      print(`${i + 1}. ${r.label}  [${r.score.toFixed(3)}: ${why}]`);
      print(`   ${r.text.replace(/\n/g, '\n   ')}`);
      print(`   id: ${r.id}`);
      print();
    });
  }
  return 0;
}
