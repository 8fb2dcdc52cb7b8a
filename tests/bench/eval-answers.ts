/**
 * npm run eval:answers [-- --url http://host:port]: asks every dev question through the chat API
 * over HTTP and scores the answers as the held-out set is scored. Without --url it starts the real
 * server on loopback. An answer to an answerable question is correct when its text contains one of
 * answer_key (whitespace ignored) and one of its citations hits a gold span; an unanswerable one
 * must abstain. Every citation's quote is checked verbatim against the clause the API serves.
 */
import { parseArgs } from 'node:util';
import { openApp } from '../../src/app.ts';
import { startServer } from '../../src/http/server.ts';
import { squash } from '../helpers.ts';
import { judgeAnswer, loadDevSet } from './dev-set.ts';

interface ChatCitation {
  id: string;
  label: string;
  quote: string;
}
interface ChatAnswer {
  answer: string;
  citations: ChatCitation[];
  abstained: boolean;
  notices: string[];
}

async function main() {
  process.env.LOG_LEVEL ??= 'warn';
  // One client asks every question back to back: the per-address limits would throttle it.
  process.env.POLICY_ASSISTANT_RATE_LIMIT_CHAT ??= 'off';
  process.env.POLICY_ASSISTANT_RATE_LIMIT_API ??= 'off';
  const { values } = parseArgs({ options: { url: { type: 'string' }, verbose: { type: 'boolean' } } });
  const server = values.url ? undefined : await startServer(await openApp({ quiet: true, llm: null }), { port: 0, host: '127.0.0.1' });
  const base = values.url ?? server!.url;
  try {
    const rows = await loadDevSet();
    let answerable = 0;
    let correct = 0;
    let falseAbstain = 0;
    let unanswerable = 0;
    let abstained = 0;
    let citations = 0;
    let verbatim = 0;
    const failures: string[] = [];
    for (const q of rows) {
      const res = await fetch(`${base}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: q.question }) });
      if (!res.ok) throw new Error(`${q.id}: HTTP ${res.status} ${await res.text()}`);
      const a = (await res.json()) as ChatAnswer;
      for (const c of a.citations) {
        citations++;
        const clause = (await (await fetch(`${base}/api/clauses/${encodeURIComponent(c.id)}`)).json()) as { text?: string };
        if (clause.text && squash(clause.text).includes(squash(c.quote))) verbatim++;
        else failures.push(`${q.id}: citation ${c.label} is not verbatim`);
      }
      if (!q.answerable) {
        unanswerable++;
        if (a.abstained) abstained++;
        else failures.push(`${q.id} (unanswerable) answered: ${a.answer.slice(0, 80)}`);
        continue;
      }
      answerable++;
      if (a.abstained) {
        falseAbstain++;
        failures.push(`${q.id} abstained: ${q.question}`);
        continue;
      }
      const { hasKey, hitsGold } = judgeAnswer(q, a);
      if (hasKey && hitsGold) correct++;
      else failures.push(`${q.id} wrong (key ${hasKey ? 'yes' : 'no'}, gold citation ${hitsGold ? 'yes' : 'no'}): ${q.question}`);
    }
    const pct = (n: number, d: number) => `${((100 * n) / Math.max(1, d)).toFixed(1)}% (${n}/${d})`;
    console.log(`answer eval over HTTP at ${base} on ${rows.length} dev questions`);
    console.log(`  correct answers (key + gold citation), answerable: ${pct(correct, answerable)}   target ≥ 80%`);
    console.log(`  abstention on unanswerable:                        ${pct(abstained, unanswerable)}   target ≥ 75%`);
    console.log(`  false abstention on answerable:                    ${pct(falseAbstain, answerable)}   target ≤ 5%`);
    console.log(`  citations verbatim:                                ${pct(verbatim, citations)}   target 100%`);
    if (values.verbose || failures.length) console.log('\n' + failures.map((f) => `  - ${f}`).join('\n'));
  } finally {
    await server?.close();
  }
}

await main();
