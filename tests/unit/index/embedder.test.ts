import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbedderEmbeddings, MODEL_ID, QUERY_PREFIX, TransformersEmbedder } from '../../../src/index/embedder/index.ts';

const projectRoot = resolve(fileURLToPath(import.meta.url), '../../../..');
const sharedModels = resolve(projectRoot, '../shared/models');

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

const PASSAGES = [
  '外资银行在京设立分行，应当向金融监管部门提交申请材料，并具备相应的营运资金和风险管理制度。',
  '本市中小学课后服务一般在下午五点半结束，学生自愿参加，学校不得借机收取额外费用。',
  '游客进入公园应当遵守游览秩序，爱护绿地花木，不得在非指定区域烧烤、露营。',
  '对新认定的高新技术企业，给予一次性资金奖励，最高不超过三十万元。',
  '北京市支持外资金融机构在京开展人民币业务，优化外资银行审批流程。',
];

let tmp: string;
let embedder: TransformersEmbedder;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'embedder-'));
  embedder = await TransformersEmbedder.create({ modelDir: sharedModels, cacheDir: tmp, hub: false, npm: false, quiet: true });
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('TransformersEmbedder', () => {
  it('describes the model', () => {
    expect(embedder.modelId).toBe(MODEL_ID);
    expect(embedder.modelSha256).toBe('15b717c382bcb518ba457b93ea6850ede7f4f1cd8937454aa06972366cd19bcc');
    expect(embedder.dims).toBe(512);
    expect(embedder.model.source).toBe('explicit');
  });

  it('returns 512-dim unit vectors for passages and queries', async () => {
    const vectors = [...(await embedder.embedPassages(PASSAGES)), ...(await embedder.embedQueries(['外资银行']))];
    for (const v of vectors) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v).toHaveLength(512);
      expect(Math.sqrt(dot(v, v))).toBeCloseTo(1, 4);
    }
  });

  it('ranks a relevant passage above irrelevant ones', async () => {
    const [q] = await embedder.embedQueries(['外资银行在北京设立分行需要满足什么条件？']);
    const scores = (await embedder.embedPassages(PASSAGES)).map((p) => dot(q!, p));
    const [bank, school, park, hightech, foreignFinance] = scores as [number, number, number, number, number];
    const irrelevant = Math.max(school, park, hightech);
    expect(bank).toBeGreaterThan(irrelevant + 0.1);
    expect(foreignFinance).toBeGreaterThan(irrelevant + 0.1);
  });

  it('gives the same vectors in a bulk call as one at a time, in order', async () => {
    const progress: [number, number][] = [];
    const bulk = await embedder.embedPassages(PASSAGES, (done, total) => progress.push([done, total]));
    expect(progress.at(-1)).toEqual([PASSAGES.length, PASSAGES.length]);
    for (const [i, text] of PASSAGES.entries()) {
      const [single] = await embedder.embedPassages([text]);
      expect(maxAbsDiff(bulk[i]!, single!)).toBeLessThan(1e-4);
    }
  });

  it('stays close with batchSize > 1 (per-tensor activation quantization couples batch members)', async () => {
    const batched = await TransformersEmbedder.create({ modelDir: sharedModels, cacheDir: tmp, hub: false, npm: false, quiet: true, batchSize: 4 });
    const a = await batched.embedPassages(PASSAGES);
    const b = await embedder.embedPassages(PASSAGES);
    a.forEach((v, i) => expect(dot(v, b[i]!)).toBeGreaterThan(0.98));
  });

  it('prefixes queries with the bge retrieval instruction', async () => {
    const text = '外资银行设立分行';
    const [query] = await embedder.embedQueries([text]);
    const [prefixed] = await embedder.embedPassages([QUERY_PREFIX + text]);
    const [plain] = await embedder.embedPassages([text]);
    expect(maxAbsDiff(query!, prefixed!)).toBeLessThan(1e-6);
    expect(maxAbsDiff(query!, plain!)).toBeGreaterThan(1e-3);
  });

  it('caches query vectors without exposing them to mutation', async () => {
    const text = '北京市高新技术企业奖励政策';
    const [first] = await embedder.embedQueries([text]);
    const expected = first!.slice();
    first!.fill(0);
    const [again, dup] = await embedder.embedQueries([text, text]);
    expect(maxAbsDiff(again!, expected)).toBe(0);
    expect(maxAbsDiff(dup!, expected)).toBe(0);
  });

  it('handles empty input and truncates long input', async () => {
    expect(await embedder.embedPassages([])).toEqual([]);
    const [long] = await embedder.embedPassages(['北京市外资银行管理办法。'.repeat(2000)]);
    expect(long).toHaveLength(512);
    expect(Math.sqrt(dot(long!, long!))).toBeCloseTo(1, 4);
  });
});

describe('EmbedderEmbeddings (LangChain)', () => {
  it('wraps the embedder with number[] vectors', async () => {
    const lc = new EmbedderEmbeddings(embedder);
    const query = await lc.embedQuery('外资银行');
    const docs = await lc.embedDocuments(PASSAGES.slice(0, 2));
    expect(Array.isArray(query)).toBe(true);
    expect(query).toHaveLength(512);
    expect(docs).toHaveLength(2);
    const [direct] = await embedder.embedQueries(['外资银行']);
    expect(maxAbsDiff(Float32Array.from(query), direct!)).toBe(0);
    const [p0] = await embedder.embedPassages([PASSAGES[0]!]);
    expect(maxAbsDiff(Float32Array.from(docs[0]!), p0!)).toBeLessThan(1e-6);
  });
});
