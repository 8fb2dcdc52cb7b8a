import { statusFromRecord, today } from '../parse/status.ts';
import type { PolicyDocument } from '../parse/types.ts';
import type { Notice } from './types.ts';

/**
 * Time notices: the effective or expiry date a cited document or clause states, and a warning when
 * that period has ended by today's date ("执行至2021年3月31日").
 */
export type TimeNotice = Notice & { kind: 'validity' };

const UNTIL = /(?:执行至|实施至|有效期至|延续至|截至|延长至|至)\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日/g;

const iso = (y: string, m: string, d: string) => `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;


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
  // The document's own status from its record: repealed by another document, its period ended, or not yet in force.
  const status = statusFromRecord(doc, doc.repealedBy ?? [], now);
  if (status.status === 'repealed') {
    const r = status.repealedBy!;
    out.unshift({
      kind: 'validity',
      expired: true,
      until: r.effectiveDate,
      text: zh
        ? `《${doc.title}》已被《${r.title}》${r.docNumber ? `（${r.docNumber}）` : ''}废止${r.effectiveDate ? `（自${r.effectiveDate}起）` : ''}，不再执行。`
        : `《${doc.title}》 was repealed by 《${r.title}》${r.docNumber ? ` (${r.docNumber})` : ''}${r.effectiveDate ? ` from ${r.effectiveDate}` : ''}; it is no longer in force.`,
    });
  } else if (status.status === 'expired') {
    out.unshift({
      kind: 'validity',
      expired: true,
      until: doc.expiryDate,
      text: zh
        ? `《${doc.title}》${doc.validity ?? '有效期'}${doc.validity && /\d{4}年/.test(doc.validity) ? '' : `（至${doc.expiryDate}）`}，已过期，可能已失效。`
        : `《${doc.title}》 was valid until ${doc.expiryDate}, which has passed; it may no longer be in force.`,
    });
  } else if (status.status === 'not_yet_effective' && doc.effectiveDate) {
    out.unshift({ kind: 'validity', expired: false, text: zh ? `《${doc.title}》自${doc.effectiveDate}起施行，尚未生效。` : `《${doc.title}》 takes effect on ${doc.effectiveDate}; it is not yet in force.` });
  }
  for (const s of doc.timeStatements.slice(0, 1))
    out.push({ kind: 'validity', expired: false, text: zh ? `《${doc.title}》：${s}` : `《${doc.title}》 states: ${s}` });
  if (!doc.timeStatements.length && doc.issueDate)
    out.push({ kind: 'validity', expired: false, text: zh ? `《${doc.title}》发布于${doc.issueDate}。` : `《${doc.title}》 was issued on ${doc.issueDate}.` });
  return out;
}
