import { AppError } from '../errors.ts';

/** The query is empty, too long, or has nothing searchable in it. */
export class InvalidQueryError extends AppError {
  constructor(message: string) {
    super('invalid_input', message);
  }
}
/** A reference names no known document. */
export class UnknownDocumentError extends AppError {
  constructor(message: string) {
    super('not_found', message);
  }
}
/** The document exists but has no clause with that number. */
export class NoSuchClauseError extends AppError {
  constructor(message: string) {
    super('not_found', message);
  }
}
