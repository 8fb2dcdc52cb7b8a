import { Router } from 'express';
import { InvalidInputError, type Tools } from '../../tools/index.ts';
import { methodNotAllowed } from '../errors.ts';
import type { HttpRequests } from './requests.ts';

/**
 * GET /api/clauses/:id and GET /api/clauses?ref=<reference>: the clause (label, document, verbatim
 * text, heading path, prevId/nextId) with its neighbouring clauses as `previous` and `next`.
 */
export function clausesRouter(t: Tools, requests: HttpRequests): Router {
  const router = Router();
  const view = (input: { id?: string; reference?: string }) => {
    const { clause, previous, next } = t.getClauseWithNeighbours(input);
    return { ...clause, previous, next };
  };
  router
    .route('/api/clauses')
    .get((req, res) => {
      if (req.query.ref === undefined) throw new InvalidInputError('give ref=<reference>, e.g. /api/clauses?ref=自贸区条例第十五条');
      res.json(view({ reference: requests.clauseQuery.parse(req.query).ref }));
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
