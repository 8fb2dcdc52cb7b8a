// Types for the shared eval scorer (../shared/eval/score.mjs), which is plain JavaScript.
declare module '*/eval/score.mjs' {
  export function norm(s: string): string;
  export function coverage(text: string, span: string): number;
  export function hits(text: string, gold: { span: string }[]): boolean;
  export interface PerQuestion {
    id: string;
    type: string;
    lang: string;
    rank: number;
    allGold10: boolean;
  }
  export function scoreRows(evalRows: unknown[], results: { id: string; texts: string[] }[]): PerQuestion[];
  export function summarize(per: PerQuestion[]): { n: number; r1: number; r3: number; r5: number; r10: number; mrr10: number; allGold10: number };
}
