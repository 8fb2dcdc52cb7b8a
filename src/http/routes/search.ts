import { Router } from 'express';
import type { Tools } from '../../tools/index.ts';
import { methodNotAllowed } from '../errors.ts';
import { textPrefix } from '../logger.ts';
import type { HttpRequests } from './requests.ts';

/** POST /api/search: clause pieces ranked by hybrid retrieval, passed through from searchPolicies. */
export function searchRouter(t: Tools, requests: HttpRequests): Router {
  const router = Router();
  router
    .route('/api/search')
    .post(async (req, res) => {
      const input = requests.search.parse(req.body);
      const out = await t.searchPolicies(input);
      res.locals.log.info({ route: 'search', query: textPrefix(input.query), results: out.results.length }, 'searched');
      res.json(out);
    })
    .all(methodNotAllowed('POST'));
  return router;
}
