import { Router } from 'express';
import { z } from 'zod';
import { MAX_K, MAX_QUERY_LENGTH } from '../../retrieve/retriever.ts';
import type { Tools } from '../../tools/index.ts';
import { methodNotAllowed } from '../errors.ts';
import { textPrefix } from '../logger.ts';
import { admitOrRefuse, clientSignal, type WorkControl } from '../overload.ts';

const shortText = z.string().max(200);

export const SearchRequest = z.object({
  query: z.string().min(1, 'the query is empty').max(MAX_QUERY_LENGTH, `a query is at most ${MAX_QUERY_LENGTH} characters`),
  // Its range is checked by the tools layer.
  k: z.number().optional().describe(`number of results, 1 to ${MAX_K} (default 10)`),
  filters: z
    .object({
      document: shortText.optional().describe('a title, short name or 文号 naming the documents to search'),
      documentIds: z.array(z.string().max(20)).max(100).optional(),
      issuer: shortText.optional(),
      dateFrom: z.iso.date().optional(),
      dateTo: z.iso.date().optional(),
    })
    .optional(),
});

/** POST /api/search: clause pieces ranked by hybrid retrieval, passed through from searchPolicies. */
export function searchRouter(t: Tools, work: WorkControl): Router {
  const router = Router();
  router
    .route('/api/search')
    .post(async (req, res) => {
      const input = SearchRequest.parse(req.body);
      const signal = clientSignal(res, work.cancelOnDisconnect);
      const out = await admitOrRefuse(work.gate, res, signal).run(() => t.searchPolicies(input, signal));
      res.locals.log.info({ route: 'search', query: textPrefix(input.query), results: out.results.length }, 'searched');
      res.json(out);
    })
    .all(methodNotAllowed('POST'));
  return router;
}
