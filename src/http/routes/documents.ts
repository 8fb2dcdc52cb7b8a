import { Router } from 'express';
import type { Tools } from '../../tools/index.ts';
import { methodNotAllowed } from '../errors.ts';
import type { HttpRequests } from './requests.ts';

/** GET /api/documents (filtered list) and GET /api/documents/:id (metadata, clean text, clause offsets). */
export function documentsRouter(t: Tools, requests: HttpRequests): Router {
  const router = Router();
  router
    .route('/api/documents')
    .get((req, res) => {
      res.json({ documents: t.listDocuments(requests.documentsQuery.parse(req.query)) });
    })
    .all(methodNotAllowed('GET'));
  router
    .route('/api/documents/:id')
    .get((req, res) => {
      res.json(t.getDocument({ id: req.params.id }));
    })
    .all(methodNotAllowed('GET'));
  return router;
}
