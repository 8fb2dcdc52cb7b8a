import { Router } from 'express';
import { z } from 'zod';
import type { Tools } from '../../tools/index.ts';
import { methodNotAllowed } from '../errors.ts';

export const ClauseQuery = z.object({
  ref: z
    .string({ error: 'give ref=<reference>, e.g. /api/clauses?ref=自贸区条例第十五条' })
    .describe('a reference such as 自贸区条例第十五条, 京政发〔2021〕3号第五条 or 《北京市促进私营个体经济发展条例》第二十八条'),
});

/**
 * GET /api/clauses/:id and GET /api/clauses?ref=<reference>: the clause (label, document, verbatim
 * text, heading path, prevId/nextId) with its neighbouring clauses as `previous` and `next`.
 */
export function clausesRouter(t: Tools): Router {
  const router = Router();
  const view = (input: { id?: string; reference?: string }) => {
    const { clause, previous, next } = t.getClauseWithNeighbours(input);
    return { ...clause, previous, next };
  };
  router
    .route('/api/clauses')
    .get((req, res) => {
      res.json(view({ reference: ClauseQuery.parse(req.query).ref }));
    })
    .all(methodNotAllowed('GET'));
  router
    .route('/api/clauses/:id')
    .get((req, res) => {
      res.json(view({ id: req.params.id }));
    })
    .all(methodNotAllowed('GET'));
  return router;
}
