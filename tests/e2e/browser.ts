import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { ROOT } from '../helpers.ts';

/** Shared set-up of the end-to-end tests: Debian's Chromium, a local HTTP server, the built widget. */
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');
export const WIDGET_JS = path.join(ROOT, 'dist', 'public', 'widget.js');

// Without the background-networking flags Chromium keeps calling home, which floods a closed network.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let built = false;

/** Builds dist/public/widget.js once per test file, so the tests never run a stale bundle. */
export function buildWidget(): void {
  if (built) return;
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
  built = true;
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Chromium with a fresh profile, removed on close; `device` emulates another screen (a phone). */
export async function launchBrowser(device: Pick<BrowserContextOptions, 'viewport' | 'isMobile' | 'hasTouch' | 'deviceScaleFactor'> = {}): Promise<Browser> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'pa-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 860 },
    locale: 'zh-CN',
    ...device,
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export interface Listening {
  url: string;
  close(): Promise<void>;
}

/** Serves a handler on 127.0.0.1 at a free port. */
export async function listen(handler: RequestListener): Promise<Listening> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** The element focused inside the widget's shadow root, as "tag.class". */
export function focusedInWidget(page: Page): Promise<string | undefined> {
  return page.evaluate(() => {
    const el = document.querySelector('policy-assistant')?.shadowRoot?.activeElement;
    return el ? `${el.tagName.toLowerCase()}${el.className ? `.${el.className.split(' ')[0]}` : ''}` : undefined;
  });
}
