import { AlignmentType, Document, HeadingLevel, Packer, Paragraph, Table, TableCell, TableRow, TextRun } from 'docx';
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import { EncryptedFileError, FileTooLargeError, NoTextLayerError, UnreadableFileError } from '../../../src/corpus/errors.ts';
import { docxToText, MAX_DOCUMENT_XML } from '../../../src/corpus/formats/docx.ts';
import { htmlToText } from '../../../src/corpus/formats/html.ts';
import { extractText, MAX_BINARY_BYTES } from '../../../src/corpus/formats/index.ts';
import { pdfToText, unifyRadicals } from '../../../src/corpus/formats/pdf.ts';
import { stripSiteName } from '../../../src/corpus/formats/title.ts';
import { normalise } from '../../../src/corpus/normalize.ts';

const ARTICLE = ['第一条　为了规范某某事项的管理，制定本办法。', '第二条　本办法适用于本市行政区域内的某某活动。', '第三条　本办法自发布之日起施行。'];

describe('stripSiteName', () => {
  it('drops the site part of a page title', () => {
    expect(stripSiteName('北京市某某管理办法_北京市人民政府网站')).toBe('北京市某某管理办法');
    expect(stripSiteName('关于印发《某某方案》的通知 - 首都之窗')).toBe('关于印发《某某方案》的通知');
    expect(stripSiteName('首页 | 政策文件 | 北京市人民政府关于某某的意见')).toBe('北京市人民政府关于某某的意见');
    expect(stripSiteName('Microsoft Word - 某某办法.docx')).toBeUndefined();
    expect(stripSiteName('北京市某某管理办法')).toBe('北京市某某管理办法');
  });
});

describe('htmlToText', () => {
  const page = (head: string, h1: string) => `<html><head><meta charset="utf-8"><title>${head}</title></head><body>
    <div class="nav"><a href="/">首页</a> <a href="/zw/">政务公开</a> <a href="/fw/">政务服务</a></div>
    <div class="crumbs">当前位置：<a href="/">首页</a> &gt; <a href="/zw/">政策文件</a></div>
    <div class="main"><div class="article">${h1}
      <div id="zoom">${ARTICLE.map((p) => `<p>${p}</p>`).join('')}<p>北京市某某局<br>2022年3月1日</p></div>
      <div class="tools"><a href="#">打印本页</a> <a href="#">关闭窗口</a></div></div></div>
    <div class="related"><h3>相关链接</h3><ul><li><a href="#">中国政府网</a></li><li><a href="#">北京市各区政府网站</a></li></ul></div>
    <div class="footer">主办：北京市人民政府办公厅 京ICP备05060933号 京公网安备11010502039234号</div></body></html>`;

  it('keeps the article, one line per block, without the site around it', async () => {
    const out = await htmlToText(page('北京市某某管理办法_北京市人民政府网站', '<h1>北京市某某管理办法</h1>'));
    expect(out.title).toBe('北京市某某管理办法');
    expect(out.text.split('\n')).toEqual([...ARTICLE, '北京市某某局', '2022年3月1日']);
  });

  it('takes the title from <title> minus the site name when the page has no heading', async () => {
    expect((await htmlToText(page('北京市某某管理办法 - 首都之窗', ''))).title).toBe('北京市某某管理办法');
  });

  it('decodes a GBK page that declares its charset', async () => {
    const html = page('北京市某某管理办法_北京市人民政府网站', '<h1>北京市某某管理办法</h1>').replace('utf-8', 'gb2312');
    const gbk = Buffer.from(await gbkEncode(html));
    const out = await extractText('page.htm', gbk);
    expect(out.title).toBe('北京市某某管理办法');
    expect(out.text).toContain('第三条　本办法自发布之日起施行。');
  });
});

/** GBK bytes by way of Chromium-free means: Node's TextDecoder only decodes, so map via a reverse table. */
async function gbkEncode(s: string): Promise<Uint8Array> {
  const dec = new TextDecoder('gb18030');
  const table = new Map<string, number[]>();
  for (let hi = 0x81; hi <= 0xfe; hi++)
    for (let lo = 0x40; lo <= 0xfe; lo++) {
      if (lo === 0x7f) continue;
      const ch = dec.decode(new Uint8Array([hi, lo]));
      if (ch.length === 1 && ch !== '\ufffd' && !table.has(ch)) table.set(ch, [hi, lo]);
    }
  const out: number[] = [];
  for (const ch of s) {
    if (ch.charCodeAt(0) < 0x80) out.push(ch.charCodeAt(0));
    else out.push(...table.get(ch)!);
  }
  return new Uint8Array(out);
}

/**
 * A PDF as older government tools write Chinese: a non-embedded Adobe-GB1 font with the predefined
 * UniGB-UCS2-H encoding and no ToUnicode map, so only pdf.js's CMaps can decode it.
 */
function cmapPdf(lines: string[], opts: { title?: string; headingSize?: number } = {}): Uint8Array {
  const hex = (s: string) => [...s].map((c) => c.charCodeAt(0).toString(16).padStart(4, '0')).join('');
  const ops = lines.map((l, i) => `BT /F1 ${i === 0 && opts.headingSize ? opts.headingSize : 12} Tf 40 ${760 - i * 20} Td <${hex(l)}> Tj ET`).join('\n');
  const info = opts.title ? `<< /Title <feff${hex(opts.title)}> >>` : '<< >>';
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 6 0 R >>',
    '<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [5 0 R] >>',
    '<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /FontDescriptor 7 0 R /DW 1000 >>',
    `<< /Length ${Buffer.byteLength(ops)} >>\nstream\n${ops}\nendstream`,
    '<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [0 -200 1000 900] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>',
    info,
  ];
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  objs.forEach((o, i) => {
    offsets.push(Buffer.byteLength(pdf));
    pdf += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(pdf);
  pdf += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  pdf += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R /Info ${objs.length} 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

describe('pdfToText', () => {
  it('decodes Chinese in a font with a predefined CMap and no ToUnicode map', async () => {
    const out = await pdfToText(cmapPdf(ARTICLE.map((l) => l.replace('　', ' ')), { title: '北京市某某管理办法_北京市人民政府网站' }), 'cmap.pdf');
    expect(out.text.split('\n')).toEqual(ARTICLE.map((l) => l.replace('　', ' ')));
    expect(out.title).toBe('北京市某某管理办法');
  });

  it('takes a heading set larger than the body as the title, out of the text', async () => {
    const out = await pdfToText(cmapPdf(['北京市某某管理办法', ...ARTICLE], { headingSize: 20 }), 'heading.pdf');
    expect(out.title).toBe('北京市某某管理办法');
    expect(out.text.split('\n')[0]).toMatch(/^第一条/);
  });

  it('refuses a file that is not a PDF with one clear message', async () => {
    await expect(pdfToText(Buffer.from('%PDF-1.4\nthis is not really a pdf'), 'broken.pdf')).rejects.toThrow(UnreadableFileError);
    await expect(pdfToText(Buffer.from('%PDF-1.4\nthis is not really a pdf'), 'broken.pdf')).rejects.toThrow(/^broken\.pdf: not a readable PDF/);
  });

  it('a page with only an image says the PDF has no text layer', async () => {
    await expect(pdfToText(cmapPdf([]), 'scan.pdf')).rejects.toThrow(NoTextLayerError);
  });

  it('maps radicals back to the ideographs fonts share them with', () => {
    expect(unifyRadicals('⾃由贸易试验区；⼈⺠政府；⻔户')).toBe('自由贸易试验区；人民政府；门户');
  });
});

describe('docxToText', () => {
  const make = async (children: Paragraph[] | (Paragraph | Table)[], title?: string) =>
    Packer.toBuffer(new Document({ title, sections: [{ children }] }));

  it('takes the Title paragraph as the title and each paragraph as a line, runs joined', async () => {
    const buf = await make([
      new Paragraph({ heading: HeadingLevel.TITLE, alignment: AlignmentType.CENTER, children: [new TextRun('北京市某某管理办法')] }),
      new Paragraph({ heading: HeadingLevel.HEADING_2, children: [new TextRun('第一章　总则')] }),
      ...ARTICLE.map((p) => new Paragraph({ children: [new TextRun(p.slice(0, 7)), new TextRun({ text: p.slice(7), bold: true })] })),
      new Table({ rows: [new TableRow({ children: [new TableCell({ children: [new Paragraph('事项')] }), new TableCell({ children: [new Paragraph('办理时限')] })] })] }),
    ]);
    const out = await docxToText(buf, 'a.docx');
    expect(out.title).toBe('北京市某某管理办法');
    expect(out.text.split('\n')).toEqual(['第一章　总则', ...ARTICLE, '事项', '办理时限']);
  });

  it('refuses a damaged, an encrypted and an oversized file, each with its own error', async () => {
    const good = await make([new Paragraph('第一条　本办法自发布之日起施行。')]);
    await expect(docxToText(good.subarray(0, good.length >> 1), 'cut.docx')).rejects.toThrow(UnreadableFileError);
    await expect(docxToText(Buffer.from('not a zip at all'), 'text.docx')).rejects.toThrow(/^text\.docx: not a readable Word/);
    const ole = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(504)]);
    await expect(docxToText(ole, 'locked.docx')).rejects.toThrow(EncryptedFileError);
    await expect(extractText('huge.docx', Buffer.alloc(MAX_BINARY_BYTES + 1))).rejects.toThrow(FileTooLargeError);
  });

  it('refuses a small file whose text unpacks to more than a policy can hold, before unpacking it', async () => {
    const zip = await JSZip.loadAsync(await make([new Paragraph('第一条　本办法自发布之日起施行。')]));
    const xml = await zip.file('word/document.xml')!.async('string');
    const filler = '<w:p><w:r><w:t>某</w:t></w:r></w:p>'.repeat(Math.ceil((MAX_DOCUMENT_XML + 1) / 36));
    zip.file('word/document.xml', xml.replace('<w:body>', `<w:body>${filler}`));
    const bomb = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
    await expect(docxToText(bomb, 'bomb.docx')).rejects.toThrow(/^bomb\.docx: its text unpacks to \d+ MB, over the 64 MB limit/);
  });
});

describe('normalise: text extracted page by page', () => {
  it('drops running heads and page numbers at page edges and joins lines across pages', () => {
    const head = '北京市某某管理办法_北京市人民政府网站';
    const body = [
      '第一条　为了规范某某事项的管理，根据有关法律法规的规定，结合',
      '本市实际，制定本办法。',
      '第二条　本办法适用于本市行政区域内的某某活动，以及与之相关的',
      '监督管理工作。',
      '第三条　市人民政府有关部门应当按照各自职责，做好某某事项的',
      '管理和服务工作，为市场主体提供便利，依法保护其合法权益和',
      '正当经营活动。',
      '第四条　本办法自发布之日起施行。',
    ];
    const pages = [body.slice(0, 5), body.slice(5)].map((p, i) => [head, ...p, `— ${i + 1} —`].join('\n'));
    const n = normalise(pages.join('\n\f\n'));
    expect(n.text.split('\n')).toEqual([
      '第一条　为了规范某某事项的管理，根据有关法律法规的规定，结合本市实际，制定本办法。',
      '第二条　本办法适用于本市行政区域内的某某活动，以及与之相关的监督管理工作。',
      '第三条　市人民政府有关部门应当按照各自职责，做好某某事项的管理和服务工作，为市场主体提供便利，依法保护其合法权益和正当经营活动。',
      '第四条　本办法自发布之日起施行。',
    ]);
    expect(n.pageNumbersRemoved).toBe(4);
  });

  it('knows page numbers as printed: "第 2 页 共 3 页", "2/3", a bare number; a number in the text stays', () => {
    const pages = ['第一条　本办法所称数量为', '100', '件以上的活动。', '第二条　本办法自发布之日起施行。'];
    const footers = ['第 1 页 共 3 页', '2/3', '3'];
    const text = [[pages[0], pages[1]], [pages[2]], [pages[3]]].map((p, i) => [...p, footers[i]].join('\n')).join('\n\f\n');
    const n = normalise(text);
    expect(n.text.replace(/\n/g, '')).toBe('第一条　本办法所称数量为100件以上的活动。第二条　本办法自发布之日起施行。');
    expect(n.pageNumbersRemoved).toBe(3);
  });
});
