import mammoth from 'mammoth';
import { parseHTML } from 'linkedom';
import { EncryptedFileError, UnreadableFileError } from '../errors.ts';
import { blockLines } from './html.ts';
import type { Extracted } from './index.ts';

/**
 * The paragraphs of a Word (.docx) file, one per line, by way of mammoth's semantic HTML (styles
 * become headings, tables become rows and cells). A leading Title or first-level heading is the
 * document's title, taken out of the text; else the file's own title property, if set.
 */
export async function docxToText(bytes: Uint8Array, file: string): Promise<Extracted> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // An encrypted .docx is an OLE compound file (D0 CF 11 E0), as is a legacy .doc.
  if (buffer.subarray(0, 4).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0])))
    throw new EncryptedFileError(
      `${file}: a password-protected or old-format (.doc) Word file; remove the password or save it as .docx, and add it again`,
      file,
    );
  let html: string;
  try {
    html = (
      await mammoth.convertToHtml(
        { buffer },
        // Word's Title style is the document's title, not body text.
        { styleMap: ["p[style-name='Title'] => h1:fresh", "p[style-name='Subtitle'] => h2:fresh"] },
      )
    ).value;
  } catch (e) {
    throw new UnreadableFileError(`${file}: not a readable Word (.docx) file (${(e as Error).message.split('\n')[0]})`, file);
  }
  const { document } = parseHTML(`<html><body>${html}</body></html>`);
  let title: string | undefined;
  const first = document.body.firstElementChild;
  if (first && /^H[12]$/.test(first.tagName) && first.textContent?.trim()) {
    title = first.textContent.replace(/\s+/g, ' ').trim();
    first.remove();
  }
  return { text: blockLines(document.body).join('\n'), title };
}
