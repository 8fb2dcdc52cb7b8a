import type { PolicyDocument } from '../parse/types.ts';
import { documentMatchScore } from './reference.ts';

/** Which documents a search or a listing keeps. */
export interface DocumentFilter {
  /** Words from a title, a short name or a 文号. */
  query?: string;
  issuer?: string;
  /** ISO dates bounding the issue date. */
  dateFrom?: string;
  dateTo?: string;
}

export function matchesFilter(d: PolicyDocument, f: DocumentFilter): boolean {
  if (f.query && !(d.docNumber?.includes(f.query) || documentMatchScore(f.query, d) >= 0.6)) return false;
  if (f.issuer && !(d.issuer ?? '').includes(f.issuer)) return false;
  if ((f.dateFrom || f.dateTo) && !d.issueDate) return false;
  if (f.dateFrom && d.issueDate! < f.dateFrom) return false;
  if (f.dateTo && d.issueDate! > f.dateTo) return false;
  return true;
}
