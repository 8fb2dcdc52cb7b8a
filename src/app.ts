import { AnswerPipeline } from './answer/pipeline.ts';
import { MemoryConversationStore, type ConversationLimits } from './answer/conversations.ts';
import { ConversationIds, loadSecret } from './answer/conversations-ids.ts';
import { RedisConnection, RedisConversationStore } from './answer/conversations-redis.ts';
import { Conversations } from './answer/conversations-service.ts';
import { ExtractiveAnswerer, loadAnswerModel, type AnswerModel } from './answer/extractive.ts';
import { LlmAnswerer } from './answer/llm.ts';
import { describeLlmConfig, type LlmConfig } from './answer/llm-config.ts';
import { config } from './config.ts';
import { openIndex, type IndexCondition, type IndexStats, type WriteMode } from './index/build.ts';
import { TransformersEmbedder } from './index/embedder/index.ts';
import { IndexError } from './index/errors.ts';
import { indexWriterConfig } from './index/lock.ts';
import type { Embedder, LexicalIndex } from './index/ports.ts';
import type { CorpusStore } from './ingest/store.ts';
import type { HnswVectorStore } from './index/vector-store.ts';
import { loadRanker, type LinearModel } from './retrieve/ranker.ts';
import { HybridRetriever } from './retrieve/retriever.ts';
import { logStatus } from './util/progress.ts';

/**
 * Everything the tools layer needs, assembled once: the index (built or updated on first open), the
 * lexical index, the retriever and the answer pipeline. Every edge — HTTP, MCP, CLI — gets one App.
 */
export interface App {
  corpus: CorpusStore;
  embedder: Embedder;
  vectors: HnswVectorStore;
  lexical: LexicalIndex;
  retriever: HybridRetriever;
  answers: AnswerPipeline;
  conversations: Conversations;
  index: { dir: string; stats: IndexStats; model: { id: string; sha256: string; dims: number }; builtAt: string; condition: IndexCondition };
}

export interface AppOptions {
  corpusDir?: string;
  indexDir?: string;
  modelDir?: string;
  rebuild?: boolean;
  /** Who may write the index (index/build.ts): 'load' for readers and reloads of another's commit. */
  write?: WriteMode;
  /** On a damaged index: 'serve' the intact parts (the server repairs in the background) or 'repair' first. */
  onDamage?: 'repair' | 'serve';
  /** Wait for another process's writer lock instead of giving up (`policy-assistant index`). */
  waitForLock?: boolean;
  quiet?: boolean;
  conversationLimits?: Partial<ConversationLimits>;
  /** Conversations to keep (a hot swap of the index must not forget them, nor reconnect to Redis). */
  conversations?: Conversations;
  /** Redis for conversations and rate limits; by default POLICY_ASSISTANT_REDIS_URL, null for memory. */
  redisUrl?: string | null;
  /** Signs conversation ids; by default POLICY_ASSISTANT_SECRET, else the one kept in the cache folder. */
  secret?: string;
  /** Embedding progress of an index build, in chunks. */
  onIndexProgress?: (done: number, total: number) => void;
  /** An embedder to reuse (tests, benchmarks); otherwise the local model is resolved and loaded. */
  embedder?: Embedder;
  /** An OpenAI-compatible LLM; by default from POLICY_ASSISTANT_LLM_* env, offline when unset. */
  llm?: LlmConfig | null;
  /** The learned ranker; by default the committed one, null for first-stage order (fitting, CV). */
  ranker?: LinearModel | null;
  /** The answerer's learned models; by default the committed ones, null for unfitted defaults. */
  answerModel?: AnswerModel | null;
}

export async function openApp(opts: AppOptions = {}): Promise<App> {
  // Settings first, so a wrong one fails before a long index build; the connection after it, so a
  // failed build leaves no socket keeping the process alive.
  const conversationSettings = opts.conversations ? undefined : await readConversationSettings(opts);
  // A reader (POLICY_ASSISTANT_INDEX_ROLE=reader) only ever loads what writers commit.
  const writer = indexWriterConfig();
  const write = writer.role === 'reader' ? 'load' : (opts.write ?? 'auto');
  if (writer.role === 'reader' && (opts.rebuild || opts.write === 'build')) {
    throw new IndexError('this process is an index reader (POLICY_ASSISTANT_INDEX_ROLE=reader): it does not build; run the build where the role is writer', { code: 'usage' });
  }
  const embedder = opts.embedder ?? (await TransformersEmbedder.create({ modelDir: opts.modelDir, quiet: opts.quiet }));
  const index = await openIndex({
    corpusDir: opts.corpusDir ?? config().corpusDir,
    indexDir: opts.indexDir ?? config().indexDir,
    embedder,
    rebuild: opts.rebuild,
    write,
    lockStaleMs: writer.staleMs,
    onDamage: opts.onDamage,
    waitForLock: opts.waitForLock,
    quiet: opts.quiet,
    onProgress: opts.onIndexProgress,
  });
  // BM25 is part of the generation (lexical.json, checksummed with the rest).
  const lexical = index.lexical;
  const ranker = opts.ranker === undefined ? loadRanker() : (opts.ranker ?? undefined);
  const retriever = new HybridRetriever({ corpus: index.store, embedder, vectors: index.vectors, lexical, sentences: index.sentences, ranker });
  const conversations = opts.conversations ?? (await openConversations(conversationSettings!, opts.quiet));
  const llm = opts.llm === undefined ? config().llm : (opts.llm ?? undefined);
  if (llm) logStatus(`answers: LLM mode, ${describeLlmConfig(llm)} (offline fallback on error or timeout)`, { quiet: opts.quiet });
  const answers = new AnswerPipeline({
    retriever,
    lexical,
    corpus: index.store,
    extractive: new ExtractiveAnswerer(opts.answerModel === undefined ? loadAnswerModel() : (opts.answerModel ?? undefined)),
    llm: llm && new LlmAnswerer(llm),
    llmTimeoutMs: llm?.timeoutMs,
    conversations,
  });
  return {
    corpus: index.store,
    embedder,
    vectors: index.vectors,
    lexical,
    retriever,
    answers,
    conversations,
    index: { dir: index.dir, stats: index.stats, model: index.manifest.model, builtAt: index.manifest.builtAt, condition: index.condition },
  };
}

interface ConversationSettings {
  limits: Partial<ConversationLimits>;
  ids: ConversationIds;
  redisUrl?: string;
}

async function readConversationSettings(opts: AppOptions): Promise<ConversationSettings> {
  return {
    limits: opts.conversationLimits ?? config().conversations,
    ids: new ConversationIds(opts.secret ?? (await loadSecret(config().cacheDir, config().secret))),
    redisUrl: opts.redisUrl === undefined ? config().redisUrl : (opts.redisUrl ?? undefined),
  };
}

/** The conversation store (Redis or memory) and the id signer. */
async function openConversations({ limits, ids, redisUrl }: ConversationSettings, quiet?: boolean): Promise<Conversations> {
  if (!redisUrl) return new Conversations(new MemoryConversationStore(limits), ids);
  const redis = await RedisConnection.open(redisUrl, {
    onChange: (ok, error) => logStatus(ok ? 'conversations: Redis connected' : `conversations: Redis unavailable (${error}); answering without history until it is back`, { quiet }),
  });
  return new Conversations(new RedisConversationStore(redis, limits), ids, redis);
}
