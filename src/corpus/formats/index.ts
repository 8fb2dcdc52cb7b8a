import path from 'node:path';
import { decode, MAX_FILE_BYTES } from '../decode.ts';
import { EmptyFileError, FileTooLargeError } from '../errors.ts';
import { docxToText } from './docx.ts';
import { htmlToText } from './html.ts';
import { pdfToText } from './pdf.ts';

/** Plain text the normaliser takes like a .txt file's, and the title the document itself states. */
export interface Extracted {
  text: string;
  title?: string;
}

/** Formats the corpus folder takes, by extension. Plain text and Markdown are read as they are. */
export const FORMAT_EXTENSIONS = ['.html', '.htm', '.pdf', '.docx'];

/** PDF and Word files carry fonts and images, so they may be larger than a text file; their text may not. */
export const MAX_BINARY_BYTES = 4 * MAX_FILE_BYTES;

export const isConvertedFormat = (name: string): boolean => FORMAT_EXTENSIONS.includes(path.extname(name).toLowerCase());

/**
 * Turns an HTML page, a PDF or a Word file into plain text with one block per line; a
 * typed CorpusError (unreadable, encrypted, scanned, too large) says why it cannot.
 */
export async function extractText(name: string, bytes: Uint8Array): Promise<Extracted> {
  const ext = path.extname(name).toLowerCase();
  if (bytes.length === 0) throw new EmptyFileError(`${name}: the file is empty`, name);
  if (ext === '.html' || ext === '.htm') return htmlToText(decodeHtml(bytes, name));
  if (bytes.length > MAX_BINARY_BYTES)
    throw new FileTooLargeError(
      `${name}: ${(bytes.length / 1048576).toFixed(1)} MB is over the ${MAX_BINARY_BYTES / 1048576} MB limit for one ${ext.slice(1).toUpperCase()} file; split it into separate documents`,
      name,
    );
  const out = ext === '.pdf' ? await pdfToText(bytes, name) : await docxToText(bytes, name);
  if (out.text.length > MAX_FILE_BYTES / 3)
    throw new FileTooLargeError(`${name}: ${out.text.length.toLocaleString('en')} characters of text is over the limit for one policy file; split it into separate documents`, name);
  return out;
}

/**
 * A page's declared charset decides (gb2312 and gbk pages are common on government sites, and their
 * markup is too Latin for decode's guess); without one, decode's UTF-8 / GB18030 detection.
 */
function decodeHtml(bytes: Uint8Array, name: string): string {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 4096));
  const charset = /<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)/i.exec(head)?.[1]?.toLowerCase();
  if (charset && /^(gb2312|gbk|gb18030|x-gbk)$/.test(charset) && bytes.length <= MAX_FILE_BYTES) {
    try {
      return new TextDecoder('gb18030', { fatal: true }).decode(bytes);
    } catch {
      // declared wrongly; let decode try
    }
  }
  return decode(bytes, name).text;
}
