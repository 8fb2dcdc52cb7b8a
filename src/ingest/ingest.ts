import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { chunkClause, shortHash, type Chunk } from '../chunk/chunk.ts';
import { decode } from '../corpus/decode.ts';
import { CorpusError, EmptyFileError } from '../corpus/errors.ts';
import { extractText, FORMAT_EXTENSIONS, isConvertedFormat } from '../corpus/formats/index.ts';
import { normalise } from '../corpus/normalize.ts';
import { extractMeta, shortNames } from '../parse/metadata.ts';
import { segment } from '../parse/segment.ts';
import { parseStructure } from '../parse/structure.ts';
import type { Clause, ParsedFile, PolicyDocument } from '../parse/types.ts';
import { loadManifest, type ManifestEntry } from './manifest.ts';

/** The whole corpus after normalisation, segmentation, clause parsing and chunking. */
export interface Corpus {
  files: ParsedFile[];
  documents: PolicyDocument[];
  clauses: Clause[];
  chunks: Chunk[];
  /** Files that could not be ingested, each with a message saying why. */
  errors: { file: string; message: string }[];
}

export const CORPUS_EXTENSIONS = ['.txt', '.md', ...FORMAT_EXTENSIONS];

export async function listCorpusFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names.filter((n) => CORPUS_EXTENSIONS.includes(path.extname(n).toLowerCase()) && !n.startsWith('.')).sort();
}

export async function ingestCorpus(dir: string, onFile?: (file: string, done: number, total: number) => void): Promise<Corpus> {
  const manifest = await loadManifest(dir);
  const names = await listCorpusFiles(dir);
  const corpus: Corpus = { files: [], documents: [], clauses: [], chunks: [], errors: [] };
  for (const [i, name] of names.entries()) {
    try {
      const full = path.join(dir, name);
      if (!(await stat(full)).isFile()) continue;
      const bytes = await readFile(full);
      const parsed = isConvertedFormat(name) ? await parseConverted(name, bytes, manifest[name] ?? {}) : parseFile(name, bytes, manifest[name] ?? {});
      corpus.files.push(parsed);
      corpus.documents.push(...parsed.documents);
      corpus.clauses.push(...parsed.clauses);
      corpus.chunks.push(...chunksOf(parsed));
    } catch (e) {
      if (!(e instanceof CorpusError)) throw e;
      corpus.errors.push({ file: name, message: e.message });
    }
    onFile?.(name, i + 1, names.length);
  }
  return corpus;
}

/** An HTML page, PDF or Word file: its text parsed like a .txt file's; the manifest's title wins over the document's own. */
export async function parseConverted(name: string, bytes: Uint8Array, meta: ManifestEntry): Promise<ParsedFile> {
  const { text, title } = await extractText(name, bytes);
  return { ...parseFile(name, new TextEncoder().encode(text), { ...meta, title: meta.title ?? title }), encoding: path.extname(name).slice(1).toLowerCase() };
}

export function chunksOf(file: ParsedFile): Chunk[] {
  const docs = new Map(file.documents.map((d) => [d.id, d]));
  return file.clauses.flatMap((c) => chunkClause(c, docs.get(c.docId)!.title, /第[一二三四五六七八九十百零]+条$/.test(c.label) ? '款' : '段'));
}

export function parseFile(name: string, bytes: Uint8Array, meta: ManifestEntry): ParsedFile {
  const { text: source, encoding } = decode(bytes, name);
  const norm = normalise(source, { markdown: name.toLowerCase().endsWith('.md') });
  if (!norm.text.trim()) throw new EmptyFileError(`${name}: the file holds no text`, name);
  const { text, offs } = norm;
  const seg = segment(text, norm.toc);
  const documents: PolicyDocument[] = [];
  const clauses: Clause[] = [];
  const usedIds = new Set<string>();
  for (const span of seg.documents) {
    const structure = parseStructure(text, span.titles, span.titleEnd, span.end, span.start);
    const titles = [...span.titles];
    if (seg.documents.length === 1 && meta.title && !titles.includes(meta.title)) titles.unshift(meta.title);
    if (structure.attachment && !titles.includes(structure.attachment.title)) titles.push(structure.attachment.title);
    if (titles.length === 0) titles.push(path.basename(name, path.extname(name)));
    // A notice that issues a policy is cited by the policy's own title.
    const title = titles[titles.length - 1]!;
    let id = 'd' + shortHash(titles[0]!, 9);
    for (let n = 2; usedIds.has(id); n++) id = 'd' + shortHash(`${titles[0]}#${n}`, 9);
    usedIds.add(id);
    const m = extractMeta(text.slice(span.start, span.end), titles, structure.signature, span.titleEnd - span.start);
    const clauseIds = new Set<string>();
    const docClauses = structure.units.map((u, ordinal): Clause => {
      const first = u.paras[0]!;
      const last = u.paras[u.paras.length - 1]!;
      const body = u.paras.map((p) => p.text).join('\n');
      // The header (标题) and signature blocks (落款) are cited by their name alone.
      const where =
        u.role !== 'body'
          ? u.number
          : structure.kind === 'regulation'
          ? [...u.pathNumbers, u.number === '序言' ? '序言' : u.number].join(' ')
          : structure.kind === 'plain'
            ? ''
            : u.pathNumbers.join('') + u.number;
      let clauseId = `${id}-${u.key}-${shortHash(body, 4)}`;
      for (let n = 2; clauseIds.has(clauseId); n++) clauseId = `${id}-${u.key}-${shortHash(`${body}#${n}`, 4)}`;
      clauseIds.add(clauseId);
      return {
        id: clauseId,
        docId: id,
        label: `《${title}》${where}`,
        number: u.number,
        headingPath: u.headingPath,
        text: body,
        start: first.start,
        end: last.end,
        sourceStart: offs[first.start]!,
        sourceEnd: offs[last.end - 1]! + 1,
        ordinal,
      };
    });
    docClauses.forEach((c, i) => {
      c.prevId = docClauses[i - 1]?.id;
      c.nextId = docClauses[i + 1]?.id;
    });
    documents.push({
      id,
      title,
      titles,
      shortNames: shortNames(titles),
      docNumber: m.docNumber ?? meta.docNumber,
      issuer: m.issuer ?? meta.issuer,
      issueDate: m.issueDate ?? meta.issueDate,
      timeStatements: m.timeStatements,
      validFrom: m.validFrom,
      validUntil: m.validUntil,
      kind: structure.kind,
      source: { file: name, originalName: meta.originalName ?? name, start: offs[span.start] ?? 0, end: (offs[span.end - 1] ?? 0) + 1 },
      // Body clauses only: a title and 落款 alone are no content.
      clauseCount: structure.units.filter((u) => u.role === 'body').length,
    });
    clauses.push(...docClauses);
  }
  return {
    file: name,
    originalName: meta.originalName ?? name,
    encoding,
    layout: norm.layout,
    text,
    offs,
    documents,
    clauses,
    compilerText: seg.compiler.map((p) => p.text),
    unplaced: [...seg.unplaced.map((t) => `listed title not found: ${t}`), ...documents.filter((d) => d.clauseCount === 0).map((d) => `no text found for: ${d.title}`)],
  };
}
