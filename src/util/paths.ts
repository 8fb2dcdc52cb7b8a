import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Nearest directory at or above `from` that holds `relative`; undefined at the filesystem root. */
export function findUpward(relative: string, from: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, relative))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/** A file shipped with the project (data beside the code), found from this module or the working directory. */
export function projectFile(relative: string): string | undefined {
  const root = findUpward(relative) ?? findUpward(relative, process.cwd());
  return root && join(root, relative);
}

/** The project root (holding package.json), found from this module so it works from src/ and dist/. */
export const projectRoot = (): string => findUpward('package.json') ?? process.cwd();

let version: string | undefined;
/** The package's version, for /openapi.json and the MCP server info. */
export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}
