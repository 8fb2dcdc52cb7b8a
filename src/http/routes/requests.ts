import { z } from '../../tools/zod.ts';
import type { ToolCatalogue } from '../../tools/index.ts';

/**
 * HTTP request shapes, each derived from its tool's input schema (a field renamed at most), so the
 * routes, the OpenAPI document and MCP share every limit.
 */
export function httpRequests(c: ToolCatalogue) {
  const answer = c.answer.input.shape;
  return {
    chat: z.object({ message: answer.question, conversationId: answer.conversationId }),
    search: c.search.input,
    clauseQuery: z.object({
      ref: c.clause.input.shape.reference
        .unwrap()
        .describe('a reference such as 自贸区条例第十五条, 京政发〔2021〕3号第五条 or 《北京市促进私营个体经济发展条例》第二十八条'),
    }),
    documentsQuery: c.listDocuments.input,
  };
}

export type HttpRequests = ReturnType<typeof httpRequests>;
