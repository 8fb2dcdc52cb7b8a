import { readFileSync } from 'node:fs';
import { projectFile } from '../../util/paths.ts';

/**
 * Expands a Chinese question with the policy wording for lay phrases it uses ("绿卡" → 永久居留,
 * "兜…损失" → 风险补偿), from a table kept as data. Only the lexical arm uses the expansion.
 */
const TABLE = 'src/retrieve/colloquial/synonyms.tsv';

let entries: [string, string[]][] | undefined;

function load(): [string, string[]][] {
  if (!entries) {
    entries = readFileSync(projectFile(TABLE) ?? TABLE, 'utf8')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'))
      .map((l) => {
        const [phrase, terms] = l.split('\t');
        return [phrase!.trim(), (terms ?? '').trim().split(/\s+/).filter(Boolean)] as [string, string[]];
      })
      // Longest phrases first, so "带孩子" wins over "孩子".
      .sort((a, b) => b[0].length - a[0].length);
  }
  return entries;
}

/** Policy terms for the lay phrases in text, not already in it. */
export function expandColloquial(text: string): string[] {
  const out = new Set<string>();
  let rest = text;
  for (const [phrase, terms] of load()) {
    if (!rest.includes(phrase)) continue;
    rest = rest.split(phrase).join(' ');
    for (const t of terms) if (!text.includes(t)) out.add(t);
  }
  return [...out];
}
