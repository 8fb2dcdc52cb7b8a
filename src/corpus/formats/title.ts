/** Separators sites put between a page's title and their own name. */
const SEP = /\s*(?:_|\||｜|\s[-–—]\s|——)\s*/;
/** A part of a <title> that names the site, its section or a file, not the document. */
const SITE = /(网站|之窗|门户|官网|首页|政府网|\.(docx?|wps|pdf|html?)$|^Microsoft Word)/i;

/**
 * A page's or file's title minus the site's name: "X_北京市人民政府网站", "X - 首都之窗",
 * "首页 | 政策 | X". Undefined when nothing but the site's name is left.
 */
export function stripSiteName(raw: string): string | undefined {
  const parts = raw.replace(/\s+/g, ' ').trim().split(SEP).filter(Boolean);
  if (parts.length <= 1) {
    const only = parts[0]?.replace(/^Microsoft Word\s*-\s*/i, '').replace(/\.(docx?|wps|pdf)$/i, '').trim();
    return only || undefined;
  }
  const kept = parts.filter((p) => !SITE.test(p));
  return kept.sort((a, b) => b.length - a.length)[0];
}
