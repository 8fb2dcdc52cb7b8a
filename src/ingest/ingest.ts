import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { chunkClause, shortHash, type Chunk } from '../chunk/chunk.ts';
import { decode } from '../corpus/decode.ts';
import { CorpusError, EmptyFileError } from '../corpus/errors.ts';
import { extractText, FORMAT_EXTENSIONS, isConvertedFormat } from '../corpus/formats/index.ts';
import { normalise } from '../corpus/normalize.ts';
import { extractMeta, shortNames, type Found } from '../parse/metadata.ts';
import { ownTitleAfter, segment } from '../parse/segment.ts';
import { repealersOf } from '../parse/status.ts';
import { looseKey } from '../parse/text.ts';
import { parseStructure } from '../parse/structure.ts';
import type { Clause, ParsedFile, PolicyDocument, TextSpan } from '../parse/types.ts';
import { loadManifest, type ManifestEntry } from './manifest.ts';

/** The whole corpus after normalisation, segmentation, clause parsing and chunking. */
export interface Corpus {
  files: ParsedFile[];
  documents: PolicyDocument[];
  clauses: Clause[];
  chunks: Chunk[];
  /** Files that could not be ingested, each with a message saying why. */
  errors: { file: string; message: string }[];
  /** Documents left out because another file (or an earlier place) holds the same text. */
  duplicates: Duplicate[];
}

export interface Duplicate {
  file: string;
  title: string;
  sameAs: string;
  sameAsFile: string;
  /** "<file>: the same document as <id> in <file>". */
  message: string;
}

/**
 * Ids and texts already taken across the corpus: ids stay unique over all files, and a document
 * whose text another already has is reported and left out rather than indexed twice.
 */
export interface IdRegistry {
  ids: Set<string>;
  texts: Map<string, { id: string; file: string }>;
}

export const newRegistry = (): IdRegistry => ({ ids: new Set(), texts: new Map() });

export const CORPUS_EXTENSIONS = ['.txt', '.md', ...FORMAT_EXTENSIONS];

export async function listCorpusFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names.filter((n) => CORPUS_EXTENSIONS.includes(path.extname(n).toLowerCase()) && !n.startsWith('.')).sort();
}

export async function ingestCorpus(dir: string, onFile?: (file: string, done: number, total: number) => void): Promise<Corpus> {
  const manifest = await loadManifest(dir);
  const names = await listCorpusFiles(dir);
  const corpus: Corpus = { files: [], documents: [], clauses: [], chunks: [], errors: [], duplicates: [] };
  const registry = newRegistry();
  for (const [i, name] of names.entries()) {
    try {
      const full = path.join(dir, name);
      if (!(await stat(full)).isFile()) continue;
      const bytes = await readFile(full);
      const entry = manifest[name] ?? {};
      const parsed = isConvertedFormat(name) ? await parseConverted(name, bytes, entry, registry) : parseFile(name, bytes, entry, registry);
      corpus.duplicates.push(...parsed.duplicates);
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
  for (const d of corpus.documents) d.repealedBy = repealersOf(d, corpus.documents);
  return corpus;
}

/** An HTML page, PDF or Word file: its text parsed like a .txt file's; the manifest's title wins over the document's own. */
export async function parseConverted(name: string, bytes: Uint8Array, meta: ManifestEntry, registry: IdRegistry = newRegistry()): Promise<ParsedFile> {
  const { text, title } = await extractText(name, bytes);
  return { ...parseFile(name, new TextEncoder().encode(text), { ...meta, title: meta.title ?? title }, registry), encoding: path.extname(name).slice(1).toLowerCase() };
}

export function chunksOf(file: ParsedFile): Chunk[] {
  const docs = new Map(file.documents.map((d) => [d.id, d]));
  return file.clauses.flatMap((c) => chunkClause(c, docs.get(c.docId)!.title, /第[一二三四五六七八九十百零]+条$/.test(c.label) ? '款' : '段'));
}

export function parseFile(name: string, bytes: Uint8Array, meta: ManifestEntry, registry: IdRegistry = newRegistry()): ParsedFile {
  const { text: source, encoding } = decode(bytes, name);
  const norm = normalise(source, { markdown: name.toLowerCase().endsWith('.md') });
  if (!norm.text.trim()) throw new EmptyFileError(`${name}: the file holds no text`, name);
  const { text, offs } = norm;
  const seg = segment(text, norm.toc);
  const documents: PolicyDocument[] = [];
  const clauses: Clause[] = [];
  const duplicates: Duplicate[] = [];
  const at = (f: Found): TextSpan => ({ text: f.text, start: f.start, end: f.end, sourceStart: offs[f.start]!, sourceEnd: offs[f.end - 1]! + 1 });
  for (const span of seg.documents) {
    // A compiler's short heading may stand before the document's own title: cite the own title.
    const own = span.titles.length === 1 ? ownTitleAfter(text, span.titleEnd, span.end) : undefined;
    const titleEnd = own?.end ?? span.titleEnd;
    const structure = parseStructure(text, own ? [own.title] : span.titles, titleEnd, span.end, span.start);
    const titles = own ? [own.title] : [...span.titles];
    const aliases = own ? [...span.titles] : [];
    if (seg.documents.length === 1 && meta.title && !titles.includes(meta.title)) titles.unshift(meta.title);
    if (structure.attachment && !titles.includes(structure.attachment.title)) titles.push(structure.attachment.title);
    if (titles.length === 0) titles.push(path.basename(name, path.extname(name)));
    // A notice that issues a policy is cited by the policy's own title.
    const title = titles[titles.length - 1]!;
    const textKey = shortHash(looseKey(text.slice(span.start, span.end)), 16);
    const same = registry.texts.get(textKey);
    if (same) {
      duplicates.push({ file: name, title, sameAs: same.id, sameAsFile: same.file, message: `${name}: the same document as ${same.id} in ${same.file} (《${title}》); indexed once` });
      continue;
    }
    // The id comes from the first title (stable while the title stays); two texts under one title
    // get ids from their text.
    const idKey = span.titles[0] ?? titles[0]!;
    let id = 'd' + shortHash(idKey, 9);
    if (registry.ids.has(id)) id = 'd' + shortHash(`${idKey}\0${textKey}`, 9);
    for (let n = 2; registry.ids.has(id); n++) id = 'd' + shortHash(`${idKey}\0${textKey}#${n}`, 9);
    registry.ids.add(id);
    registry.texts.set(textKey, { id, file: name });
    const signatures = structure.units.filter((u) => u.role === 'signature').map((u) => u.paras);
    const m = extractMeta({ text, titles, titleStart: span.start, bodyStart: titleEnd, end: span.end, signatures });
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
    const issuers = m.issuers.map((f) => f.text);
    const issueDate = m.issueDate?.date ?? meta.issueDate;
    const bodyCount = structure.units.filter((u) => u.role === 'body').length;
    documents.push({
      id,
      title,
      titles,
      aliases,
      shortNames: shortNames(titles),
      docNumber: m.docNumber?.text ?? meta.docNumber,
      issuer: issuers[0] ?? meta.issuer,
      issuers: issuers.length ? issuers : meta.issuer ? [meta.issuer] : [],
      issueDate,
      timeStatements: m.timeStatements,
      effectiveDate: m.effective?.date,
      effectiveRule: m.effective?.rule,
      expiryDate: m.expiry?.date,
      validity: m.expiry?.period,
      validFrom: m.effective?.date,
      validUntil: m.expiry?.date,
      repeals: m.repeals.map((r) => ({ title: r.title, docNumber: r.docNumber, description: r.description, effectiveDate: r.effectiveDate, span: at(r) })),
      repealedBy: [],
      bodyMissing: bodyCount === 0,
      provenance: {
        docNumber: m.docNumber && at(m.docNumber),
        issuers: m.issuers.map(at),
        issueDate: m.issueDate && at(m.issueDate),
        effective: m.effective && at(m.effective),
        expiry: m.expiry && at(m.expiry),
      },
      kind: structure.kind,
      source: { file: name, originalName: meta.originalName ?? name, start: offs[span.start] ?? 0, end: (offs[span.end - 1] ?? 0) + 1 },
      // Body clauses only: a title and 落款 alone are no content.
      clauseCount: bodyCount,
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
    duplicates,
    unplaced: [
      ...seg.unplaced.map((t) => `listed title not found: ${t}`),
      ...documents.filter((d) => d.bodyMissing).map((d) => `no text found for: ${d.title} (listed as title only)`),
      ...duplicates.map((d) => `the same document as ${d.sameAs} in ${d.sameAsFile}: 《${d.title}》 (indexed once)`),
    ],
  };
}
