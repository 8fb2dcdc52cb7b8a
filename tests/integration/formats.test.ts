import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import JSZip from 'jszip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EncryptedFileError, FileTooLargeError, NoTextLayerError, UnreadableFileError } from '../../src/corpus/errors.ts';
import { extractText, MAX_BINARY_BYTES } from '../../src/corpus/formats/index.ts';
import { ingestCorpus, listCorpusFiles, type Corpus } from '../../src/ingest/ingest.ts';
import type { ParsedFile } from '../../src/parse/types.ts';
import { CORPUS, squash } from '../helpers.ts';
import { CHROME, encryptPdf, govPage, printPdfs, scannedPage, seedParagraphs, wordDocument } from './formats-fixtures.ts';

/**
 * Our seed policies as operators receive them — an article page on a government site, that page
 * printed to PDF by Chromium, a Word file — must ingest to the documents and clauses of the .txt.
 */
const SEEDS = [
  { file: 'beijing-ftz-regulations.txt', stem: 'ftz-regulations' }, // 第N条 under 第N章; printed with the site's chrome
  { file: 'services-opening-pilot-work-plan.txt', stem: 'services-plan' }, // 一、（一）; printed with the print stylesheet
];
const FORMATS = ['html', 'pdf', 'docx'] as const;

interface ManifestEntry {
  title?: string;
  [k: string]: unknown;
}

let tmp: string;
const corpora: Record<string, Corpus> = {};
const bad: Record<string, string> = {};
let mixed: Corpus;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'pa-formats-'));
  const manifest = JSON.parse(await readFile(path.join(CORPUS, 'manifest.json'), 'utf8')) as { files: Record<string, ManifestEntry> };
  const pages: { html: string; header?: boolean }[] = [];
  const built: Record<string, Record<string, Buffer | string>> = {};
  for (const [i, s] of SEEDS.entries()) {
    const title = manifest.files[s.file]!.title!;
    const paras = await seedParagraphs(s.file);
    const html = govPage(title, paras);
    // One page is printed with the whole site around it, one with the site's print stylesheet.
    pages.push({ html: i === 0 ? html : govPage(title, paras, { printStylesheet: true }) });
    built[s.stem] = { html, docx: await wordDocument(title, paras) };
  }
  pages.push({ html: scannedPage(await seedParagraphs(SEEDS[0]!.file)), header: false });
  const pdfs = await printPdfs(pages);
  SEEDS.forEach((s, i) => (built[s.stem]!.pdf = pdfs[i]!));

  // One folder per format, each with the manifest entries of the .txt minus the title, which must
  // now come from the document itself.
  for (const fmt of ['txt', ...FORMATS]) {
    const dir = path.join(tmp, fmt);
    await mkdir(dir);
    const files: Record<string, ManifestEntry> = {};
    for (const s of SEEDS) {
      const name = `${s.stem}.${fmt}`;
      if (fmt === 'txt') await copyFile(path.join(CORPUS, s.file), path.join(dir, name));
      else await writeFile(path.join(dir, name), built[s.stem]![fmt]!);
      const { title, ...rest } = manifest.files[s.file]!;
      files[name] = fmt === 'txt' ? { title, ...rest } : rest;
    }
    await writeFile(path.join(dir, 'manifest.json'), JSON.stringify({ files }));
    corpora[fmt] = await ingestCorpus(dir);
  }

  // Files that cannot be ingested, next to good ones.
  const dir = path.join(tmp, 'mixed');
  await mkdir(dir);
  bad.scanned = path.join(dir, 'scanned.pdf');
  await writeFile(bad.scanned, pdfs[SEEDS.length]!);
  const good = path.join(tmp, 'pdf', `${SEEDS[0]!.stem}.pdf`);
  bad.encrypted = path.join(dir, 'encrypted.pdf');
  encryptPdf(good, bad.encrypted);
  const docx = built[SEEDS[1]!.stem]!.docx as Buffer;
  bad.corrupt = path.join(dir, 'corrupt.docx');
  await writeFile(bad.corrupt, docx.subarray(0, Math.floor(docx.length * 0.6)));
  bad.oversized = path.join(dir, 'oversized.docx');
  await writeFile(bad.oversized, await withBigPhoto(docx));
  await copyFile(good, path.join(dir, 'good.pdf'));
  await copyFile(path.join(tmp, 'html', `${SEEDS[1]!.stem}.html`), path.join(dir, 'good.html'));
  mixed = await ingestCorpus(dir);
}, 300_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** A good Word file with a photograph added that makes it too large: incompressible bytes, stored as Word stores JPEGs. */
async function withBigPhoto(docx: Buffer): Promise<Buffer> {
  const zip = await JSZip.loadAsync(docx);
  zip.file('word/media/photo1.jpeg', randomBytes(MAX_BINARY_BYTES + 1024 * 1024), { compression: 'STORE' });
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

const fileOf = (c: Corpus, name: string): ParsedFile => {
  const f = c.files.find((x) => x.file === name);
  if (!f) throw new Error(`${name} not ingested: ${JSON.stringify(c.errors)}`);
  return f;
};
const docView = (f: ParsedFile) =>
  f.documents.map((d) => ({
    id: d.id,
    title: d.title,
    titles: d.titles,
    docNumber: d.docNumber,
    issuer: d.issuer,
    issueDate: d.issueDate,
    kind: d.kind,
    clauseCount: d.clauseCount,
    validFrom: d.validFrom,
    validUntil: d.validUntil,
    timeStatements: d.timeStatements,
  }));

describe('policies as operators receive them ingest like the .txt', () => {
  const rows: string[] = [];
  afterAll(() => console.log(`round trip against the .txt (clauses identical, whitespace aside):\n${rows.join('\n')}`));

  for (const s of SEEDS)
    for (const fmt of FORMATS)
      it(`${s.stem}.${fmt}: same documents, labels and clause texts`, () => {
        const ref = fileOf(corpora.txt!, `${s.stem}.txt`);
        const got = fileOf(corpora[fmt]!, `${s.stem}.${fmt}`);
        const n = Math.max(ref.clauses.length, got.clauses.length);
        let same = 0;
        let exact = 0;
        for (let i = 0; i < n; i++) {
          const a = ref.clauses[i];
          const b = got.clauses[i];
          if (a && b && a.label === b.label && squash(a.text) === squash(b.text)) same++;
          if (a && b && a.id === b.id) exact++;
        }
        const docsEqual = JSON.stringify(docView(got)) === JSON.stringify(docView(ref));
        rows.push(
          `  ${`${s.stem}.${fmt}`.padEnd(22)} documents ${docsEqual ? 'equal' : 'DIFFER'} (${got.documents.length}), clauses ${same}/${ref.clauses.length} (${((100 * same) / ref.clauses.length).toFixed(1)}%), same ids ${exact}/${ref.clauses.length}, layout ${got.layout}`,
        );
        expect(ref.clauses.length).toBeGreaterThan(10);
        expect(docView(got)).toEqual(docView(ref));
        expect(got.clauses.map((c) => c.label)).toEqual(ref.clauses.map((c) => c.label));
        expect(same / n).toBeGreaterThanOrEqual(0.98);
      });

  for (const fmt of FORMATS)
    it(`no site chrome inside any clause or title (${fmt})`, () => {
      const c = corpora[fmt]!;
      expect(c.clauses.length).toBeGreaterThan(50);
      for (const x of [...c.clauses.map((k) => k.text), ...c.documents.flatMap((d) => d.titles), ...c.files.flatMap((f) => f.compilerText)])
        for (const chrome of CHROME) expect(x, `"${chrome}" in: ${x.slice(0, 80)}`).not.toContain(chrome);
    });

  it('the PDF lost its running heads and page numbers', () => {
    for (const s of SEEDS) {
      const f = fileOf(corpora.pdf!, `${s.stem}.pdf`);
      expect(f.text).not.toMatch(/—\s*\d+\s*—/);
      expect(f.text).not.toContain('_北京市人民政府网站');
    }
  });

  it('lists the new extensions', async () => {
    for (const fmt of FORMATS) expect(await listCorpusFiles(path.join(tmp, fmt))).toEqual(SEEDS.map((s) => `${s.stem}.${fmt}`).sort());
  });

  it("the manifest's title overrides the document's own", async () => {
    const dir = path.join(tmp, 'override');
    await mkdir(dir);
    await copyFile(path.join(tmp, 'html', `${SEEDS[0]!.stem}.html`), path.join(dir, 'page.html'));
    await writeFile(path.join(dir, 'manifest.json'), JSON.stringify({ files: { 'page.html': { title: '自贸试验区条例（网页版）' } } }));
    const c = await ingestCorpus(dir);
    expect(c.documents.map((d) => d.title)).toEqual(['自贸试验区条例（网页版）']);
  });
});

describe('files that cannot be read get one clear message, and the rest ingest', () => {
  it('each bad file is one error, saying why', () => {
    const byFile = Object.fromEntries(mixed.errors.map((e) => [e.file, e.message]));
    expect(Object.keys(byFile).sort()).toEqual(['corrupt.docx', 'encrypted.pdf', 'oversized.docx', 'scanned.pdf']);
    expect(byFile['scanned.pdf']).toMatch(/^scanned\.pdf: the PDF has no text layer/);
    expect(byFile['encrypted.pdf']).toMatch(/^encrypted\.pdf: the PDF is password-protected/);
    expect(byFile['corrupt.docx']).toMatch(/^corrupt\.docx: not a readable Word \(\.docx\) file/);
    expect(byFile['oversized.docx']).toMatch(/^oversized\.docx: [\d.]+ MB is over the 32 MB limit/);
    for (const m of Object.values(byFile)) expect(m).not.toMatch(/\n|    at /);
  });

  it('the good files beside them ingest whole', () => {
    expect(mixed.files.map((f) => f.file).sort()).toEqual(['good.html', 'good.pdf']);
    const text = (f: ParsedFile) => f.clauses.map((c) => squash(c.text));
    expect(text(fileOf(mixed, 'good.pdf'))).toEqual(text(fileOf(corpora.txt!, `${SEEDS[0]!.stem}.txt`)));
    expect(text(fileOf(mixed, 'good.html'))).toEqual(text(fileOf(corpora.txt!, `${SEEDS[1]!.stem}.txt`)));
  });

  it('each is its own error class', async () => {
    const read = async (p: string) => extractText(path.basename(p), await readFile(p));
    await expect(read(bad.scanned!)).rejects.toThrow(NoTextLayerError);
    await expect(read(bad.encrypted!)).rejects.toThrow(EncryptedFileError);
    await expect(read(bad.corrupt!)).rejects.toThrow(UnreadableFileError);
    await expect(read(bad.oversized!)).rejects.toThrow(FileTooLargeError);
  });
});
