import { Router } from 'express';
import { z } from 'zod';
import type { Tools } from '../../tools/index.ts';
import { methodNotAllowed } from '../errors.ts';

const shortText = z.string().max(200);

export const DocumentsQuery = z.object({
  q: shortText.optional().describe('words from a title, a short name or a 文号'),
  issuer: shortText.optional(),
  dateFrom: z.iso.date().optional().describe('earliest issue date'),
  dateTo: z.iso.date().optional().describe('latest issue date'),
});

/** GET /api/documents (filtered list) and GET /api/documents/:id (metadata, clean text, clause offsets). */
export function documentsRouter(t: Tools): Router {
  const router = Router();
  router
    .route('/api/documents')
    .get((req, res) => {
      const { q, ...rest } = DocumentsQuery.parse(req.query);
      res.json({ documents: t.listDocuments({ query: q, ...rest }) });
    })
    .all(methodNotAllowed('GET'));
  router
    .route('/api/documents/:id')
    .get((req, res) => {
      res.json(t.getDocument(req.params.id));
    })
    .all(methodNotAllowed('GET'));
  return router;
}
