import { AppError } from '../errors.ts';

/** Base class for problems with one corpus file; ingestion reports them and goes on with the rest. */
export class CorpusError extends AppError {
  constructor(message: string, readonly file?: string) {
    super('corpus_file', message);
  }
}
export class EmptyFileError extends CorpusError {}
export class BinaryFileError extends CorpusError {}
export class UndecodableFileError extends CorpusError {}
export class FileTooLargeError extends CorpusError {}
export class CorpusManifestError extends CorpusError {}
/** A PDF or Word file that cannot be opened: damaged, truncated, or not the format its name says. */
export class UnreadableFileError extends CorpusError {}
/** A password-protected PDF or Word file. */
export class EncryptedFileError extends CorpusError {}
/** A PDF whose pages are images (a scan) with no text to extract. */
export class NoTextLayerError extends CorpusError {}
