import { Router } from 'express';
import type { Tools } from '../../tools/index.ts';
import { methodNotAllowed } from '../errors.ts';
import { logUserText } from '../logger.ts';
import { admitOrRefuse, clientSignal, type WorkControl } from '../overload.ts';
import type { HttpRequests } from './requests.ts';

/** POST /api/search: clause pieces ranked by hybrid retrieval, passed through from searchPolicies. */
export function searchRouter(t: Tools, requests: HttpRequests, work: WorkControl): Router {
  const router = Router();
  router
    .route('/api/search')
    .post(async (req, res) => {
      const input = requests.search.parse(req.body);
      const signal = clientSignal(res, work.cancelOnDisconnect);
      const out = await admitOrRefuse(work.gate, res, signal).run(() => t.searchPolicies(input, signal));
      logUserText(res.locals.log, 'query', input.query);
      res.locals.log.info({ route: 'search', chars: input.query.length, results: out.results.length }, 'searched');
      res.json(out);
    })
    .all(methodNotAllowed('POST'));
  return router;
}
