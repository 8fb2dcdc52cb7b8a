import { ORG_END } from './metadata.ts';
import { matchMarker, type Marker, type MarkerKind } from '../text/markers.ts';
import { findLoose, paragraphsOf, type Paragraph } from './text.ts';

/**
 * Parses one document into its citable units. Regulations (第X条) give one unit per article under
 * 编/章/节 headings, with 款 and 项 inside the article. Plans, measures and interpretations give one
 * unit per smallest numbered item (一、 （一） 1. （1） ① 1、), under the headings of their parents; a
 * parent's own text before its first child is a unit too. Around the body, the title lines with the
 * 文号 under them form a header unit (标题), and each signature block (issuing bodies and date) a
 * 落款 unit, so who issued a document and when can be quoted like any clause.
 */
export interface Unit {
  /** Number and own heading, e.g. "第十五条", "一、降低企业税费负担", "（一）", "标题", "落款". */
  number: string;
  /** Path key for ids, e.g. "a15", "2.1.3", "pre", "hdr", "sig", "sig2". */
  key: string;
  headingPath: string[];
  /** The numbers alone of the headings above, e.g. ["第三章"] or ["二、", "（一）"], for compact labels. */
  pathNumbers: string[];
  paras: Paragraph[];
  /** Paragraph label used when a long unit is split: 款 for articles, 段 elsewhere. */
  paraWord: '款' | '段';
  /** The title and 文号 (header), the policy's own text (body), or a signature block. */
  role: 'header' | 'body' | 'signature';
}

export interface DocStructure {
  /** The shape of the body; header and signature units do not count. */
  kind: 'regulation' | 'structured' | 'plain';
  /**
   * Every unit in reading order: the header first, then body units with each signature block where it
   * stands (a notice's 落款 comes before the body of the policy it issues). A document without body
   * units has no units at all: a title alone is not content.
   */
  units: Unit[];
  /** The issued policy's title inside a notice, with its position. */
  attachment?: { title: string; start: number; end: number };
  /**
   * Signature and date lines as metadata reads them: only the plain layouts (a date line, or names
   * and date on one line of at most 40 characters, with short name lines above), in the order found.
   */
  signature: Paragraph[];
}

const HEADING_KINDS: MarkerKind[] = ['bian', 'zhang', 'jie', 'bufen'];
const DOC_NUMBER_AT_START = /^(?:[\p{Script=Han}]{1,12}[〔\[［]\s*\d{4}\s*[〕\]］]\s*\d+\s*号|[\p{Script=Han}]{2,12}第\s*\d+\s*号)/u;

/**
 * text is the clean text of the file; the document's title runs from titleStart to start, its body
 * from start to end.
 */
export function parseStructure(text: string, titles: string[], start: number, end: number, titleStart = start): DocStructure {
  let paras = paragraphsOf(text, start, end);
  paras = paras.flatMap(splitLeadingDocNumber);
  const attachment = findAttachment(text, titles, paras);
  if (attachment) paras = paras.flatMap((p) => cutOut(p, attachment.start, attachment.end, text));
  const signature = signatureBlocks(paras, false).flatMap(metadataOrder);
  // Units take signatures in more layouts than metadata does: long lists of issuing bodies, and a
  // date run together with the next text in a PDF that lost its line breaks.
  const quoted = [...(titles[0]?.match(/《[^《》]+》/g) ?? []).map((q) => q.slice(1, -1)), ...titles.slice(1)];
  paras = paras.flatMap((p) => splitGluedSignature(p, quoted));
  const blocks = signatureBlocks(paras, true);
  const signed = new Set(blocks.flat());
  paras = paras.filter((p) => !signed.has(p));
  // The 文号 right under the title belongs to the header.
  const lead = paras[0];
  const docNumber = lead && lead.start === firstTextAt(text, start) && DOC_NUMBER_AT_START.exec(lead.text)?.[0] === lead.text ? lead : undefined;
  if (docNumber) paras = paras.slice(1);

  const articles = paras.filter((p) => matchMarker(p.text)?.kind === 'tiao').length;
  const body = articles >= 3 ? regulationUnits(paras) : structuredUnits(paras);
  const kind = articles >= 3 ? 'regulation' : body.some((u) => u.key !== 'pre' && !u.key.startsWith('p')) ? 'structured' : 'plain';
  if (body.length === 0) return { kind, units: [], attachment, signature };

  const units: Unit[] = [];
  const headerParas = [...paragraphsOf(text, titleStart, start).filter((p) => p.text.trim()), ...(docNumber ? [docNumber] : [])];
  if (headerParas.length) units.push(ownUnit('标题', 'hdr', headerParas, 'header'));
  const sigUnits = blocks.map((b, i) => ownUnit('落款', i === 0 ? 'sig' : `sig${i + 1}`, b, 'signature'));
  for (const u of body) {
    while (sigUnits.length && sigUnits[0]!.paras[0]!.start < u.paras[0]!.start) units.push(sigUnits.shift()!);
    units.push(u);
  }
  units.push(...sigUnits);
  return { kind, units, attachment, signature };
}

const ownUnit = (number: string, key: string, paras: Paragraph[], role: Unit['role']): Unit => ({ number, key, headingPath: [], pathNumbers: [], paras, paraWord: '段', role });

function firstTextAt(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i]!)) i++;
  return i;
}

/** "京政办发〔2021〕4号各区人民政府…" → the 文号 and the rest as two paragraphs. */
function splitLeadingDocNumber(p: Paragraph): Paragraph[] {
  const m = DOC_NUMBER_AT_START.exec(p.text);
  if (!m || m[0].length === p.text.length) return [p];
  const cut = p.start + m[0].length;
  return [
    { start: p.start, end: cut, text: m[0] },
    { start: cut, end: p.end, text: p.text.slice(m[0].length) },
  ];
}

/** The policy a notice issues appears again, unquoted, as the heading of the attachment. */
function findAttachment(text: string, titles: string[], paras: Paragraph[]): DocStructure['attachment'] {
  const quoted = titles[0]?.match(/《([^《》]+)》/)?.[1];
  if (!quoted || !/印发|转发|发布/.test(titles[0]!)) return undefined;
  const from = paras[0]?.start ?? 0;
  const to = paras[paras.length - 1]?.end ?? from;
  // The notice names what it issues ("现将《X》印发", "制定了《X》，现印发给你们"); X is not always the
  // name in the notice's title: "印发落实《P》实施细则的通知" issues 《…落实〈P〉实施细则》.
  const named = [...text.slice(from, to).matchAll(/《([^《》]+)》(?=[，,]?\s*现?印发)/g)].map((m) => m[1]!.replace(/〈/g, '《').replace(/〉/g, '》'));
  for (const title of [...new Set([...named, quoted])]) {
    let at = from;
    for (;;) {
      const hit = findLoose(text.slice(0, to), title, at);
      if (!hit) break;
      // Quoted in the text, also as a title inside a title (《…落实〈X〉实施细则》), it is not the heading.
      if (!'《〈'.includes(text[hit[0] - 1] ?? '') && !'》〉'.includes(text[hit[1]] ?? '')) return { title, start: hit[0], end: hit[1] };
      at = hit[1];
    }
  }
  return undefined;
}

function cutOut(p: Paragraph, a: number, b: number, text: string): Paragraph[] {
  if (b <= p.start || a >= p.end) return [p];
  const out: Paragraph[] = [];
  if (a > p.start) out.push({ start: p.start, end: a, text: text.slice(p.start, a) });
  if (b < p.end) out.push({ start: b, end: p.end, text: text.slice(b, p.end) });
  return out;
}

const DATE = String.raw`(?:\d{4}年\d{1,2}月\d{1,2}日|\d{4}-\d{2}-\d{2})`;
const NAME_CHARS = String.raw`[\p{Script=Han}、/（）()]`;
const DATE_LINE = new RegExp(`^${DATE}$`);
const DATED_NAME = new RegExp(`^${NAME_CHARS}{2,40}${DATE}$`, 'u');
/** Several issuing bodies run together before the date: "北京市财政局国家税务总局北京市税务局…2021年2月1日". */
const LONG_DATED_NAME = new RegExp(`^(${NAME_CHARS}{41,200})${DATE}$`, 'u');
const LONG_NAME = new RegExp(`^${NAME_CHARS}{41,100}$`, 'u');
/** Names and date run on into the next text: "北京市水务局2021年3月24日北京市水务局落实《…》实施细则按照…". */
const GLUED = new RegExp(`^(${NAME_CHARS}{2,200}?${DATE})(.+)$`, 'su');
const endsLikeName = (s: string): boolean => ORG_END.test(s) || /[)）]$/.test(s);

/**
 * A date line run together with what follows, split off when what follows plainly starts something
 * else: an attachment ("附件：…") or the title of the policy the notice issues.
 */
function splitGluedSignature(p: Paragraph, titles: string[]): Paragraph[] {
  const m = GLUED.exec(p.text);
  if (!m || !endsLikeName(m[1]!.replace(new RegExp(`${DATE}$`), ''))) return [p];
  const rest = m[2]!;
  if (!/^附件/.test(rest) && !titles.some((t) => findLoose(rest.slice(0, t.length + 30), t))) return [p];
  const cut = p.start + m[1]!.length;
  return [
    { start: p.start, end: cut, text: m[1]! },
    { start: cut, end: p.end, text: rest },
  ];
}

/**
 * Signature blocks, each the date line and the issuing bodies' names (one or several lines) right
 * above it, in reading order. Strict blocks (wide = false) are the layouts metadata has always read.
 */
function signatureBlocks(paras: Paragraph[], wide: boolean): Paragraph[][] {
  const blocks: Paragraph[][] = [];
  const taken = new Set<Paragraph>();
  const isName = (t: string): boolean =>
    !(/[。；，：:]/.test(t) || matchMarker(t)) && (t.length <= 40 || (wide && LONG_NAME.test(t) && endsLikeName(t)));
  paras.forEach((p, i) => {
    const long = wide && LONG_DATED_NAME.exec(p.text);
    if (!DATE_LINE.test(p.text) && !DATED_NAME.test(p.text) && !(long && endsLikeName(long[1]!))) return;
    const block = [p];
    taken.add(p);
    for (let j = i - 1; j >= Math.max(0, i - 5); j--) {
      const q = paras[j]!;
      if (taken.has(q) || !isName(q.text)) break;
      block.unshift(q);
      taken.add(q);
    }
    blocks.push(block);
  });
  return blocks;
}

/** The order metadata has always read a block in: the date line, then the names upwards. */
const metadataOrder = (block: Paragraph[]): Paragraph[] => [block[block.length - 1]!, ...block.slice(0, -1).reverse()];

function regulationUnits(paras: Paragraph[]): Unit[] {
  const units: Unit[] = [];
  const headings: { kind: MarkerKind; text: string }[] = [];
  let current: Unit | null = null;
  let lastArticle = 0;
  let preamble: Paragraph[] = [];
  for (const p of paras) {
    const m = matchMarker(p.text);
    if (m && HEADING_KINDS.includes(m.kind) && p.text.length <= 40 && !/[。；]/.test(p.text)) {
      const level = HEADING_KINDS.indexOf(m.kind);
      while (headings.length && HEADING_KINDS.indexOf(headings[headings.length - 1]!.kind) >= level) headings.pop();
      headings.push({ kind: m.kind, text: p.text.replace(/[\s\u3000]+/g, ' ') });
      current = null;
      continue;
    }
    // Articles are numbered in order (an inserted 第X条之一 after 第X条); a "第X条" out of order is a
    // cross-reference that starts a line.
    const order = m?.kind === 'tiao' ? m.n * 100 + (m.sub ?? 0) : 0;
    if (m?.kind === 'tiao' && order > lastArticle) {
      lastArticle = order;
      current = {
        number: m.text,
        key: m.sub ? `a${m.n}.${m.sub}` : `a${m.n}`,
        headingPath: headings.map((h) => h.text),
        pathNumbers: headings.map((h) => matchMarker(h.text)!.text),
        paras: [p],
        paraWord: '款',
        role: 'body',
      };
      units.push(current);
      continue;
    }
    if (current) current.paras.push(p);
    else preamble.push(p);
  }
  if (preamble.length) units.unshift(preambleUnit(preamble));
  return units;
}

interface Node {
  marker: Marker;
  heading: string;
  key: string;
  paras: Paragraph[];
  children: Node[];
  parent?: Node;
}

function structuredUnits(paras: Paragraph[]): Unit[] {
  const root: Node = { marker: { kind: 'bufen', text: '', n: 0, length: 0 }, heading: '', key: '', paras: [], children: [] };
  // Marker kinds nest in the order a document first uses them; a kind seen again closes deeper levels.
  const stack: Node[] = [root];
  // Items are often numbered on across sections ("二、" then "6."), so a list continues from the last
  // number of its kind anywhere; a marker that neither starts nor continues a list is plain text.
  const lastN = new Map<MarkerKind, number>();
  for (const p of paras) {
    const m = matchMarker(p.text);
    const inStack = m ? stack.findIndex((n) => n !== root && n.marker.kind === m.kind) : -1;
    const continues = m && (m.n === 1 || m.n === (lastN.get(m.kind) ?? 0) + 1);
    if (!m || !continues) {
      stack[stack.length - 1]!.paras.push(p);
      continue;
    }
    lastN.set(m.kind, m.n);
    if (inStack > 0) stack.length = inStack;
    const top = stack[stack.length - 1]!;
    const node: Node = { marker: m, heading: headingOf(p.text, m), key: '', paras: [p], children: [], parent: top };
    node.key = (top.key ? top.key + '.' : '') + m.n;
    top.children.push(node);
    stack.push(node);
  }
  const units: Unit[] = [];
  if (root.paras.length) units.push(preambleUnit(root.paras));
  const visit = (n: Node, path: Node[]) => {
    const own = n.paras;
    const ownText = own.map((p) => p.text).join('');
    const headingOnly = own.length === 1 && ownText.length - n.marker.length <= 40 && !/[。；]/.test(ownText);
    const listIntro = /[:：]$/.test(ownText.trim()) && n.children.every((c) => c.children.length === 0);
    const merged = listIntro && n.children.length > 0 && size(n) <= 1500;
    const unit = (paras: Paragraph[]): Unit => ({
      number: label(n),
      key: n.key,
      headingPath: path.map(label),
      pathNumbers: path.map((a) => a.marker.text),
      paras,
      paraWord: '段',
      role: 'body',
    });
    if (n.children.length === 0 || merged) {
      units.push(unit(merged ? collect(n) : own));
      return;
    }
    if (!headingOnly) units.push(unit(own));
    for (const c of n.children) visit(c, [...path, n]);
  };
  for (const c of root.children) visit(c, []);
  return units;
}

const preambleUnit = (paras: Paragraph[]): Unit => ({ number: '序言', key: 'pre', headingPath: [], pathNumbers: [], paras, paraWord: '段', role: 'body' });
const size = (n: Node): number => n.paras.reduce((s, p) => s + p.text.length, 0) + n.children.reduce((s, c) => s + size(c), 0);
const collect = (n: Node): Paragraph[] => [...n.paras, ...n.children.flatMap(collect)].sort((a, b) => a.start - b.start);
const label = (n: Node): string => n.marker.text + n.heading;

/** A numbered item's heading: the whole line when it is a short heading, else its first short sentence. */
function headingOf(text: string, m: Marker): string {
  const rest = text.slice(m.length);
  if (rest.length <= 40 && !/[。；]/.test(rest)) return rest.replace(/[\s\u3000]+/g, '');
  const first = /^([^。；！？]{2,30})[。]/.exec(rest);
  return first ? first[1]!.replace(/[\s\u3000]+/g, '') : '';
}
