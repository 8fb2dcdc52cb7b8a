/**
 * Output bounding for MCP results. Clients cap what a tool may return (Claude Code warns at 10k
 * and refuses past 25k tokens), and a client may forward both the text content and the
 * structuredContent to the model, so each of the two is held to half of a budget well under that.
 */

/** Hard cap on the characters of one representation (text content or structuredContent JSON). */
export const MAX_RESULT_CHARS = 40_000;
/** Estimated tokens per representation; twice this (both forwarded) stays under 25k. */
export const MAX_RESULT_TOKENS = 10_000;
/** A whole document read as a resource is attached by a person, not pulled by a tool: a larger cap. */
export const MAX_RESOURCE_CHARS = 40_000;

/**
 * Conservative token estimate: every non-ASCII character (CJK above all) counts as a token, ASCII
 * as a quarter of one (English runs ~4 characters a token).
 */
export function estimateTokens(s: string): number {
  let ascii = 0;
  let other = 0;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) < 0x80) ascii++;
    else other++;
  }
  return other + Math.ceil(ascii / 4);
}

export function withinBudget(value: unknown): boolean {
  const json = JSON.stringify(value);
  return json.length <= MAX_RESULT_CHARS && estimateTokens(json) <= MAX_RESULT_TOKENS;
}

export const truncationMarker = (omitted: number, what: string, hint: string): string => `[truncated: ${omitted} more ${what}; ${hint}]`;

/**
 * The longest prefix of items whose built result fits the budget (binary search: results are
 * monotone in the prefix length). `build` gets the kept items and how many were left off.
 */
export function fitList<T, R>(items: T[], build: (kept: T[], omitted: number) => R): R {
  if (withinBudget(build(items, 0))) return build(items, 0);
  let lo = 0;
  let hi = items.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (withinBudget(build(items.slice(0, mid), items.length - mid))) lo = mid;
    else hi = mid - 1;
  }
  return shrinkStrings(build(items.slice(0, lo), items.length - lo));
}

const MARKER = /\n\[truncated: (\d+) more characters; [^\]]*\]$/;

/** Cut a text to at most `maxChars`, saying how much was left off and where to read the rest. */
export function truncateText(text: string, maxChars: number, hint: string): string {
  // A text cut before keeps one marker that counts everything left off.
  const earlier = MARKER.exec(text);
  const body = earlier ? text.slice(0, earlier.index) : text;
  const before = earlier ? Number(earlier[1]) : 0;
  if (body.length <= maxChars) return text;
  return `${body.slice(0, maxChars)}\n${truncationMarker(body.length - maxChars + before, 'characters', hint)}`;
}

/**
 * Last resort for results that are one big object rather than a list (a very long clause): halve
 * the longest string until the whole fits, marking each cut. Returns a copy.
 */
export function shrinkStrings<R>(value: R, hint = 'ask for a narrower result'): R {
  if (withinBudget(value)) return value;
  const copy = structuredClone(value);
  for (let guard = 0; guard < 64 && !withinBudget(copy); guard++) {
    const longest = longestString(copy);
    if (!longest || longest.text.length < 64) break;
    longest.set(truncateText(longest.text, Math.floor(longest.text.length / 2), hint));
  }
  return copy;
}

interface StringSlot {
  text: string;
  set(v: string): void;
}

function longestString(v: unknown): StringSlot | undefined {
  let best: StringSlot | undefined;
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const rec = node as Record<string, unknown>;
    for (const key of Object.keys(rec)) {
      const child = rec[key];
      if (typeof child === 'string') {
        if (!best || child.length > best.text.length) best = { text: child, set: (s) => (rec[key] = s) };
      } else visit(child);
    }
  };
  visit(v);
  return best;
}
