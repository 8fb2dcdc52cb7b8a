/** Sentences of a clause with their offsets, split at 。；！？ and paragraph breaks. */
export interface Sentence {
  text: string;
  start: number;
  end: number;
}

export function sentencesOf(text: string): Sentence[] {
  const out: Sentence[] = [];
  let start = 0;
  const push = (end: number) => {
    const raw = text.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    const t = raw.trim();
    if (t) out.push({ text: t, start: start + lead, end: start + lead + t.length });
    start = end;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\n') push(i);
    else if ('。；！？;!?'.includes(ch) && !'”’」）)'.includes(text[i + 1] ?? '')) push(i + 1);
    else if ('”’」'.includes(ch) && '。；！？'.includes(text[i - 1] ?? '')) push(i + 1);
  }
  push(text.length);
  return out;
}

/** Removes a leading item number or article number so a sentence reads on its own. */
export const stripMarker = (s: string): string =>
  s.replace(/^(第[一二三四五六七八九十百零]+条|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d{1,2}[.．、])[\s\u3000]*/, '');
