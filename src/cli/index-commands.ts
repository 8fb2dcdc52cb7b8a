import { openApp } from '../app.ts';
import { tools } from '../tools/index.ts';
import { print, printJson } from './output.ts';

/** Builds or updates the index explicitly (npm start does it on first run). */
export async function indexCommand(opts: { rebuild?: boolean; json?: boolean }): Promise<number> {
  // An explicit build: for this corpus, waiting for another writer's lock rather than racing it.
  const app = await openApp({ rebuild: opts.rebuild, write: 'build', waitForLock: true });
  const { stats, dir, model } = app.index;
  if (opts.json) printJson({ dir, model, ...stats, documents: app.corpus.documents.length, chunks: app.corpus.chunks.length });
  else
    print(
      `index ${stats.mode}: ${app.corpus.chunks.length} chunks of ${app.corpus.documents.length} documents in ${dir} ` +
        `(${stats.embedded} embedded, ${stats.reused} reused, ${stats.removed} removed, ${(stats.ms / 1000).toFixed(1)} s)`,
    );
  return 0;
}

export async function searchCommand(query: string, opts: { k?: string; json?: boolean }): Promise<number> {
  const app = await openApp({ quiet: true });
  const k = opts.k === undefined ? 10 : Number(opts.k);
  const out = await tools(app).searchPolicies({ query, k });
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
