import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StringOutputParser } from '@langchain/core/output_parsers';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import type { Runnable } from '@langchain/core/runnables';
import { ChatOpenAI } from '@langchain/openai';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import { projectRoot } from '../util/paths.ts';
import type { Turn } from './conversations.ts';
import type { LlmConfig } from './llm-config.ts';
import type { AnswerInput, Answerer, ContextClause, Draft, DraftCitation } from './types.ts';
import { verifyDraft } from './verify.ts';

/**
 * The LLM answerer: a LangChain chain (prompt from prompts/answer.md → ChatOpenAI → JSON parsing)
 * over any OpenAI-compatible server. The model sees only the numbered retrieved clauses and answers
 * from them, citing by number with verbatim quotes; each number is mapped back to its clause and
 * every quote is verified before it is shown. Follow-ups are rewritten for retrieval with
 * prompts/rewrite.md. Errors are typed and their messages never carry the API key or the server's
 * own error text, because the pipeline shows them to the user when it falls back to offline answers.
 */
export class LlmError extends AppError {
  constructor(message: string) {
    super('llm_failed', message);
  }
}

/** A prompt template file is missing or malformed. */
export class LlmPromptError extends LlmError {}

/** The model server failed, refused or could not be reached. */
export class LlmRequestError extends LlmError {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The model replied, but not with what the prompt asks for. */
export class LlmOutputError extends LlmError {}

const ModelAnswerSchema = z.object({
  answer: z.string(),
  citations: z.array(z.object({ n: z.coerce.number().int(), quote: z.string() })).default([]),
  abstained: z.boolean().default(false),
});
export type ModelAnswer = z.infer<typeof ModelAnswerSchema>;

/** Recent turns shown to the model; older ones rarely matter and cost tokens. */
const HISTORY_TURNS = 3;
const HISTORY_ANSWER_CHARS = 400;
const MAX_QUERY_CHARS = 300;

export class LlmAnswerer implements Answerer {
  readonly mode = 'llm' as const;
  private readonly answerChain: Runnable<Record<string, unknown>, ModelAnswer>;
  private readonly rewriteChain: Runnable<Record<string, unknown>, string>;

  /** Reads the prompt templates now, so a broken deployment fails at startup, not per question. */
  constructor(config: LlmConfig, promptsDir: string = join(projectRoot(), 'prompts')) {
    const model = new ChatOpenAI({
      model: config.model,
      apiKey: config.apiKey,
      configuration: { baseURL: config.baseURL },
      temperature: 0,
      // The pipeline falls back to the offline answer at once; retries would only spend its time budget.
      maxRetries: 0,
      timeout: config.timeoutMs,
    });
    this.answerChain = loadPrompt(join(promptsDir, 'answer.md')).pipe(model).pipe(new StringOutputParser()).pipe(parseModelAnswer);
    this.rewriteChain = loadPrompt(join(promptsDir, 'rewrite.md')).pipe(model).pipe(new StringOutputParser()).pipe(parseRewrite);
  }

  async answer(input: AnswerInput, signal?: AbortSignal): Promise<Draft> {
    const reply = await invoke(
      this.answerChain,
      { clauses: renderClauses(input.context), history: renderHistory(input.history), question: escapeBlock(input.question), english: input.lang === 'en' },
      signal,
    );
    return toDraft(reply, input);
  }

  /** A follow-up rewritten as a standalone search query, from the conversation so far. */
  async rewrite(question: string, history: Turn[], signal?: AbortSignal): Promise<string> {
    return invoke(this.rewriteChain, { question: escapeBlock(question), history: renderHistory(history) }, signal);
  }
}

async function invoke<T>(chain: Runnable<Record<string, unknown>, T>, vars: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
  try {
    return await chain.invoke(vars, { signal });
  } catch (e) {
    // An abort is the caller's own decision (its timeout); let its reason through unchanged.
    if (signal?.aborted) throw signal.reason;
    throw asLlmError(e);
  }
}

/** Only our own words and the HTTP status: a server's error text may echo the request, key included. */
function asLlmError(e: unknown): LlmError {
  if (e instanceof LlmError) return e;
  const status = (e as { status?: unknown } | null)?.status;
  if (typeof status === 'number') return new LlmRequestError(`the model server answered HTTP ${status}`, status);
  if ((e as Error | null)?.name === 'TimeoutError') return new LlmRequestError('the model server did not answer in time');
  return new LlmRequestError('could not reach the model server');
}

/**
 * A prompt file: an editor's note, then a `=== system ===` and a `=== human ===` section, with
 * mustache placeholders (so JSON examples in the prompt need no brace escaping).
 */
export function loadPrompt(file: string): ChatPromptTemplate {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    throw new LlmPromptError(`cannot read the prompt template ${file}`);
  }
  const [, role1, system, role2, human, ...rest] = source.split(/^=== (system|human) ===[ \t]*$/m);
  if (role1 !== 'system' || role2 !== 'human' || rest.length || !system?.trim() || !human?.trim())
    throw new LlmPromptError(`${file} must hold one "=== system ===" section followed by one "=== human ===" section`);
  return ChatPromptTemplate.fromMessages(
    [
      ['system', system.trim()],
      ['human', human.trim()],
    ],
    { templateFormat: 'mustache' },
  );
}

/** The JSON object the prompt asks for, tolerating code fences, reasoning blocks and chatter around it. */
export function parseModelAnswer(text: string): ModelAnswer {
  const body = withoutReasoning(text);
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(body);
  const inner = (fenced ? fenced[1]! : body).trim();
  const start = inner.indexOf('{');
  const end = inner.lastIndexOf('}');
  let json: unknown;
  try {
    json = JSON.parse(start >= 0 && end > start ? inner.slice(start, end + 1) : inner);
  } catch {
    throw new LlmOutputError('the model did not reply with JSON');
  }
  const parsed = ModelAnswerSchema.safeParse(json);
  if (!parsed.success) throw new LlmOutputError('the model reply lacks the expected answer fields');
  return parsed.data;
}

/** The query alone: first non-empty line, without quotes the model may wrap it in. */
export function parseRewrite(text: string): string {
  const query = unescapeBlock(withoutReasoning(text))
    .split('\n')
    .map((l) => l.trim().replace(/^["“「'`]+|["”」'`]+$/g, '').trim())
    .find(Boolean);
  if (!query) throw new LlmOutputError('the model returned an empty search query');
  return query.slice(0, MAX_QUERY_CHARS);
}

/** Reasoning models (DeepSeek-R1, Qwen3 on Ollama) may put their thinking before the reply. */
const withoutReasoning = (text: string): string => text.replace(/<think>[\s\S]*?<\/think>/g, '');

/**
 * Text placed inside a prompt block: the question, earlier turns and clause text. Escaping `&`, `<`
 * and `>` (and `"` for attributes) means no text can close a block or open a fake one, such as a
 * `</question>` followed by instructions or a `<clause n="9">` of its own; the prompt says so.
 * The corpus's Chinese text has no such characters to speak of; quotes are unescaped on return.
 */
export function escapeBlock(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function unescapeBlock(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}

export function renderClauses(context: ContextClause[]): string {
  return context
    .map((c) => {
      const doc = [c.document.title, c.document.docNumber, c.document.issueDate].filter(Boolean).join('，');
      // The same evidence the offline answerer uses: clauses in the ranker's order, their sentences
      // most similar to the question marked.
      const best = [...(c.sentences ?? [])].sort((a, b) => b.similarity - a.similarity).slice(0, 2);
      const marked = best.length ? `\n<best_sentences>${escapeBlock(best.map((s) => c.clause.text.slice(s.start, s.end)).join(' '))}</best_sentences>` : '';
      return `<clause n="${c.n}" label="${escapeBlock(c.clause.label)}" document="${escapeBlock(doc)}">\n${escapeBlock(c.clause.text)}${marked}\n</clause>`;
    })
    .join('\n\n');
}

export function renderHistory(history: Turn[]): string {
  const recent = history.slice(-HISTORY_TURNS);
  if (!recent.length) return '（无）';
  return recent
    .map((t) => {
      const answer = t.answer.length > HISTORY_ANSWER_CHARS ? `${t.answer.slice(0, HISTORY_ANSWER_CHARS)}…` : t.answer;
      return `<turn>\n<user>${escapeBlock(t.question)}</user>\n<assistant>${escapeBlock(answer)}</assistant>\n</turn>`;
    })
    .join('\n');
}

/**
 * The model's numbers are the context's numbers. A number it was not given maps to no retrieved
 * clause, so verification drops that citation and its markers; only citations that verify are
 * quoted in the sources list, which follows the extractive answer's layout.
 */
function toDraft(reply: ModelAnswer, input: AnswerInput): Draft {
  const text = unescapeBlock(reply.answer).replace(/【(\d+)】/g, '[$1]').trim();
  if (reply.abstained) {
    const fallback = input.lang === 'en' ? 'The policies in this collection do not answer this question.' : '已收录的政策中没有找到能回答这个问题的条款。';
    return { text: text || fallback, citations: [], abstained: true, notices: [] };
  }
  const byN = new Map(input.context.map((c) => [c.n, c.clause.id]));
  const proposed: DraftCitation[] = reply.citations.map((c) => ({ n: c.n, clauseId: byN.get(c.n) ?? `not-given:${c.n}`, quote: unescapeBlock(c.quote) }));
  const verified = verifyDraft({ text, citations: proposed, abstained: false, notices: [] }, input.context);
  if (!verified.citations.length) return { text: verified.text, citations: [], abstained: false, notices: [] };
  const en = input.lang === 'en';
  const sources = verified.citations.map((c) => `[${c.n}] ${c.label}：“${c.quote.replace(/\n/g, ' ')}”`);
  return {
    text: [verified.text, '', en ? 'Sources (quoted verbatim; the policies are in Chinese):' : '依据原文：', ...sources].join('\n'),
    citations: verified.citations.map((c) => ({ n: c.n, clauseId: c.id, quote: c.quote })),
    abstained: false,
    notices: [],
  };
}
