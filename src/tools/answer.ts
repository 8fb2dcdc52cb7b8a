import type { AnswerPipeline } from '../answer/pipeline.ts';
import type { Answer } from '../answer/types.ts';
import { InvalidQueryError } from '../retrieve/errors.ts';
import { validateQuery } from '../retrieve/retriever.ts';
import { InvalidInputError } from './errors.ts';

export interface AnswerQuestionInput {
  question: string;
  /** Continues a conversation the server issued; any other id starts a new one, with a notice. */
  conversationId?: string;
}

// Issued ids are 71 characters; anything else is answered in a new conversation, but a huge
// value is an error, not an id.
const MAX_CONVERSATION_ID = 128;

export async function answerQuestion(answers: AnswerPipeline, input: AnswerQuestionInput): Promise<Answer> {
  if (input.conversationId !== undefined && input.conversationId.length > MAX_CONVERSATION_ID)
    throw new InvalidInputError(`conversationId is at most ${MAX_CONVERSATION_ID} characters (use the one a previous answer returned)`);
  let question: string;
  try {
    question = validateQuery(input.question);
  } catch (e) {
    if (e instanceof InvalidQueryError) throw new InvalidInputError(e.message.replace('query', 'question'));
    throw e;
  }
  return answers.answer(question, input.conversationId);
}
