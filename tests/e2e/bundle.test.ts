import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { beforeAll, expect, it } from 'vitest';
import { buildWidget, WIDGET_JS } from './browser.ts';

/** The embed script stays small and never turns strings into markup. */
const BUDGET_GZIP_BYTES = 40 * 1024;

let js: Buffer;

beforeAll(async () => {
  buildWidget();
  js = await readFile(WIDGET_JS);
});

it(`widget.js is at most ${BUDGET_GZIP_BYTES / 1024} KB gzipped`, () => {
  const gzipped = gzipSync(js, { level: 9 }).length;
  console.log(`widget.js: ${js.length} bytes, ${gzipped} bytes gzipped`);
  expect(gzipped).toBeLessThanOrEqual(BUDGET_GZIP_BYTES);
});

it('widget.js has no HTML sinks', () => {
  expect(js.toString()).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/);
});
