import { AppError } from '../errors.ts';

/** The input is malformed or out of bounds. */
export class InvalidInputError extends AppError {
  constructor(message: string) {
    super('invalid_input', message);
  }
}
/** The thing asked for does not exist; the message says what does. */
export class NotFoundError extends AppError {
  constructor(message: string) {
    super('not_found', message);
  }
}
