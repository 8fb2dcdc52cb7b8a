// Adding and removing policies while serving: POST /admin/documents (multipart), DELETE
// /admin/documents/:id and `policy-assistant add`, against the real `serve` process on loopback
// with the real model, over a temp corpus (one seed file and a two-document compilation, so the
// first build takes seconds) and a temp index.

import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addToCorpus, copyIntoCorpus } from '../../src/corpus-admin.ts';
import { listCorpusFiles } from '../../src/ingest/ingest.ts';
import { ROOT } from '../helpers.ts';
import { postJson } from './http-helpers.ts';
import { cli as cliProcess, serve as serveProcess, started, type Cli } from './index-cli.ts';
import { govPage, wordDocument } from './formats-fixtures.ts';

const TOKEN = 'admin-documents-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const MAX_FILE = 300_000;
const MAX_TOTAL = 600_000;

// Made-up policies, worded for these tests only.
const LIBRARY = [
  '北京市社区共享书屋管理办法',
  '京文旅发〔2026〕17号',
  '第一条 为规范本市社区共享书屋的设立和运营，方便居民就近阅读，制定本办法。',
  '第二条 本办法所称社区共享书屋，是指由街道办事处或者社区居民委员会在社区内设立、向居民免费开放的公共阅读空间。',
  '第三条 社区共享书屋每周开放时间不少于三十五小时，其中周末开放时间不少于十小时。',
  '第四条 居民凭本人身份证件可以免费借阅图书，每人每次借阅不超过五册，借阅期限为三十日。',
  '第五条 本办法自2026年12月1日起施行。',
  '北京市文化和旅游局',
  '2026年11月20日',
];
const SOLAR = [
  '第一条 为鼓励本市居民和企业利用建筑屋顶安装分布式光伏发电设施，制定本办法。',
  '第二条 在本市行政区域内新建并网的屋顶分布式光伏项目，可以按照本办法申请补贴。',
  '第三条 屋顶光伏项目的补贴标准为每千瓦时发电量补贴零点一五元，补贴期限为五年。',
  '第四条 申请补贴的项目单位应当向所在区发展改革部门提交并网验收证明。',
  '第五条 本办法自2027年1月1日起施行。',
  '北京市发展和改革委员会',
  '2026年11月25日',
];
const SOLAR_TITLE = '北京市屋顶光伏发电补贴实施办法';
const DOGS = [
  '京农发〔2026〕33号',
  '第一条 为加强本市养犬管理，便于走失犬只找回，制定本办法。',
  '第二条 本市登记的犬只可以免费植入电子识别芯片。',
  '第三条 犬只芯片植入由区农业农村部门指定的动物诊疗机构免费实施，犬主无需支付任何费用。',
  '第四条 芯片信息纳入全市犬只登记系统统一管理。',
  '第五条 本办法自2026年12月15日起施行。',
  '北京市农业农村局',
  '2026年12月1日',
];
const DOGS_TITLE = '北京市犬只电子芯片免费植入办法';
// Two documents run one after the other in one file: a compilation.
const COMPILATION = [
  '北京市街头篮球场开放管理办法',
  '第一条 为方便市民健身，规范街头篮球场的开放和管理，制定本办法。',
  '第二条 街头篮球场每日开放时间为早六时至晚十时。',
  '第三条 本办法自2026年10月1日起施行。',
  '北京市体育局',
  '2026年9月1日',
  '北京市社区菜市场便民服务规定',
  '第一条 为保障居民日常生活需要，提升社区菜市场便民服务水平，制定本规定。',
  '第二条 社区菜市场应当设置公平秤，并公示蔬菜价格。',
  '第三条 本规定自2026年10月8日起施行。',
  '北京市商务局',
  '2026年9月20日',
].join('\n');

let tmp: string;
let corpusDir: string;
let indexDir: string;
let server: Cli & { url: string };

/** What every process here runs with: the temp corpus and index, the admin token, the upload bounds. */
const ENV: Record<string, string> = {
  POLICY_ASSISTANT_ADMIN_TOKEN: TOKEN,
  POLICY_ASSISTANT_UPLOAD_MAX_FILE_BYTES: String(MAX_FILE),
  POLICY_ASSISTANT_UPLOAD_MAX_TOTAL_BYTES: String(MAX_TOTAL),
  POLICY_ASSISTANT_QUIET: '1',
  LOG_LEVEL: 'warn',
};
const cli = (args: string[], env: Record<string, string> = {}) => cliProcess(args, { corpusDir, indexDir }, { ...ENV, ...env });
const serve = (env: Record<string, string> = {}) => serveProcess({ corpusDir, indexDir }, { ...ENV, ...env });

interface Outcome {
  file: string;
  status: 'added' | 'skipped';
  reason?: string;
  reasonCode?: string;
  documents: { id: string; title: string }[];
}

function form(files: { name: string; data: Uint8Array | string }[], field = 'file'): FormData {
  const fd = new FormData();
  for (const f of files) fd.append(field, new Blob([(typeof f.data === 'string' ? new TextEncoder().encode(f.data) : f.data) as Uint8Array<ArrayBuffer>]), f.name);
  return fd;
}
const upload = (files: { name: string; data: Uint8Array | string }[], query = '?wait=true', headers: Record<string, string> = auth) =>
  fetch(`${server.url}/admin/documents${query}`, { method: 'POST', headers, body: form(files) });

async function search(query: string): Promise<{ id: string; label: string; text: string }[]> {
  const res = await postJson(`${server.url}/api/search`, { query, k: 5 });
  expect(res.status).toBe(200);
  return ((await res.json()) as { results: { id: string; label: string; text: string }[] }).results;
}
const corpusFiles = async () => (await readdir(corpusDir)).filter((n) => !n.startsWith('.')).sort();
const generation = async () => ((await (await fetch(`${server.url}/healthz`)).json()) as { index: { generation: string } }).index.generation;

/** /api/search and /healthz one after another until stopped; every answer must be a 200. */
function poll() {
  const failures: string[] = [];
  let last = Date.now();
  let maxGap = 0;
  let answered = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      for (const r of [await postJson(`${server.url}/api/search`, { query: '自贸试验区跨境数据流动', k: 3 }), await fetch(`${server.url}/healthz`)]) {
        if (r.status !== 200) failures.push(`${r.url} ${r.status} ${await r.text()}`);
        else await r.arrayBuffer();
        const now = Date.now();
        maxGap = Math.max(maxGap, now - last);
        last = now;
        answered++;
      }
    }
  })().catch((e: Error) => failures.push(e.message));
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return { failures, maxGap, answered };
    },
  };
}

beforeAll(async () => {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT });
  tmp = await mkdtemp(path.join(tmpdir(), 'admin-documents-'));
  corpusDir = path.join(tmp, 'corpus');
  indexDir = path.join(tmp, 'embeddings');
  await mkdir(corpusDir);
  await copyFile(path.join(ROOT, 'corpus', 'beijing-ftz-regulations.txt'), path.join(corpusDir, 'beijing-ftz-regulations.txt'));
  await writeFile(path.join(corpusDir, 'community-compilation.txt'), COMPILATION);
  server = await serve();
}, 180_000);
afterAll(async () => {
  for (const child of started) child.kill('SIGKILL');
  await rm(tmp, { recursive: true, force: true });
});

describe('POST /admin/documents', () => {
  it('adds a .txt policy; when ?wait=true returns, search and chat cite it, and the server never stopped answering', async () => {
    const poller = poll();
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    const res = await upload([{ name: '社区共享书屋管理办法.txt', data: LIBRARY.join('\n') }]);
    const callMs = performance.now() - t0;
    const body = (await res.json()) as { files: Outcome[]; index: { state: string; corpus: { added: { file: string }[] } } };
    const { failures, maxGap, answered } = await poller.stop();
    console.info(`POST ?wait=true took ${Math.round(callMs)} ms; poller: ${answered} answers, longest gap ${maxGap} ms`);
    expect(res.status).toBe(201);
    expect(body.files).toEqual([{ file: '社区共享书屋管理办法.txt', status: 'added', documents: [{ id: expect.stringMatching(/^d/), title: '北京市社区共享书屋管理办法' }] }]);
    expect(body.index.state).toBe('succeeded');
    expect(body.index.corpus.added.map((a) => a.file)).toEqual(['社区共享书屋管理办法.txt']);
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(2);
    expect(maxGap).toBeLessThan(2000);

    const id = body.files[0]!.documents[0]!.id;
    const hits = await search('社区共享书屋每周开放多长时间');
    expect(hits[0]!.id.startsWith(`${id}-`)).toBe(true);
    expect(hits[0]!.text).toContain('三十五小时');
    const chat = await postJson(`${server.url}/api/chat`, { message: '社区共享书屋每次最多能借几本书？' });
    expect(chat.status).toBe(200);
    const answer = (await chat.json()) as { answer: string; citations: { id: string; documentTitle: string; quote: string }[] };
    expect(answer.citations.some((c) => c.documentTitle === '北京市社区共享书屋管理办法' && c.quote.includes('五册'))).toBe(true);
    expect(await corpusFiles()).toContain('社区共享书屋管理办法.txt');
  }, 120_000);

  it('adds a Word file and a saved web page in one request, each answerable', async () => {
    const docx = await wordDocument(SOLAR_TITLE, SOLAR);
    const html = govPage(DOGS_TITLE, DOGS);
    const res = await upload([
      { name: 'solar.docx', data: docx },
      { name: 'dogs.html', data: html },
    ]);
    expect(res.status).toBe(201);
    const body = (await res.json()) as { files: Outcome[] };
    expect(body.files.map((f) => [f.file, f.status, f.documents.map((d) => d.title)])).toEqual([
      ['solar.docx', 'added', [SOLAR_TITLE]],
      ['dogs.html', 'added', [DOGS_TITLE]],
    ]);
    const solar = await search('屋顶光伏每千瓦时补贴多少钱');
    expect(solar[0]!.label).toContain(SOLAR_TITLE);
    expect(solar[0]!.text).toContain('零点一五元');
    const dogs = await search('给狗植入芯片要花钱吗');
    expect(dogs.some((h) => h.label.includes(DOGS_TITLE) && h.text.includes('免费实施'))).toBe(true);
  }, 120_000);

  it('skips a duplicate, an unsupported file, a corrupt .docx, an identical file and a name clash, copying nothing', async () => {
    const before = await corpusFiles();
    const generationBefore = await generation();
    const seed = await readFile(path.join(corpusDir, 'beijing-ftz-regulations.txt'), 'utf8');
    const res = await upload([
      // The same document in other bytes (CRLF line ends, a trailing blank line).
      { name: 'ftz-copy.txt', data: seed.replace(/\n/g, '\r\n') + '\r\n\r\n' },
      { name: 'budget.xlsx', data: 'not a policy' },
      { name: 'broken.docx', data: new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 4, 5, 6, 7, 8]) },
      { name: 'again.txt', data: LIBRARY.join('\n') },
      { name: '社区共享书屋管理办法.txt', data: LIBRARY.join('\n') + '\n第六条 补充。' },
    ]);
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; message: string }; files: Outcome[] };
    expect(body.error.code).toBe('corpus_file');
    const by = Object.fromEntries(body.files.map((f) => [f.file, f]));
    expect(body.files.every((f) => f.status === 'skipped')).toBe(true);
    expect(by['ftz-copy.txt']).toMatchObject({ reasonCode: 'duplicate', reason: expect.stringContaining('in beijing-ftz-regulations.txt') });
    expect(by['budget.xlsx']).toMatchObject({ reasonCode: 'unsupported', reason: expect.stringContaining('.xlsx') });
    expect(by['broken.docx']).toMatchObject({ reasonCode: 'unreadable', reason: expect.stringContaining('broken.docx') });
    expect(by['again.txt']).toMatchObject({ reasonCode: 'identical', reason: expect.stringContaining('社区共享书屋管理办法.txt') });
    expect(by['社区共享书屋管理办法.txt']).toMatchObject({ reasonCode: 'exists', reason: expect.stringContaining('replace') });
    expect(await corpusFiles()).toEqual(before);
    // Nothing to index: no new generation.
    expect(await generation()).toBe(generationBefore);
  }, 60_000);

  it('two requests at once with the same new document: one adds it, the other is told it is a copy', async () => {
    const bikes = ['北京市公共自行车停放管理办法', '第一条 为规范公共自行车停放秩序，制定本办法。', '第二条 公共自行车应当停放在划定的停放区内。', '第三条 本办法自2026年12月1日起施行。'].join('\n');
    const [a, b] = await Promise.all([upload([{ name: 'bikes-a.txt', data: bikes }]), upload([{ name: 'bikes-b.txt', data: bikes + '\n' }])]);
    const outcomes = [...((await a.json()) as { files: Outcome[] }).files, ...((await b.json()) as { files: Outcome[] }).files];
    expect(outcomes.map((o) => o.status).sort()).toEqual(['added', 'skipped']);
    expect(outcomes.find((o) => o.status === 'skipped')!.reasonCode).toBe('duplicate');
    expect((await corpusFiles()).filter((f) => f.startsWith('bikes-'))).toHaveLength(1);
  }, 120_000);

  it('answers 413 JSON over the per-file and the total size limit, and 415/400 for a body that is no upload', async () => {
    const big = new Uint8Array(MAX_FILE + 1000).fill(0x41);
    const one = await upload([{ name: 'big.txt', data: big }]);
    expect(one.status).toBe(413);
    expect(((await one.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'payload_too_large', message: expect.stringContaining('POLICY_ASSISTANT_UPLOAD_MAX_FILE_BYTES') });
    const part = new Uint8Array(MAX_FILE - 1000).fill(0x42);
    const all = await upload([
      { name: 'a.txt', data: part },
      { name: 'b.txt', data: part },
      { name: 'c.txt', data: part },
    ]);
    expect(all.status).toBe(413);
    expect(((await all.json()) as { error: { message: string } }).error.message).toContain('POLICY_ASSISTANT_UPLOAD_MAX_TOTAL_BYTES');
    // The same upload streamed without a Content-Length: its bytes are counted as they arrive.
    const encoded = new Response(form([{ name: 'a.txt', data: part }, { name: 'b.txt', data: part }, { name: 'c.txt', data: part }]));
    const bytes = new Uint8Array(await encoded.arrayBuffer());
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += 64 * 1024) c.enqueue(bytes.slice(i, i + 64 * 1024));
        c.close();
      },
    });
    const chunked = await fetch(`${server.url}/admin/documents`, { method: 'POST', headers: { ...auth, 'content-type': encoded.headers.get('content-type')! }, body: stream, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(((await chunked.json()) as { error: { message: string } }).error.message).toContain('POLICY_ASSISTANT_UPLOAD_MAX_TOTAL_BYTES');
    const json = await postJson(`${server.url}/admin/documents`, { file: 'x' }, auth);
    expect(json.status).toBe(415);
    const wrongField = await fetch(`${server.url}/admin/documents`, { method: 'POST', headers: auth, body: form([{ name: 'x.txt', data: 'x' }], 'upload') });
    expect(wrongField.status).toBe(400);
    expect(((await wrongField.json()) as { error: { message: string } }).error.message).toContain('"file"');
    expect(await corpusFiles()).not.toContain('big.txt');
  });

  it('answers 401 without the token or with a wrong one, and touches nothing', async () => {
    const before = await corpusFiles();
    for (const headers of [{}, { authorization: 'Bearer wrong' }] as Record<string, string>[]) {
      const res = await upload([{ name: 'x.txt', data: LIBRARY.join('\n').replace(/书屋/g, '书房') }], '?wait=true', headers);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
      const del = await fetch(`${server.url}/admin/documents/d123`, { method: 'DELETE', headers });
      expect(del.status).toBe(401);
    }
    expect(await corpusFiles()).toEqual(before);
  });
});

describe('DELETE /admin/documents/:id', () => {
  it('removes the file holding the document; search no longer finds it; 404 unknown, 409 inside a compilation', async () => {
    const docs = ((await (await fetch(`${server.url}/api/documents`)).json()) as { documents: { id: string; title: string }[] }).documents;
    const library = docs.find((d) => d.title === '北京市社区共享书屋管理办法')!;
    const basketball = docs.find((d) => d.title === '北京市街头篮球场开放管理办法')!;
    expect(library && basketball).toBeTruthy();

    const conflict = await fetch(`${server.url}/admin/documents/${basketball.id}`, { method: 'DELETE', headers: auth });
    expect(conflict.status).toBe(409);
    expect(((await conflict.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'conflict', message: expect.stringMatching(/2 documents in community-compilation\.txt/) });
    const unknown = await fetch(`${server.url}/admin/documents/d000000000`, { method: 'DELETE', headers: auth });
    expect(unknown.status).toBe(404);

    const res = await fetch(`${server.url}/admin/documents/${library.id}?wait=true`, { method: 'DELETE', headers: auth });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { removed: { file: string; movedTo: string }; index: { state: string; corpus: { removed: { file: string; documents: { id: string }[] }[] } } };
    expect(body.removed.file).toBe('社区共享书屋管理办法.txt');
    expect(body.index.state).toBe('succeeded');
    expect(body.index.corpus.removed).toEqual([{ file: '社区共享书屋管理办法.txt', documents: [{ id: library.id, title: library.title }] }]);
    expect(await corpusFiles()).not.toContain('社区共享书屋管理办法.txt');
    // Kept aside, out of ingestion's sight, so it can be restored.
    expect((await stat(path.join(corpusDir, body.removed.movedTo))).isFile()).toBe(true);
    const hits = await search('社区共享书屋每周开放多长时间');
    expect(hits.some((h) => h.id.startsWith(`${library.id}-`))).toBe(false);
    expect((await fetch(`${server.url}/api/documents/${library.id}`)).status).toBe(404);

    // GET /admin/reindex reports the last job per file.
    const status = (await (await fetch(`${server.url}/admin/reindex`, { headers: auth })).json()) as { state: string; corpus: { removed: { file: string }[]; errors: unknown[]; duplicates: unknown[]; skipped: unknown[] } };
    expect(status.state).toBe('succeeded');
    expect(status.corpus.removed.map((r) => r.file)).toEqual(['社区共享书屋管理办法.txt']);
    expect(status.corpus).toMatchObject({ errors: [], duplicates: [], skipped: [] });
  }, 120_000);
});

describe('GET /admin/reindex', () => {
  it('lists what the last job added and which documents it left out as copies, and why', async () => {
    // A new compilation repeating a document the corpus already holds, beside a new one.
    const basketball = COMPILATION.split('\n').slice(0, 6);
    const parks = ['北京市公园夜间开放试行办法', '第一条 为丰富市民夜间休闲生活，制定本办法。', '第二条 试点公园夏季夜间开放至晚十一时。', '第三条 本办法自2026年6月1日起施行。', '北京市园林绿化局', '2026年5月10日'];
    const res = await upload([{ name: 'evening-compilation.txt', data: [...basketball, ...parks].join('\n') }]);
    expect(res.status).toBe(201);
    const [file] = ((await res.json()) as { files: Outcome[] }).files;
    expect(file).toMatchObject({ status: 'added', documents: [{ title: '北京市公园夜间开放试行办法' }], reason: expect.stringContaining('community-compilation.txt') });
    const status = (await (await fetch(`${server.url}/admin/reindex`, { headers: auth })).json()) as {
      state: string;
      corpus: { added: { file: string }[]; skipped: { file: string; reason: string }[]; duplicates: { file: string; sameAsFile: string; title: string }[]; errors: unknown[] };
    };
    expect(status.state).toBe('succeeded');
    expect(status.corpus.added.map((a) => a.file)).toEqual(['evening-compilation.txt']);
    expect(status.corpus.duplicates).toEqual([expect.objectContaining({ title: '北京市街头篮球场开放管理办法' })]);
    expect(status.corpus.skipped).toEqual([{ file: status.corpus.duplicates[0]!.file, reason: expect.stringContaining('the same document as') }]);
    expect(status.corpus.errors).toEqual([]);
  }, 120_000);
});

describe('policy-assistant add', () => {
  it('adds a folder of good and bad files against the running server, reporting each; the server swaps the new generation in', async () => {
    const src = path.join(tmp, 'incoming');
    await mkdir(src);
    await writeFile(path.join(src, '共享书屋办法.md'), LIBRARY.join('\n\n'));
    await writeFile(path.join(src, 'notes.json'), '{}');
    await writeFile(path.join(src, 'scan.pdf'), '%PDF-1.4\n% truncated');
    await copyFile(path.join(corpusDir, 'beijing-ftz-regulations.txt'), path.join(src, 'ftz.txt'));
    const before = await generation();
    const add = cli(['add', src, '--json']);
    expect((await add.exited).code).toBe(0);
    const out = JSON.parse(add.stdout()) as { files: Outcome[]; index: { mode: string } };
    const by = Object.fromEntries(out.files.map((f) => [f.file, f]));
    expect(by['共享书屋办法.md']).toMatchObject({ status: 'added', documents: [{ title: '北京市社区共享书屋管理办法' }] });
    expect(by['notes.json']).toMatchObject({ status: 'skipped', reasonCode: 'unsupported' });
    expect(by['scan.pdf']).toMatchObject({ status: 'skipped', reasonCode: 'unreadable', reason: expect.stringContaining('scan.pdf') });
    expect(by['ftz.txt']).toMatchObject({ status: 'skipped', reasonCode: 'identical', reason: expect.stringContaining('beijing-ftz-regulations.txt') });
    expect(out.index.mode).toBe('incremental');
    expect((await corpusFiles()).filter((f) => f.endsWith('.md'))).toEqual(['共享书屋办法.md']);

    // The server notices embeddings/CURRENT and swaps the generation in.
    const end = Date.now() + 60_000;
    while ((await generation()) === before && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
    expect(await generation()).not.toBe(before);
    const hits = await search('社区共享书屋每周开放多长时间');
    expect(hits[0]!.text).toContain('三十五小时');
  }, 120_000);

  it('exits non-zero with one line when nothing could be added, after listing each file', async () => {
    const add = cli(['add', path.join(corpusDir, 'beijing-ftz-regulations.txt'), path.join(tmp, 'missing.docx')]);
    expect((await add.exited).code).toBe(2);
    expect(add.stdout()).toMatch(/skipped .*beijing-ftz-regulations\.txt: .*already in the corpus/);
    expect(add.stdout()).toMatch(/skipped .*missing\.docx: no such file/);
    expect(add.stderr().trim().split('\n')).toEqual(['policy-assistant: nothing was added (2 files skipped)']);
  }, 60_000);
});

describe('admin off', () => {
  it('without POLICY_ASSISTANT_ADMIN_TOKEN the document routes do not exist', async () => {
    const bare = await serve({ POLICY_ASSISTANT_ADMIN_TOKEN: '' });
    try {
      const post = await fetch(`${bare.url}/admin/documents`, { method: 'POST', headers: auth, body: form([{ name: 'x.txt', data: 'x' }]) });
      expect(post.status).toBe(404);
      expect(((await post.json()) as { error: { code: string } }).error.code).toBe('not_found');
      expect((await fetch(`${bare.url}/admin/documents/d1`, { method: 'DELETE', headers: auth })).status).toBe(404);
    } finally {
      bare.child.kill('SIGTERM');
      await bare.exited;
    }
  }, 90_000);
});

describe('a reader replica', () => {
  it('refuses to add, remove or reindex with 409, touching neither the corpus nor the index', async () => {
    const reader = await serve({ POLICY_ASSISTANT_INDEX_ROLE: 'reader' });
    const served = async () => ((await (await fetch(`${reader.url}/healthz`)).json()) as { index: { generation: string } }).index.generation;
    try {
      const before = await corpusFiles();
      const generationBefore = await served();
      const replies = [
        await fetch(`${reader.url}/admin/documents?wait=true`, { method: 'POST', headers: auth, body: form([{ name: 'reader-upload.txt', data: COMPILATION }]) }),
        await fetch(`${reader.url}/admin/documents/${encodeURIComponent('d1')}`, { method: 'DELETE', headers: auth }),
        await fetch(`${reader.url}/admin/reindex`, { method: 'POST', headers: auth }),
      ];
      for (const res of replies) {
        expect(res.status).toBe(409);
        const { error } = (await res.json()) as { error: { code: string; message: string } };
        expect(error.code).toBe('conflict');
        expect(error.message).toMatch(/index reader .*on a writer/);
      }
      expect(await corpusFiles()).toEqual(before);
      expect(await served()).toBe(generationBefore);
      // Reading what the writers committed still works.
      expect((await fetch(`${reader.url}/admin/reindex`, { headers: auth })).status).toBe(200);
    } finally {
      reader.child.kill('SIGTERM');
      await reader.exited;
    }
  }, 90_000);
});

describe('atomic copy', () => {
  it('a failure between write and rename leaves neither a partial file nor a temp file; an existing name is never overwritten', async () => {
    const dir = path.join(tmp, 'atomic');
    await mkdir(dir);
    await expect(
      copyIntoCorpus(dir, 'policy.txt', new Uint8Array(1 << 20).fill(0x43), {
        beforeCommit: () => {
          throw new Error('disk gone');
        },
      }),
    ).rejects.toThrow('disk gone');
    expect(await readdir(dir)).toEqual([]);
    await writeFile(path.join(dir, 'policy.txt'), 'old');
    await expect(copyIntoCorpus(dir, 'policy.txt', new TextEncoder().encode('new'))).rejects.toMatchObject({ code: 'conflict' });
    expect(await readFile(path.join(dir, 'policy.txt'), 'utf8')).toBe('old');
    await copyIntoCorpus(dir, 'policy.txt', new TextEncoder().encode('new'), { replace: true });
    expect(await readFile(path.join(dir, 'policy.txt'), 'utf8')).toBe('new');
    expect(await readdir(dir)).toEqual(['policy.txt']);
  });

  it('the temp file of a copy killed mid-way is never ingested and is removed by the next add', async () => {
    const dir = path.join(tmp, 'leftover');
    await mkdir(dir);
    // What kill -9 between write and link leaves: a dot-named temp file of a process that is gone.
    await writeFile(path.join(dir, '.adding-999999-0a0b0c0d-half.txt'), LIBRARY.slice(0, 3).join('\n'));
    expect(await listCorpusFiles(dir)).toEqual([]);
    const outcomes = await addToCorpus(dir, [{ name: 'library.txt', bytes: new TextEncoder().encode(LIBRARY.join('\n')) }]);
    expect(outcomes.map((o) => o.status)).toEqual(['added']);
    expect(await readdir(dir)).toEqual(['library.txt']);
  });
});
