/**
 * What a question asks for. The extractive answerer uses it to pick the sentence that states the
 * fact asked for, and to abstain when the retrieved clauses do not state that kind of fact.
 */
export type AnswerKind = 'amount' | 'percent' | 'duration' | 'count' | 'date' | 'who' | 'support' | 'open';

interface KindRule {
  kind: AnswerKind;
  /** Wording of a question that asks for this kind of fact. */
  asks: RegExp;
  /** Text that states such a fact. */
  states: RegExp;
}

const CN_NUM = '[0-9一二三四五六七八九十百千万两半]';
const RULES: KindRule[] = [
  {
    kind: 'percent',
    asks: /(比例|股比|持股|占比|股份|占多少|百分之|多少%|几成|percent|what share|how much of|ratio|proportion|capped|ownership cap)/i,
    states: new RegExp(`(\\d+(\\.\\d+)?\\s*[%％]|百分之${CN_NUM}+|${CN_NUM}+成|股比|比例)`),
  },
  {
    kind: 'amount',
    asks: /(多少钱|补多少|(补贴|奖励|资助|支持|补助)多少|多少(补贴|奖励|资助|补助|资金)|金额|限额|多少万|多少元|最多.{0,6}(补|奖|给|支持|资助)|最高.{0,6}(补|奖|给|支持|资助)|how much|amount|subsidy|reward|fee)/i,
    states: new RegExp(`(${CN_NUM}+(\\.\\d+)?\\s*(万|亿)?元|[0-9.]+\\s*(万|亿)(?!人))`),
  },
  {
    kind: 'duration',
    asks: /(多久|多长时间|几年|几个月|多少天|几天|期限|时限|有效期|多少个工作日|how long|how many (days|years|months)|deadline|period|within how)/i,
    states: new RegExp(`(${CN_NUM}+\\s*(个)?(年|个月|月|日|天|个工作日|工作日|小时|周)(内|以内|后|之内|以上)?|期限|时限)`),
  },
  {
    kind: 'count',
    asks: /(多少种|多少家|多少个|多少项|几种|几家|几个|几项|多少名|how many)/i,
    states: new RegExp(`${CN_NUM}+\\s*(种|家|个|项|名|类|批|条|款|件|户|所)`),
  },
  {
    kind: 'date',
    asks: /(什么时候|何时|哪天|几月几日|截止|最晚|起始|开始时间|when|what date)/i,
    states: new RegExp(`(\\d{4}\\s*年|${CN_NUM}+\\s*月\\s*${CN_NUM}+\\s*日|月底|年底|之日)`),
  },
  {
    kind: 'support',
    asks: /((有|有没有|能有|能享受|可以享受|能申请|可以申请)(什么|哪些|些)?.{0,4}(补贴|补助|奖励|资助|扶持|优惠|支持政策)|什么(补贴|补助|奖励|资助|扶持|优惠)|what (subsid|support|incentive|reward|grant))/i,
    states: /(补贴|补助|奖励|资助|资金支持|支持资金|贴息|减免|减半|免征|优惠|扶持|给予.{0,10}支持)/,
  },
  {
    kind: 'who',
    asks: /(哪个部门|哪个机构|哪个单位|哪些部门|谁|由谁|哪家|牵头|负责部门|主管部门|归.{0,6}管|找哪|which (department|agency|body|authority)|who)/i,
    states: /(局|委|办|政府|领导|召集人|牵头|中心|部门|机构|海关|法院|银行|管委会|委员会|协会|办公室)/,
  },
];

export interface AnalysedQuestion {
  text: string;
  kinds: AnswerKind[];
  /** Parts of a question that asks several things ("…？另外…？"). */
  parts: string[];
}

export function analyse(text: string): AnalysedQuestion {
  let kinds = RULES.filter((r) => r.asks.test(text)).map((r) => r.kind);
  // "How many days" asks for a period, not a count.
  if (kinds.some((k) => k === 'duration' || k === 'amount' || k === 'percent')) kinds = kinds.filter((k) => k !== 'count');
  return { text, kinds: kinds.length ? kinds : ['open'], parts: splitParts(text) };
}

/** Whether text states a fact of the kind asked for. */
export function statesKind(text: string, kind: AnswerKind): boolean {
  if (kind === 'open') return true;
  // An article's own number ("第三十一条") states no count.
  return RULES.find((r) => r.kind === kind)!.states.test(text.replace(/^第[一二三四五六七八九十百零]+条/, ''));
}

/** Splits "A？另外B？" or "A. And B?" into its parts; a single question stays whole. */
export function splitParts(text: string): string[] {
  const parts = text
    .split(/(?<=[？?])\s*|(?:[，,。；;]\s*)(?=另外|此外|还有|同时|以及|另|And\b|Also\b)/)
    .map((p) => p.replace(/^(另外|此外|还有|同时|以及|And|Also)[，,\s]*/i, '').trim())
    .filter((p) => p.length >= 4);
  return parts.length > 1 ? parts : [text];
}

/** A follow-up that leans on the previous turn: short, or opening with 那/那么/那如果/它/这个. */
export function isFollowUp(text: string): boolean {
  const t = text.trim();
  return /^(那|那么|那如果|如果是|如果|它|它们|这个|这些|该|其|还有|另外|and |what about|how about|then )/i.test(t) || t.replace(/[\s\p{P}]/gu, '').length <= 8;
}

/** A question about a document itself: who issued it, when, its 文号, when it takes effect or ends. */
const ABOUT_DOCUMENT =
  /(文号|发文|哪个(部门|单位|机构).{0,3}(发|出|印发|制定)|哪些(部门|单位).{0,6}(发|出台)|谁(发|出台|印发|制定)|哪天(发|出|印发)|什么时候(发|印发|出台|发布|施行|生效|实施|开始执行)|(发布|印发|出台)(的)?(时间|日期)|施行|生效|有效期|还有效|失效|废止|一起发|联合(发|印发)|who issued|issued by|which (department|body|agency) issued|when was .* (issued|published)|effective|expire|still (valid|in force)|document number)/i;

export const asksAboutDocument = (text: string): boolean => ABOUT_DOCUMENT.test(text);
