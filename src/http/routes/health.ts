import path from 'node:path';
import { Router } from 'express';
import { z } from '../../tools/zod.ts';
import type { App } from '../../app.ts';
import { methodNotAllowed } from '../errors.ts';
import type { WorkStats } from '../overload.ts';

/** The body of /healthz; loose, since parts report state (index repair, conversation store) beside these. */
export const HealthResponse = z.looseObject({
  status: z.string().describe('ok, or what is degraded'),
  index: z.looseObject({
    documents: z.number().int(),
    clauses: z.number().int(),
    chunks: z.number().int(),
    builtAt: z.string(),
    generation: z.string(),
    openedAs: z.enum(['loaded', 'incremental', 'full', 'repaired', 'degraded']),
    openMs: z.number().int(),
    state: z.enum(['ok', 'rebuilding']).describe('rebuilding: a damaged index answered from its intact parts while a writer repairs it'),
    repairing: z.array(z.string()).optional().describe('what is damaged and being repaired'),
    serving: z.object({ dense: z.boolean(), lexical: z.boolean(), sentences: z.boolean() }).describe('the parts answering'),
    corpus: z.enum(['same', 'differs']).describe("whether this replica's corpus is the one the served index was built from"),
    differences: z
      .object({ files: z.array(z.string()), documents: z.object({ added: z.array(z.string()), removed: z.array(z.string()), changed: z.array(z.string()) }) })
      .optional(),
  }),
  model: z.object({ id: z.string(), sha256: z.string(), dims: z.number().int() }),
  answerMode: z.enum(['extractive', 'llm']),
  conversations: z
    .object({
      store: z.enum(['memory', 'redis']),
      ok: z.boolean(),
      conversations: z.number().int().optional(),
      bytes: z.number().int().optional(),
      error: z.string().optional(),
      since: z.string().optional(),
    })
    .describe('the conversation store; ok: false while Redis is unreachable (chat then answers without history, and says so)'),
  startedAt: z.string(),
  uptimeSeconds: z.number().int(),
});

/**
 * GET /healthz: 200 whenever the server is up — the app (and so the index) is open before it listens.
 * status 'rebuilding' while a damaged index is answered from its intact parts (index.repairing says
 * what, index.serving which arms answer); index.corpus 'differs' when this replica's corpus is not
 * the one the committed index was built from (index.differences says which files and documents).
 * `load` shows the answer/search work running, waiting, finished, cancelled and refused. A
 * conversation store that is down is reported (`conversations.ok: false`) but is not a failure:
 * chat still answers, without history.
 */
export function healthRouter(app: App, load?: () => WorkStats): Router {
  const startedAt = Date.now();
  const router = Router();
  router
    .route('/healthz')
    .get(async (_req, res) => {
      const { stats, model, builtAt, dir, condition } = app.index;
      res.setHeader('Cache-Control', 'no-store');
      res.json({
        status: condition.state === 'ok' ? 'ok' : 'rebuilding',
        index: {
          state: condition.state === 'ok' ? 'ok' : 'rebuilding',
          ...(condition.state === 'ok' ? {} : { repairing: condition.problems }),
          serving: condition.serving,
          corpus: condition.corpus,
          ...(condition.differences ? { differences: condition.differences } : {}),
          documents: app.corpus.documents.length,
          clauses: app.corpus.clauses.length,
          chunks: app.corpus.chunks.length,
          builtAt,
          // only the generation's name: the absolute path says nothing a client needs
          generation: path.basename(dir),
          openedAs: stats.mode,
          openMs: Math.round(stats.ms),
        },
        model: { id: model.id, sha256: model.sha256, dims: model.dims },
        answerMode: app.answers.mode,
        ...(load && { load: load() }),
        conversations: await app.conversations.status(),
        startedAt: new Date(startedAt).toISOString(),
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      });
    })
    .all(methodNotAllowed('GET'));
  return router;
}
