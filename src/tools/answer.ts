import { z } from './zod.ts';
import type { AnswerPipeline } from '../answer/pipeline.ts';
import { validateQuery } from '../retrieve/retriever.ts';
import { queryText, type ToolDefinition } from './fields.ts';

export const AnswerQuestionInput = z.object({
  question: queryText('question').describe('The question, in Chinese or English'),
  conversationId: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,128}$/, 'conversationId is at most 128 letters, digits, ".", "-" or "_" (send back the one a previous answer returned)')
    .optional()
    .describe('The conversationId of a previous answer, to ask a follow-up in that conversation; ids are issued by the server, and any other (made up, tampered with, unknown or expired) starts a new conversation, with a notice'),
});

export const Citation = z.object({
  n: z.number().int().describe('the number its marker [n] has in the answer'),
  id: z.string().describe('Clause id; check it with get_clause'),
  label: z.string(),
  documentId: z.string(),
  documentTitle: z.string(),
  docNumber: z.string().optional(),
  date: z.string().optional(),
  quote: z.string().describe('Verbatim passage of the clause the answer rests on'),
});

export const Notice = z.object({
  kind: z.enum(['validity', 'llm_fallback', 'conversation']),
  text: z.string(),
  expired: z.boolean().describe("true when a cited measure's period has ended (or its document was repealed)"),
  until: z.string().optional().describe('ISO date the period ran until'),
  reason: z
    .enum(['invalid', 'unknown', 'expired', 'unavailable'])
    .optional()
    .describe('conversation notices: why the conversationId given was not continued (invalid: not issued by this server; unknown; expired), or unavailable: conversation memory is down, so history was neither used nor kept'),
});

export const AnswerOutput = z.object({
  conversationId: z.string().describe('issued and signed by the server; send it back with the next message to continue the conversation'),
  answer: z.string().describe('The answer; [n] markers refer to citations'),
  citations: z.array(Citation),
  abstained: z.boolean().describe('True when the corpus does not support an answer'),
  notices: z.array(Notice).describe('validity and expiry of the cited measures, and other caveats'),
  mode: z.enum(['extractive', 'llm']),
  searched: z.string().describe('The query that was searched (a follow-up with its context filled in)'),
  related: z.array(z.object({ id: z.string(), label: z.string() })).describe('Clauses shown as related when abstaining'),
});

export type AnswerQuestionInput = z.infer<typeof AnswerQuestionInput>;
export type Answer = z.infer<typeof AnswerOutput>;

export const answerTool = {
  name: 'answer_question',
  title: 'Answer a policy question with citations',
  description:
    'Answer a question about Beijing government policies, citing the exact clauses the answer rests on. ' +
    'Returns the answer text whose [n] markers refer to citations (clause id, label, document, 文号, date and the verbatim quote), ' +
    'or abstained: true with notices when the corpus does not support an answer — then do not answer from memory. ' +
    'Pass the conversationId of a previous answer to ask a follow-up in context (any id the server did not issue starts a new conversation, with a notice). mode says whether the answer was extracted offline or written by an LLM. ' +
    'Check any citation with get_clause.',
  input: AnswerQuestionInput,
  output: AnswerOutput,
} satisfies ToolDefinition;

/** `signal`: the caller has gone; the work stops with an AbortedError. */
export async function answerQuestion(answers: AnswerPipeline, input: AnswerQuestionInput, signal?: AbortSignal): Promise<Answer> {
  // Control characters are dropped as the retriever drops them, so memory keeps what was searched.
  return answers.answer(validateQuery(input.question), input.conversationId, signal);
}
