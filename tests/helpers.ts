import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SHARED = path.resolve(ROOT, '../shared');
export const CORPUS = path.join(ROOT, 'corpus');
export const fixture = (name: string): string => path.join(ROOT, 'tests', 'fixtures', name);
/** Whitespace-insensitive form used by the eval scorer and by quote verification. */
export const squash = (s: string): string => s.replace(/\s+/g, '');
