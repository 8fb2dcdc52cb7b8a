import type { AnswerPipeline } from '../answer/pipeline.ts';
import type { Answer } from '../answer/types.ts';
import { InvalidQueryError } from '../retrieve/errors.ts';
import { validateQuery } from '../retrieve/retriever.ts';
import { InvalidInputError } from './errors.ts';

export interface AnswerQuestionInput {
  question: string;
  /** Continues a conversation; a new one is started when absent or unknown. */
  conversationId?: string;
}

const CONVERSATION_ID = /^[A-Za-z0-9_-]{8,64}$/;

/** `signal`: the caller has gone; the work stops with an AbortedError. */
export async function answerQuestion(answers: AnswerPipeline, input: AnswerQuestionInput, signal?: AbortSignal): Promise<Answer> {
  if (input.conversationId !== undefined && !CONVERSATION_ID.test(input.conversationId))
    throw new InvalidInputError('conversationId must be 8–64 letters, digits, "-" or "_" (use the one a previous answer returned)');
  let question: string;
  try {
    question = validateQuery(input.question);
  } catch (e) {
    if (e instanceof InvalidQueryError) throw new InvalidInputError(e.message.replace('query', 'question'));
    throw e;
  }
  return answers.answer(question, input.conversationId, signal);
}
