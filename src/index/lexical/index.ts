export { Bm25Index, buildChunkIndex, chunkItems, DEFAULT_B, DEFAULT_K1, DEFAULT_WEIGHTS } from './bm25.ts';
export type { Bm25Item, Bm25Json, Bm25Options, FieldName, FieldWeights } from './bm25.ts';
export { ChineseTokenizer, normalizeText, STOPWORDS } from './tokenizer.ts';
export { buildUserDict, POLICY_TERMS } from './user-dict.ts';
