export {
  ModelError,
  ModelIntegrityError,
  ModelLoadError,
  ModelNotFoundError,
  type FileProblem,
  type ModelSource,
  type SourceAttempt,
} from './errors.ts';
export { EmbedderEmbeddings } from './langchain.ts';
export {
  defaultCacheDir,
  MODEL_DIMS,
  MODEL_FILES,
  MODEL_ID,
  ONNX_FILE,
  resolveModel,
  verifyModelDir,
  type PinnedFile,
  type ResolvedModel,
  type ResolveModelOptions,
} from './resolve.ts';
export { QUERY_PREFIX, TransformersEmbedder, type TransformersEmbedderOptions } from './transformers-embedder.ts';
