// Typed errors for the persisted index (embeddings/). Messages say what to do, not just what failed.

import { AppError, type ErrorCode } from '../errors.ts';

export class IndexError extends AppError {
  constructor(message: string, options?: ErrorOptions & { code?: ErrorCode }) {
    super(options?.code ?? 'index_corrupt', message, options);
  }
}

/** The index was built with another embedding model: its vectors must never be mixed with new ones. */
export class IndexModelMismatchError extends IndexError {
  constructor(
    readonly indexDir: string,
    readonly indexModel: { id: string; sha256: string; dims: number },
    readonly currentModel: { id: string; sha256: string; dims: number },
  ) {
    const describe = (m: { id: string; sha256: string; dims: number }) => `${m.id} (sha256 ${m.sha256.slice(0, 12)}…, ${m.dims} dims)`;
    super(
      `The index in ${indexDir} was built with ${describe(indexModel)}, but the embedder is ${describe(currentModel)}. ` +
        `Vectors from different models cannot be mixed; rebuild the index with \`policy-assistant index --rebuild\`.`,
      { code: 'index_mismatch' },
    );
  }
}

/** An index file is missing, truncated, unparsable or inconsistent with the others. */
export class IndexCorruptError extends IndexError {
  constructor(
    readonly indexDir: string,
    readonly problem: string,
    options?: ErrorOptions,
  ) {
    super(`The index in ${indexDir} is corrupt or incomplete: ${problem}. Rebuild it with \`policy-assistant index --rebuild\`.`, options);
  }
}

/** No index has been built in this directory yet. */
export class IndexNotFoundError extends IndexError {
  constructor(readonly indexDir: string) {
    super(`No index found in ${indexDir}; build one with \`policy-assistant index\`.`);
  }
}

/** Writing the index failed (disk full, permissions); the previous index is still in place. */
export class IndexWriteError extends IndexError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, { ...options, code: 'index_write' });
  }
}

/** The index was written by another index format or chunker version; it must be rebuilt. */
export class IndexVersionError extends IndexError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, { ...options, code: 'index_mismatch' });
  }
}
