/**
 * A string whose every character remembers its offset in the source file, so that cleaned text
 * (spaces removed, lines joined, displaced headings moved) can always be traced back to the original.
 */
export interface Mapped {
  text: string;
  /** offs[i] is the source offset (UTF-16 index into the decoded source) of text[i]. */
  offs: number[];
}

export const mapped = (text: string, start: number): Mapped => ({
  text,
  offs: Array.from({ length: text.length }, (_, i) => start + i),
});

export function concat(parts: Mapped[]): Mapped {
  let text = '';
  const offs: number[] = [];
  for (const p of parts) {
    text += p.text;
    for (const o of p.offs) offs.push(o);
  }
  return { text, offs };
}

export const slice = (m: Mapped, start: number, end = m.text.length): Mapped => ({
  text: m.text.slice(start, end),
  offs: m.offs.slice(start, end),
});

/** Keeps the characters for which keep(i) is true. */
export function filter(m: Mapped, keep: (i: number) => boolean): Mapped {
  let text = '';
  const offs: number[] = [];
  for (let i = 0; i < m.text.length; i++) {
    if (keep(i)) {
      text += m.text[i];
      offs.push(m.offs[i]!);
    }
  }
  return { text, offs };
}

/** Replaces every match of re (global) with its replacement, mapping new characters to the match start. */
export function replace(m: Mapped, re: RegExp, by: string | ((match: string) => string)): Mapped {
  const parts: Mapped[] = [];
  let last = 0;
  for (const match of m.text.matchAll(re)) {
    const at = match.index!;
    parts.push(slice(m, last, at));
    const rep = typeof by === 'string' ? by : by(match[0]);
    const o = m.offs[at] ?? m.offs[at - 1] ?? 0;
    parts.push({ text: rep, offs: Array.from({ length: rep.length }, () => o) });
    last = at + match[0].length;
  }
  parts.push(slice(m, last));
  return concat(parts);
}

export function trim(m: Mapped): Mapped {
  const start = m.text.length - m.text.trimStart().length;
  const end = m.text.trimEnd().length;
  return start === 0 && end === m.text.length ? m : slice(m, start, Math.max(start, end));
}
