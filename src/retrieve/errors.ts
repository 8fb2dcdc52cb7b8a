/** Base class for retrieval problems that the caller can act on. */
export class RetrieveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
/** The query is empty, too long, or has nothing searchable in it. */
export class InvalidQueryError extends RetrieveError {}
/** A reference names no known document. */
export class UnknownDocumentError extends RetrieveError {}
/** The document exists but has no clause with that number. */
export class NoSuchClauseError extends RetrieveError {}
/** No clause has that id. */
export class UnknownClauseIdError extends RetrieveError {}
