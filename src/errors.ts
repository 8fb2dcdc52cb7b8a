/**
 * The one catalogue of errors. Every error the product raises on purpose is an AppError with a
 * stable `code`; this table says, once, what each code becomes at each edge: an HTTP status, a CLI
 * exit code, and (for MCP) whether it is the caller's fault. Edges translate with `edgeOf` and never
 * list error classes themselves, so a new error cannot be forgotten by one of them.
 */
export const ERROR_CATALOGUE = {
  // The caller's input.
  invalid_input: { http: 400, exit: 2, meaning: 'the input is malformed or out of bounds' },
  usage: { http: 400, exit: 2, meaning: 'an unknown command, a missing argument or a bad option' },
  not_found: { http: 404, exit: 2, meaning: 'the document, clause or route asked for does not exist' },
  unauthorized: { http: 401, exit: 2, meaning: 'a missing or wrong bearer token' },
  rate_limited: { http: 429, exit: 2, meaning: 'too many requests from one client' },
  bad_request: { http: 400, exit: 2, meaning: 'the HTTP request is malformed (a bad %-escape, a body of the wrong size)' },
  malformed_json: { http: 400, exit: 2, meaning: 'the request body is not valid JSON' },
  payload_too_large: { http: 413, exit: 2, meaning: 'the request body is too large' },
  unsupported_media_type: { http: 415, exit: 2, meaning: 'the body is not UTF-8 JSON' },
  conflict: { http: 409, exit: 2, meaning: 'the change conflicts with the corpus as it is (removing one document of a file that holds several) or with this replica (an index reader writes nothing)' },
  method_not_allowed: { http: 405, exit: 2, meaning: 'the route exists, but not with this method' },
  request_aborted: { http: 400, exit: 2, meaning: 'the client aborted the request' },
  // The set-up.
  config_invalid: { http: 500, exit: 2, meaning: 'an environment variable holds a value that cannot be used' },
  corpus_file: { http: 422, exit: 2, meaning: 'a corpus file could not be ingested (empty, binary, undecodable, too large)' },
  model_unavailable: { http: 503, exit: 2, meaning: 'the embedding model could not be found, verified or loaded' },
  index_mismatch: { http: 503, exit: 2, meaning: 'the index was built with another model, format or chunker' },
  index_corrupt: { http: 503, exit: 3, meaning: 'an index file is missing, truncated or damaged' },
  index_write: { http: 503, exit: 3, meaning: 'the index could not be written (disk full, permissions)' },
  learned_model: { http: 503, exit: 2, meaning: 'a fitted model file (ranker, answerer) does not match this version; refit it with npm run fit' },
  translator_data: { http: 503, exit: 3, meaning: 'the English glossary or dictionary could not be loaded' },
  // Work that could not be done now.
  unavailable: { http: 503, exit: 3, meaning: 'the server is busy, shutting down or rebuilding' },
  cancelled: { http: 499, exit: 130, meaning: 'the work was cancelled (the client left, a rebuild was superseded)' },
  llm_failed: { http: 502, exit: 3, meaning: 'the LLM failed or answered unusably (offline answers take over)' },
  internal: { http: 500, exit: 1, meaning: 'a bug; the server logged it' },
} as const satisfies Record<string, { http: number; exit: number; meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An environment variable (or option) holds a value the product cannot use. */
export class ConfigError extends AppError {
  constructor(message: string) {
    super('config_invalid', message);
  }
}

/** The command line is wrong: unknown command, missing argument, bad option value. */
export class UsageError extends AppError {
  constructor(message: string) {
    super('usage', message);
  }
}

/** What an edge does with a thrown value: the catalogue entry of an AppError, else `internal`. */
export function edgeOf(err: unknown): { code: ErrorCode; http: number; exit: number; message: string; internal: boolean } {
  if (err instanceof AppError) {
    const entry = ERROR_CATALOGUE[err.code];
    return { code: err.code, http: entry.http, exit: entry.exit, message: err.message, internal: err.code === 'internal' };
  }
  const entry = ERROR_CATALOGUE.internal;
  return { code: 'internal', http: entry.http, exit: entry.exit, message: err instanceof Error ? err.message : String(err), internal: true };
}
