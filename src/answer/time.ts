import type { PolicyDocument } from '../parse/types.ts';
import type { Notice } from './types.ts';

/**
 * Time notices: the effective or expiry date a cited document or clause states, and a warning when
 * that period has ended by today's date ("执行至2021年3月31日").
 */
export type TimeNotice = Notice & { kind: 'validity' };

const UNTIL = /(?:执行至|实施至|有效期至|延续至|截至|延长至|至)\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日/g;

const iso = (y: string, m: string, d: string) => `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;

export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** Notices for a cited clause and its document: a measure in the clause may run until a date. */
export function timeNotices(doc: PolicyDocument, clauseText: string, label: string, now = today(), lang: 'zh' | 'en' = 'zh'): TimeNotice[] {
  const out: TimeNotice[] = [];
  const zh = lang === 'zh';
  for (const m of clauseText.matchAll(UNTIL)) {
    const until = iso(m[1]!, m[2]!, m[3]!);
    if (until < now)
      out.push({
        kind: 'validity',
        expired: true,
        until,
        text: zh
          ? `${label}中的措施执行期限至${m[1]}年${m[2]}月${m[3]}日，已过期，可能已不再执行，请向主管部门确认。`
          : `${label}: a measure in it ran until ${until}, which has passed; it may no longer be in force — check with the department in charge.`,
      });
  }
  if (doc.validUntil && doc.validUntil < now && !out.length)
    out.push({
      kind: 'validity',
      expired: true,
      until: doc.validUntil,
      text: zh ? `《${doc.title}》有效期至${doc.validUntil}，已届满，可能已失效。` : `《${doc.title}》 was valid until ${doc.validUntil}; it may no longer be in force.`,
    });
  for (const s of doc.timeStatements.slice(0, 1))
    out.push({ kind: 'validity', expired: false, text: zh ? `《${doc.title}》：${s}` : `《${doc.title}》 states: ${s}` });
  if (!doc.timeStatements.length && doc.issueDate)
    out.push({ kind: 'validity', expired: false, text: zh ? `《${doc.title}》发布于${doc.issueDate}。` : `《${doc.title}》 was issued on ${doc.issueDate}.` });
  return out;
}
