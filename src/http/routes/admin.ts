import { createHash, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import multer from 'multer';
import type { Writable } from 'node:stream';
import type { AppHolder, AppReloader, ReloadStatus } from '../../app-reload.ts';
import { config, type Config } from '../../config.ts';
import { addToCorpus, removeFromCorpus, type FileOutcome } from '../../corpus-admin.ts';
import { HttpError, methodNotAllowed } from '../errors.ts';

export interface AdminOptions {
  /** Bearer token for /admin; default env POLICY_ASSISTANT_ADMIN_TOKEN. Without one the routes do not exist (404). */
  token?: string;
  /** Where POST /admin/documents writes; default POLICY_ASSISTANT_CORPUS_DIR. */
  corpusDir?: string;
  /** Upload bounds; default POLICY_ASSISTANT_UPLOAD_MAX_*. */
  uploads?: Config['uploads'];
}

/**
 * POST /admin/documents[?wait=true][&replace=true]: files (multipart, field "file") checked by parsing
 * them against the corpus, the good ones copied in atomically, the index updated in the background;
 * per file, added or skipped and why. DELETE /admin/documents/:id: takes the file holding that
 * document out of the corpus (409 if it holds others too) and reindexes.
 * POST /admin/reindex[?rebuild=true]: re-reads the corpus and builds the changed passages (or all,
 * with rebuild) in the background; 202 with the job's status, or the running job's when one is
 * already under way. Requests are answered from the old index until the new one is swapped in.
 * GET /admin/reindex: the latest job's state and progress, and the generation being served.
 */
export function adminRouter(holder: AppHolder, reloader: AppReloader, opts: AdminOptions = {}): Router {
  const router = Router();
  const token = opts.token ?? config().adminToken;
  // Disabled unless configured: an unauthenticated rebuild trigger would be a denial-of-service lever.
  if (!token) return router;

  const body = (status: ReloadStatus) => {
    const { index, corpus } = holder.current();
    return { ...status, serving: { generation: path.basename(index.dir), builtAt: index.builtAt, documents: corpus.documents.length, chunks: corpus.chunks.length } };
  };
  router.use('/admin', bearerAuth(token), (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  // A reader replica never writes the corpus or the index, so it refuses before touching either.
  const writerOnly: RequestHandler = (_req, _res, next) =>
    next(
      reloader.role === 'reader'
        ? new HttpError('conflict', 'this replica is an index reader (POLICY_ASSISTANT_INDEX_ROLE=reader): add, remove and reindex on a writer; this replica loads what it commits')
        : undefined,
    );
  router
    .route('/admin/reindex')
    .get((_req, res) => {
      res.json(body(reloader.status()));
    })
    .post(writerOnly, (req, res) => {
      const rebuild = req.query.rebuild;
      if (rebuild !== undefined && rebuild !== 'true' && rebuild !== 'false') throw new HttpError('invalid_input', 'rebuild must be true or false');
      const status = reloader.reindex({ rebuild: rebuild === 'true' });
      res.status(202).location('/admin/reindex').json(body(status));
    })
    .all(methodNotAllowed('GET', 'POST'));

  const corpusDir = opts.corpusDir ?? config().corpusDir;
  const upload = uploadParser(opts.uploads ?? config().uploads);
  // One corpus change at a time: each check must see the files the one before it copied in.
  let writes: Promise<unknown> = Promise.resolve();
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const run = writes.then(work);
    writes = run.catch(() => undefined);
    return run;
  };
  // The index follows in the background through the reloader; ?wait=true answers once it is swapped in.
  const reindexAfter = async (req: Request, res: Response, changed: boolean): Promise<ReloadStatus | undefined> => {
    if (!changed) return undefined;
    const job = reloader.refresh();
    if (wantsWait(req)) return job;
    // Not awaited: report the job as it stands now (running, or queued behind the running one).
    void job;
    res.location('/admin/reindex');
    return reloader.status();
  };
  router
    .route('/admin/documents')
    .post(writerOnly, upload, async (req, res) => {
      const replace = flagQuery(req, 'replace');
      wantsWait(req);
      const files = (req.files as Express.Multer.File[] | undefined) ?? [];
      if (!files.length) throw new HttpError('invalid_input', 'no file received; send multipart/form-data with one or more files under the field "file"');
      const outcomes = await serially(() => addToCorpus(corpusDir, files.map((f) => ({ name: f.originalname, bytes: f.buffer })), { replace }));
      const added = outcomes.filter((o) => o.status === 'added');
      const index = await reindexAfter(req, res, added.length > 0);
      if (index?.state === 'succeeded') withIndexedDocuments(outcomes, holder);
      const payload = { files: outcomes, index: index && body(index) };
      if (!added.length)
        return void res.status(422).json({ error: { code: 'corpus_file', message: `nothing was added: ${outcomes.map((o) => `${o.file}: ${o.reason}`).join('; ')}`.slice(0, 500) }, ...payload });
      if (index && index.state !== 'succeeded' && index.state !== 'running')
        return void res.status(503).json({ error: { code: 'unavailable', message: `the files were added to the corpus but the index update ${index.state}: ${index.error ?? ''}; the previous index is still served` }, ...payload });
      res.status(added.length === outcomes.length ? 201 : 200).json(payload);
    })
    .all(methodNotAllowed('POST'));
  router
    .route('/admin/documents/:id')
    .delete(writerOnly, async (req, res) => {
      wantsWait(req);
      const removal = await serially(() => removeFromCorpus(corpusDir, holder.current().corpus, req.params.id as string));
      const index = await reindexAfter(req, res, true);
      const payload = { removed: removal, index: index && body(index) };
      if (index && index.state !== 'succeeded' && index.state !== 'running')
        return void res.status(503).json({ error: { code: 'unavailable', message: `the file was taken out of the corpus but the index update ${index.state}: ${index.error ?? ''}` }, ...payload });
      res.json(payload);
    })
    .all(methodNotAllowed('DELETE'));
  return router;
}

/** After the swap the index's own ids are authoritative (ingest order can rename a colliding one). */
function withIndexedDocuments(outcomes: FileOutcome[], holder: AppHolder): void {
  const docs = holder.current().corpus.documents;
  for (const o of outcomes) if (o.status === 'added') o.documents = docs.filter((d) => d.source.file === o.file).map((d) => ({ id: d.id, title: d.title }));
}

const flagQuery = (req: Request, name: string): boolean => {
  const v = req.query[name];
  if (v !== undefined && v !== 'true' && v !== 'false') throw new HttpError('invalid_input', `${name} must be true or false`);
  return v === 'true';
};
const wantsWait = (req: Request): boolean => flagQuery(req, 'wait');

const MULTER_ERRORS: Record<string, { code: 'payload_too_large' | 'invalid_input'; message: (limits: Config['uploads'], field?: string) => string }> = {
  LIMIT_FILE_SIZE: { code: 'payload_too_large', message: (l) => `a file is over ${l.maxFileBytes} bytes (POLICY_ASSISTANT_UPLOAD_MAX_FILE_BYTES)` },
  LIMIT_FILE_COUNT: { code: 'payload_too_large', message: (l) => `more than ${l.maxFiles} files in one request (POLICY_ASSISTANT_UPLOAD_MAX_FILES)` },
  LIMIT_PART_COUNT: { code: 'payload_too_large', message: () => 'too many parts in the form' },
  LIMIT_FIELD_COUNT: { code: 'payload_too_large', message: () => 'too many fields in the form' },
  LIMIT_FIELD_VALUE: { code: 'payload_too_large', message: () => 'a form field is too long' },
  LIMIT_FIELD_KEY: { code: 'invalid_input', message: () => 'a form field name is too long' },
  LIMIT_UNEXPECTED_FILE: { code: 'invalid_input', message: (_l, field) => `unexpected file field "${(field ?? '').slice(0, 50)}"; send the files under the field "file"` },
  MISSING_FIELD_NAME: { code: 'invalid_input', message: () => 'a form part has no field name' },
};

class UploadTooLarge extends Error {}

/**
 * multipart/form-data into memory, bounded per file, in file count and in total (Content-Length
 * up front; bytes counted as they arrive for a chunked body), every problem a 4xx JSON error.
 */
function uploadParser(limits: Config['uploads']): RequestHandler {
  // multer 2.5's streamHandler is not in @types/multer yet.
  const options: multer.Options & { streamHandler: (req: Request, busboy: Writable) => void } = {
    storage: multer.memoryStorage(),
    // Browsers and curl send UTF-8 file names (政策.docx) without saying so; busboy would assume latin1.
    defParamCharset: 'utf8',
    limits: { fileSize: limits.maxFileBytes, files: limits.maxFiles, fields: 20, fieldSize: 64 * 1024, parts: limits.maxFiles + 20 },
    streamHandler: (req, busboy) => {
      let seen = 0;
      req.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (seen > limits.maxTotalBytes && !busboy.destroyed) busboy.destroy(new UploadTooLarge());
      });
      req.pipe(busboy);
    },
  };
  const parse = multer(options).array('file', limits.maxFiles);
  const tooLarge = () => new HttpError('payload_too_large', `the upload is over ${limits.maxTotalBytes} bytes in all (POLICY_ASSISTANT_UPLOAD_MAX_TOTAL_BYTES)`);
  return (req, res, next) => {
    if (!req.is('multipart/form-data')) return next(new HttpError('unsupported_media_type', 'send multipart/form-data with one or more files under the field "file"'));
    if (Number(req.get('content-length')) > limits.maxTotalBytes) return next(tooLarge());
    parse(req, res, (err?: unknown) => {
      if (!err) return next();
      if (err instanceof UploadTooLarge) return next(tooLarge());
      if (err instanceof multer.MulterError) {
        const known = MULTER_ERRORS[err.code];
        return next(new HttpError(known?.code ?? 'invalid_input', known ? known.message(limits, err.field) : 'the form could not be read'));
      }
      // busboy: a malformed or truncated multipart body.
      next(new HttpError('bad_request', `the multipart body could not be read: ${(err as Error).message}`.slice(0, 200)));
    });
  };
}

function bearerAuth(token: string): RequestHandler {
  const want = digest(token);
  return (req, res, next) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    // Digests have equal length, so the comparison is constant-time whatever was sent.
    if (m && timingSafeEqual(digest(m[1]!), want)) return next();
    res.setHeader('WWW-Authenticate', 'Bearer realm="policy-assistant admin"');
    next(new HttpError('unauthorized', m ? 'wrong bearer token' : `send Authorization: Bearer <POLICY_ASSISTANT_ADMIN_TOKEN>`));
  };
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
