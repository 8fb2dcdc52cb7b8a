/**
 * Furniture of Chinese government web pages, by its text: what the HTML reader removes from the DOM
 * and the PDF reader from a page printed without a print stylesheet.
 */

/** Text that begins a furniture block: where-you-are lines, link lists, the imprint, share and print buttons. */
export const CHROME_TEXT =
  /^\s*(当前位置|您的位置|您现在的位置|所在位置|相关链接|相关文章|相关新闻|相关阅读|友情链接|版权所有|主办[:：]|承办[:：]|网站标识码|分享到|【?打印本页|【?关闭窗口)/;

/** A block naming the site's registration: the ICP footer. */
export const ICP = /ICP备|公网安备/;

/** A whole line that is a button or a control. */
export const CHROME_LINE = /^(打印本页|关闭窗口|【?打印】?|【?关闭】?|分享到[:：]?.*|字号[:：]?\s*[大中小\s]*|返回顶部|收藏|纠错)(\s+(打印本页|关闭窗口|【?打印】?|【?关闭】?))*$/;

/** The line under an article's heading with its publication date, source and font-size switch. */
export const ARTICLE_INFO = /^(发布(时间|日期)|来源|信息来源|字号|浏览次数|【字体)[:：]/;
