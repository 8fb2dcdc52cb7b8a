import { BinaryFileError, EmptyFileError, FileTooLargeError, UndecodableFileError } from './errors.ts';

export const MAX_FILE_BYTES = 8 * 1024 * 1024;

/**
 * Decodes a corpus file: UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030/GBK, which many
 * government sites still publish. Refuses empty, binary and oversized files with a typed error.
 */
export function decode(bytes: Uint8Array, file: string): { text: string; encoding: string } {
  if (bytes.length === 0) throw new EmptyFileError(`${file}: the file is empty`, file);
  if (bytes.length > MAX_FILE_BYTES)
    throw new FileTooLargeError(
      `${file}: ${(bytes.length / 1048576).toFixed(1)} MB is over the ${MAX_FILE_BYTES / 1048576} MB limit for one policy file; split it into separate documents`,
      file,
    );
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'utf-16le' };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'utf-16be' };
  if (looksBinary(bytes)) throw new BinaryFileError(`${file}: looks like a binary file, not text; convert it to UTF-8 text first`, file);
  for (const encoding of ['utf-8', 'gb18030']) {
    try {
      let text = new TextDecoder(encoding, { fatal: true }).decode(bytes);
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (encoding !== 'utf-8' && !mostlyChinese(text)) continue;
      if (!text.trim()) throw new EmptyFileError(`${file}: the file holds only whitespace`, file);
      return { text, encoding };
    } catch (e) {
      if (e instanceof EmptyFileError) throw e;
      // not this encoding; try the next
    }
  }
  throw new UndecodableFileError(`${file}: not valid UTF-8 or GB18030 text; save it as UTF-8`, file);
}

function looksBinary(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 8192);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b === 0) return true;
    if (b < 9 || (b > 13 && b < 32)) control++;
  }
  return control / n > 0.02;
}

function mostlyChinese(text: string): boolean {
  const sample = text.slice(0, 4000).replace(/\s/g, '');
  const han = sample.match(/\p{Script=Han}/gu)?.length ?? 0;
  return han / Math.max(1, sample.length) > 0.3;
}
