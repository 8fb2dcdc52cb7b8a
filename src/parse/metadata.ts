import { parseNumber } from '../text/markers.ts';
import { DATE_RE, isoDate, looseKey, type Paragraph } from './text.ts';

/**
 * Metadata a policy states in its own text — 文号, issuers, issue date, when it takes effect, how
 * long it is valid, what it repeals — each with the clean-text offsets it was read from.
 */
export interface Found {
  text: string;
  start: number;
  end: number;
}

export interface DocMeta {
  docNumber?: Found;
  issuers: Found[];
  issueDate?: Found & { date: string };
  effective?: Found & { date?: string; rule: 'date' | 'on_issue' | 'after_issue' };
  expiry?: Found & { date?: string; period: string };
  repeals: (Found & { title?: string; docNumber?: string; description?: string; effectiveDate?: string })[];
  /** Effective and expiry sentences as written. */
  timeStatements: string[];
}

export interface MetaInput {
  /** Clean text of the whole file. */
  text: string;
  titles: string[];
  /** Absolute offsets: the title runs from titleStart to bodyStart, the body to end. */
  titleStart: number;
  bodyStart: number;
  end: number;
  /** The 落款 blocks in reading order, each its paragraphs (names, then the date). */
  signatures: Paragraph[][];
}

export const DOC_NUMBER = /[\p{Script=Han}]{1,12}[〔\[［]\s*\d{4}\s*[〕\]］]\s*\d+\s*号|[\p{Script=Han}]{2,12}第\s*\d+\s*号/u;
/** How the name of an issuing body ends. */
export const ORG_END = /(人民政府|办公厅|委员会|常务委员会|局|委|厅|办公室|办|海关|中心|管委会|联合会|总工会|协会|银行|院)$/;
const TIME_WORDS = /施行|实施|有效期|执行至|执行期|起执行|起生效|废止|失效|试行期/;
/** A sentence about this policy itself: "本办法自…起施行", "以上措施自…", "自发布之日起施行". */
const OWN_POLICY = /^(本|此|该|以上)(条例|办法|规定|细则|措施|意见|通知|通告|公告|决定|方案|政策|规则|实施意见|实施细则|若干措施|实施方案|政策措施)|^自.{0,24}(起|之日)/;
const DATE_ANY = /(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日|(\d{4})-(\d{2})-(\d{2})/;
const CN_NUM = '零〇一二两三四五六七八九十百';
const num = (s: string): number => (/^\d+$/.test(s) ? Number(s) : parseNumber(s));

export function extractMeta(input: MetaInput): DocMeta {
  const { text, bodyStart, end } = input;
  const docNumber = docNumberOf(text, bodyStart);
  const sig = input.signatures[0];
  const issueDate = sig ? signatureDate(sig) : undefined;
  const issuers = sig ? signatureIssuers(sig) : [];
  if (!issuers.length) issuers.push(...titleIssuers(text, input.titles[0] ?? '', input.titleStart, bodyStart));

  const timeStatements: string[] = [];
  let effective: DocMeta['effective'];
  let expiry: DocMeta['expiry'];
  const body = sentences(text, bodyStart, end);
  for (const s of body) {
    // Only the policy's own validity, not every "实施" in the text: it names this policy.
    if (!TIME_WORDS.test(s.text) || s.text.length > 120 || !OWN_POLICY.test(s.text)) continue;
    if (!/起|之日|至|废止|失效|有效期|试行期/.test(s.text)) continue;
    timeStatements.push(s.text);
    effective ??= effectiveIn(s, issueDate?.date);
    expiry ??= expiryIn(s, effective?.date ?? issueDate?.date);
  }
  // "…同时废止" takes effect with this document.
  const repeals = body.filter((s) => /废止|失效|停止执行/.test(s.text)).flatMap((s) => repealsIn(s, effective?.date ?? issueDate?.date));
  return { docNumber, issuers, issueDate, effective, expiry, repeals, timeStatements: [...new Set(timeStatements)] };
}

/** The 文号 stands right under the title; one further down is a cited document's. */
function docNumberOf(text: string, bodyStart: number): Found | undefined {
  const m = new RegExp(`^\\s*(${DOC_NUMBER.source})`, 'u').exec(text.slice(bodyStart, bodyStart + 80));
  if (!m) return undefined;
  const start = bodyStart + m[0].length - m[1]!.length;
  return { text: m[1]!.replace(/\s+/g, ''), start, end: start + m[1]!.length };
}

function signatureDate(block: Paragraph[]): (Found & { date: string }) | undefined {
  for (const p of [...block].reverse()) {
    const m = DATE_ANY.exec(p.text);
    if (!m) continue;
    const date = m[1] ? isoDate(m) : `${m[4]}-${m[5]}-${m[6]}`;
    return { text: m[0], start: p.start + m.index, end: p.start + m.index + m[0].length, date };
  }
  return undefined;
}

function signatureIssuers(block: Paragraph[]): Found[] {
  const out: Found[] = [];
  for (const p of block) {
    const m = DATE_ANY.exec(p.text);
    const names = m ? p.text.slice(0, m.index) : p.text;
    out.push(...splitIssuers(names, p.start));
  }
  return out;
}

/** "北京市财政局北京市发展和改革委员会关于…" → the bodies before 关于 / 印发, when they are bodies. */
function titleIssuers(text: string, title: string, titleStart: number, bodyStart: number): Found[] {
  const prefix = /^(.{2,60}?)(?:关于|印发)/.exec(title)?.[1];
  if (!prefix || !ORG_END.test(prefix)) return [];
  // The title may wrap over lines in the text: map the prefix back through the non-space characters.
  const at: number[] = [];
  for (let i = titleStart; i < bodyStart && at.length < prefix.length; i++) if (!/\s/.test(text[i]!)) at.push(i);
  if (at.length < prefix.length || looseKey(at.map((i) => text[i]).join('')) !== looseKey(prefix)) return [];
  return splitIssuers(prefix, 0).map((f) => ({ text: f.text, start: at[f.start]!, end: at[f.end - 1]! + 1 }));
}

/** Where one body's name begins inside names run together. */
const ORG_START = /^(北京|天津|河北|国家|中华人民共和国|中国|中关村|首都)/;
const NATIONAL = /^(国家|中国|中华人民共和国)(?!.*(北京|天津))/;

/**
 * Splits issuing bodies written together ("北京市财政局国家税务总局北京市税务局…"): a name ends in
 * an organisation word and the next begins with a place or authority; a national body followed
 * by its local office ("国家税务总局" + "北京市税务局") is one name.
 */
export function splitIssuers(s: string, offset: number): Found[] {
  const parts: Found[] = [];
  const re = /[^、，,\s]+/g;
  for (const m of s.matchAll(re)) {
    const word = m[0];
    let from = 0;
    for (let i = 1; i < word.length; i++) {
      const head = word.slice(from, i);
      if ((ORG_END.test(head) || /[)）]$/.test(head)) && ORG_START.test(word.slice(i)) && word[i - 1] !== '/' && word[i] !== '(' && word[i] !== '（') {
        parts.push({ text: head, start: offset + m.index! + from, end: offset + m.index! + i });
        from = i;
      }
    }
    parts.push({ text: word.slice(from), start: offset + m.index! + from, end: offset + m.index! + word.length });
  }
  const merged: Found[] = [];
  for (const p of parts) {
    const prev = merged[merged.length - 1];
    if (prev && NATIONAL.test(prev.text) && /局$/.test(p.text) && prev.end === p.start && !ORG_START.test(p.text.replace(/^(北京|天津)市?/, ''))) {
      merged[merged.length - 1] = { text: prev.text + p.text, start: prev.start, end: p.end };
    } else merged.push(p);
  }
  return merged.filter((p) => p.text.length >= 2 && (ORG_END.test(p.text) || /[)）]$/.test(p.text)));
}

/** Sentences of the body with their offsets, numbering like "第十三条" or "(三)" stripped. */
function sentences(text: string, from: number, to: number): Found[] {
  const out: Found[] = [];
  const re = /[^。；\n]+[。；]?/g;
  const body = text.slice(from, to);
  for (const m of body.matchAll(re)) {
    const lead = /^[\s\u3000]*(第[一二三四五六七八九十百零]+条|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）])?[\s\u3000]*(?:[（(][\p{Script=Han}]{1,8}[)）])?[\s\u3000]*/u.exec(m[0])![0].length;
    const t = m[0].slice(lead).trimEnd();
    if (!t) continue;
    const start = from + m.index! + lead;
    out.push({ text: t, start, end: start + t.length });
  }
  return out;
}

function effectiveIn(s: Found, issueDate?: string): DocMeta['effective'] {
  const dated = new RegExp(`自\\s*${DATE_RE.source}\\s*起(?:施行|实施|执行|生效)`).exec(s.text);
  if (dated) return { ...s, date: isoDate(dated), rule: 'date' };
  const after = new RegExp(`自(?:印发|发布|公布)之日起([\\d${CN_NUM}]+)日后(?:施行|实施|执行|生效)`).exec(s.text);
  if (after) return { ...s, date: issueDate && addDays(issueDate, num(after[1]!)), rule: 'after_issue' };
  if (/自(?:本\S{0,4})?(?:印发|发布|公布|公告发布|下发)之日起(?:施行|实施|执行|生效)/.test(s.text)) return { ...s, date: issueDate, rule: 'on_issue' };
  return undefined;
}

/** A period the policy states for itself: "有效期至…", "执行期限至…", "有效期3年", "试行期两年". */
export function expiryIn(s: Found, from?: string): DocMeta['expiry'] {
  const until = new RegExp(`(?:有效期至|有效期为?[^，。；]{0,12}至|执行期限至|执行期限为?[^，。；]{0,12}至|执行至|实施至|试行至)\\s*${DATE_RE.source}`).exec(s.text);
  if (until) return { ...s, period: until[0], date: isoDate(until) };
  const years = new RegExp(`(?:有效期|试行期|执行期|实施期)(?:限)?(?:为)?\\s*([\\d${CN_NUM}]+)\\s*(年|个月)`).exec(s.text);
  if (years) {
    const n = num(years[1]!);
    return { ...s, period: years[0], date: from && addPeriod(from, years[2] === '年' ? n * 12 : n) };
  }
  return undefined;
}

/** The last day of a period of `months` starting on `from`. */
function addPeriod(from: string, months: number): string {
  const d = new Date(from + 'T00:00:00Z');
  d.setUTCMonth(d.getUTCMonth() + months);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

function addDays(from: string, days: number): string {
  const d = new Date(from + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/**
 * Documents a sentence repeals: each 《title》 with its (文号) before "同时废止 / 废止 / 失效 /
 * 停止执行", or a count of documents ("11件行政规范性文件宣布失效") when they are listed elsewhere.
 */
function repealsIn(s: Found, issueDate?: string): DocMeta['repeals'] {
  const verb = /(同时|予以|一并)?废止|宣布(?:其)?失效|停止执行|不再执行/.exec(s.text);
  if (!verb) return [];
  const before = s.text.slice(0, verb.index);
  const whenIssued = /自本\S{0,4}(印发|发布|公布)之日起|同时/.test(s.text) ? issueDate : undefined;
  const out: DocMeta['repeals'] = [];
  const named = new RegExp(`《([^《》]+)》\\s*(?:[（(]\\s*(${DOC_NUMBER.source})\\s*[)）])?`, 'gu');
  for (const m of before.matchAll(named)) {
    const start = s.start + m.index!;
    out.push({ text: m[0], start, end: start + m[0].length, title: m[1]!, docNumber: m[2]?.replace(/\s+/g, ''), effectiveDate: whenIssued });
  }
  if (out.length) return out;
  const counted = /(\d+|[一二三四五六七八九十]+)件[^，。；]{0,16}?文件/.exec(before);
  if (counted) {
    const start = s.start + counted.index;
    return [{ text: counted[0], start, end: start + counted[0].length, description: counted[0], effectiveDate: issueDate }];
  }
  return [];
}

/** Short names users write for a title, e.g. 中国（北京）自由贸易试验区条例 → 自贸区条例, 自贸试验区条例. */
export function shortNames(titles: string[]): string[] {
  const out = new Set<string>();
  // A notice's own title is long and formulaic; users name the policy it issues.
  const named = titles.length > 1 ? titles.slice(1) : titles;
  for (const t of named) {
    // The name inside 《》 is the policy itself only in "印发《X》的通知"; in "落实《X》实施细则" or
    // "贯彻《X》的实施意见" it is another document.
    const q = /^([^《》]*)《([^《》]+)》([^《》]*)$/.exec(t);
    const inner = q && /(印发|转发|发布)$/.test(q[1]!) && /^的?(通知|公告|决定)?$/.test(q[3]!) ? q[2] : undefined;
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
