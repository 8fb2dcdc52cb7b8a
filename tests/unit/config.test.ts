// Issue 13: one configuration module. Every variable is declared and checked in src/config.ts,
// nothing else in src/ reads process.env, and the README's table is generated from the same list.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configTable, loadConfig, VARIABLES } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';
import { ROOT } from '../helpers.ts';

const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });

describe('configuration', () => {
  it('is read nowhere but src/config.ts', () => {
    const readers = files(path.join(ROOT, 'src')).filter((f) => !f.endsWith(path.join('src', 'config.ts')) && /process\.env\b/.test(readFileSync(f, 'utf8')));
    expect(readers.map((f) => path.relative(ROOT, f))).toEqual([]);
  });

  it('has defaults that parse, and every default and variable documented in the README table', () => {
    const cfg = loadConfig({});
    expect(cfg.port).toBe(3000);
    expect(cfg.rateLimits.chat).toEqual({ limit: 20, windowMs: 60_000 });
    expect(cfg.llm).toBeUndefined();
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(configTable());
    for (const v of VARIABLES) expect(readme).toContain(`\`${v.name}\``);
  });

  it('reports every bad value in one error, never echoing a secret', () => {
    const err = (() => {
      try {
        loadConfig({ PORT: '99999', POLICY_ASSISTANT_RATE_LIMIT_API: 'fast', POLICY_ASSISTANT_NO_HUB: 'maybe' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('config_invalid');
    expect((err as Error).message).toMatch(/^PORT must be a port number.*; POLICY_ASSISTANT_NO_HUB must be 1 or 0.*; POLICY_ASSISTANT_RATE_LIMIT_API must be "N\/window"/);
    expect(() => loadConfig({ POLICY_ASSISTANT_LLM_BASE_URL: 'not a url', POLICY_ASSISTANT_LLM_MODEL: 'm' })).toThrow(/POLICY_ASSISTANT_LLM_BASE_URL must be a URL/);
  });
});
