import { EncryptedFileError, FileTooLargeError, UnreadableFileError } from '../errors.ts';
import { blockLines } from './html.ts';
import type { Extracted } from './index.ts';

/**
 * The paragraphs of a Word (.docx) file, one per line, by way of mammoth's semantic HTML (styles
 * become headings, tables become rows and cells). A leading Title or first-level heading is the
 * document's title, taken out of the text; else the file's own title property, if set.
 */
export async function docxToText(bytes: Uint8Array, file: string): Promise<Extracted> {
  // Loaded on first use, as in html.ts.
  const [{ default: mammoth }, { parseHTML }] = await Promise.all([import('mammoth'), import('linkedom')]);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // An encrypted .docx is an OLE compound file (D0 CF 11 E0), as is a legacy .doc.
  if (buffer.subarray(0, 4).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0])))
    throw new EncryptedFileError(
      `${file}: a password-protected or old-format (.doc) Word file; remove the password or save it as .docx, and add it again`,
      file,
    );
  const xmlBytes = zipEntrySize(buffer, 'word/document.xml');
  if (xmlBytes !== undefined && xmlBytes > MAX_DOCUMENT_XML)
    throw new FileTooLargeError(
      `${file}: its text unpacks to ${(xmlBytes / 1048576).toFixed(0)} MB, over the ${MAX_DOCUMENT_XML / 1048576} MB limit for one policy file; split it into separate documents`,
      file,
    );
  let html: string;
  try {
    html = (
      await mammoth.convertToHtml(
        { buffer },
        // Word's Title style is the document's title, not body text.
        {
          styleMap: ["p[style-name='Title'] => h1:fresh", "p[style-name='Subtitle'] => h2:fresh"],
          // Images are no policy text; left unread, they are never unpacked into memory.
          convertImage: mammoth.images.imgElement(async () => ({ src: '' })),
        },
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

/** document.xml of a long policy is a few MB; far more is a zip bomb or not one policy. */
export const MAX_DOCUMENT_XML = 64 * 1024 * 1024;

/**
 * The unpacked size of one entry, from the zip's central directory, before anything is unpacked;
 * undefined when the directory cannot be read (mammoth then reports the damage).
 */
function zipEntrySize(zip: Buffer, name: string): number | undefined {
  const from = Math.max(0, zip.length - 65_557);
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]), zip.length - 22);
  if (eocd < from) return undefined;
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  for (let n = 0; n < count && at + 46 <= zip.length && zip.readUInt32LE(at) === 0x02014b50; n++) {
    const size = zip.readUInt32LE(at + 24);
    const nameLen = zip.readUInt16LE(at + 28);
    const entry = zip.toString('utf8', at + 46, at + 46 + nameLen);
    // 0xFFFFFFFF: a ZIP64 size, 4 GB or more.
    if (entry === name) return size === 0xffffffff ? Infinity : size;
    at += 46 + nameLen + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return undefined;
}
