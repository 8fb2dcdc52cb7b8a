import { DATE_RE, isoDate, type Paragraph } from './text.ts';
import type { PolicyDocument } from './types.ts';

/**
 * Metadata a policy states in its own text: 文号, issuer, issue date, and when it takes effect or
 * expires — kept as written, plus parsed dates where the wording is unambiguous.
 */
export type DocMeta = Pick<PolicyDocument, 'docNumber' | 'issuer' | 'issueDate' | 'timeStatements' | 'validFrom' | 'validUntil'>;

const DOC_NUMBER = /[\p{Script=Han}]{1,12}[〔\[［]\s*\d{4}\s*[〕\]］]\s*\d+\s*号|[\p{Script=Han}]{2,12}第\s*\d+\s*号/u;
/** How the name of an issuing body ends. */
export const ORG_END = /(人民政府|办公厅|委员会|常务委员会|局|委|厅|办公室|办|海关|中心|管委会|联合会|总工会|协会|银行|院)$/;
const TIME_WORDS = /施行|实施|有效期|执行至|执行期|废止|失效/;
/** A sentence about this policy itself: "本办法自…起施行", "本措施有效期…", "自发布之日起施行". */
const OWN_POLICY = /^(本|此|该)(条例|办法|规定|细则|措施|意见|通知|通告|公告|决定|方案|政策|规则|实施意见|实施细则|若干措施|实施方案)|^自.{0,24}(起|之日)/;

export function extractMeta(docText: string, titles: string[], signature: Paragraph[], bodyStart: number): DocMeta {
  // The 文号 stands right under the title; one further down is a cited document's.
  const docNumber = new RegExp(`^\\s*(?:${DOC_NUMBER.source})`, 'u').exec(docText.slice(bodyStart, bodyStart + 80))?.[0].replace(/\s+/g, '');
  const sig = signature.map((p) => p.text);
  const dated = sig.map((t) => DATE_RE.exec(t) ?? /(\d{4})-(\d{2})-(\d{2})/.exec(t)).find(Boolean);
  const issueDate = dated ? isoDate(dated) : undefined;
  const issuer = issuerOf(titles[0] ?? '', sig);

  const timeStatements: string[] = [];
  for (const raw of docText.slice(bodyStart).split(/(?<=[。；])|\n/)) {
    const s = raw.replace(/^(第[一二三四五六七八九十百零]+条|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）])?[\s\u3000]*/, '').trim();
    // Only the policy's own validity, not every "实施" in the text: it names this policy or a period.
    if (TIME_WORDS.test(s) && /起|之日|至|废止|失效/.test(s) && s.length <= 120 && (OWN_POLICY.test(s) || (/有效期至|执行至/.test(s) && DATE_RE.test(s) && /^(本|此|该)/.test(s))))
      timeStatements.push(s);
  }
  const { validFrom, validUntil } = validity(timeStatements, issueDate);
  return { docNumber, issuer, issueDate, timeStatements: [...new Set(timeStatements)], validFrom, validUntil };
}

function issuerOf(title: string, signature: string[]): string | undefined {
  const prefix = /^(.{2,40}?)(?:关于|印发)/.exec(title)?.[1];
  if (prefix && ORG_END.test(prefix)) return prefix;
  const name = signature.map((s) => s.replace(DATE_RE, '').replace(/\d{4}-\d{2}-\d{2}/, '').trim()).filter((s) => s && ORG_END.test(s));
  return name.length ? name.join('、') : undefined;
}

function validity(statements: string[], issueDate?: string): { validFrom?: string; validUntil?: string } {
  let validFrom: string | undefined;
  let validUntil: string | undefined;
  for (const s of statements) {
    const date = DATE_RE.exec(s);
    if (date && /自.*起(施行|实施|执行)/.test(s) && !validFrom) validFrom = isoDate(date);
    const until = /(?:有效期至|执行至|截至|截止(?:到|至)?)\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日/.exec(s);
    if (until) validUntil = isoDate(until);
    const years = /有效期(?:为)?\s*(\d+|[一二三四五])\s*年/.exec(s);
    const from = validFrom ?? (/自(印发|发布)之日/.test(s) ? issueDate : undefined);
    if (years && from && !validUntil) {
      const n = /\d/.test(years[1]!) ? Number(years[1]) : '一二三四五'.indexOf(years[1]!) + 1;
      const d = new Date(from + 'T00:00:00Z');
      d.setUTCFullYear(d.getUTCFullYear() + n);
      d.setUTCDate(d.getUTCDate() - 1);
      validUntil = d.toISOString().slice(0, 10);
    }
  }
  return { validFrom, validUntil };
}

/** Short names users write for a title, e.g. 中国（北京）自由贸易试验区条例 → 自贸区条例, 自贸试验区条例. */
export function shortNames(titles: string[]): string[] {
  const out = new Set<string>();
  // A notice's own title is long and formulaic; users name the policy it issues.
  const named = titles.length > 1 ? titles.slice(1) : titles;
  for (const t of named) {
    const inner = t.match(/《([^《》]+)》/)?.[1];
    for (const base of inner ? [t, inner] : [t]) {
      let s = base.replace(/^中国[（(]北京[)）]/, '北京').replace(/[（(](试行|暂行)[)）]$/, '');
      out.add(s);
      s = s.replace(/^北京市?/, '');
      out.add(s);
      if (s.includes('自由贸易试验区')) {
        out.add(s.replace('自由贸易试验区', '自贸试验区'));
        out.add(s.replace('自由贸易试验区', '自贸区'));
      }
      const noVerb = s.replace(/^(关于)?(促进|支持|加快|推动|进一步)+/, '').replace(/发展(?=(条例|办法|规定)$)/, '');
      if (noVerb.length >= 4) out.add(noVerb);
    }
  }
  return [...out].filter((s) => s.length >= 4 && !titles.includes(s));
}
