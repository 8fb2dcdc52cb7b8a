import { createHash, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import { Router, type RequestHandler } from 'express';
import type { AppHolder, AppReloader, ReloadStatus } from '../../app-reload.ts';
import { config } from '../../config.ts';
import { HttpError, methodNotAllowed } from '../errors.ts';


export interface AdminOptions {
  /** Bearer token for /admin; default env POLICY_ASSISTANT_ADMIN_TOKEN. Without one the routes do not exist (404). */
  token?: string;
}

/**
 * POST /admin/reindex[?rebuild=true]: re-reads the corpus and builds the changed passages (or all,
 * with rebuild) in the background; 202 with the job's status, or the running job's when one is
 * already under way. Requests are answered from the old index until the new one is swapped in.
 * GET /admin/reindex: the latest job's state and progress, and the generation being served.
 */
export function adminRouter(holder: AppHolder, reloader: AppReloader, opts: AdminOptions = {}): Router {
  const router = Router();
  const token = opts.token ?? config().adminToken;
  // Disabled unless configured: an unauthenticated rebuild trigger would be a denial-of-service lever.
  if (!token) return router;

  const body = (status: ReloadStatus) => {
    const { index, corpus } = holder.current();
    return { ...status, serving: { generation: path.basename(index.dir), builtAt: index.builtAt, documents: corpus.documents.length, chunks: corpus.chunks.length } };
  };
  router.use('/admin', bearerAuth(token), (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  router
    .route('/admin/reindex')
    .get((_req, res) => {
      res.json(body(reloader.status()));
    })
    .post((req, res) => {
      const rebuild = req.query.rebuild;
      if (rebuild !== undefined && rebuild !== 'true' && rebuild !== 'false') throw new HttpError('invalid_input', 'rebuild must be true or false');
      const status = reloader.reindex({ rebuild: rebuild === 'true' });
      res.status(202).location('/admin/reindex').json(body(status));
    })
    .all(methodNotAllowed('GET', 'POST'));
  return router;
}

function bearerAuth(token: string): RequestHandler {
  const want = digest(token);
  return (req, res, next) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    // Digests have equal length, so the comparison is constant-time whatever was sent.
    if (m && timingSafeEqual(digest(m[1]!), want)) return next();
    res.setHeader('WWW-Authenticate', 'Bearer realm="policy-assistant admin"');
    next(new HttpError('unauthorized', m ? 'wrong bearer token' : `send Authorization: Bearer <POLICY_ASSISTANT_ADMIN_TOKEN>`));
  };
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
