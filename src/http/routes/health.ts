import path from 'node:path';
import { Router } from 'express';
import type { App } from '../../app.ts';
import { methodNotAllowed } from '../errors.ts';

/**
 * GET /healthz: 200 whenever the server is up — the app (and so the index) is open before it
 * listens. A conversation store that is down is reported (`conversations.ok: false`) but is not a
 * failure: chat still answers, without history.
 */
export function healthRouter(app: App): Router {
  const startedAt = Date.now();
  const router = Router();
  router
    .route('/healthz')
    .get(async (_req, res) => {
      const { stats, model, builtAt, dir } = app.index;
      res.setHeader('Cache-Control', 'no-store');
      res.json({
        status: 'ok',
        index: {
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
        conversations: await app.conversations.status(),
        startedAt: new Date(startedAt).toISOString(),
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      });
    })
    .all(methodNotAllowed('GET'));
  return router;
}
