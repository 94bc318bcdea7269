import { escapeHtml } from '../mail/mail-text.ts';

/**
 * A small, safe subset of Markdown for announcement bodies, rendered to HTML the console can insert
 * as is: paragraphs, `#`–`###` headings, `-`/`*` and `1.` lists, `**bold**`, `*italic*`/`_italic_`,
 * `` `code` `` and `[links](https://…)`. Every character of the source is HTML-escaped before any
 * markup is added, so raw HTML in a body shows as text and never reaches the page as markup; links
 * keep only `https:`, `http:` and `mailto:` targets (a `javascript:` link renders as its text).
 */
export function renderMarkdown(source: string): string {
  const blocks: string[] = [];
  let paragraph: string[] = [];
  let list: { tag: 'ul' | 'ol'; items: string[] } | undefined;

  const flushParagraph = () => {
    if (paragraph.length > 0) blocks.push(`<p>${paragraph.map(renderInline).join('<br>\n')}</p>`);
    paragraph = [];
  };
  const flushList = () => {
    if (list)
      blocks.push(
        `<${list.tag}>${list.items.map((i) => `<li>${renderInline(i)}</li>`).join('')}</${list.tag}>`,
      );
    list = undefined;
  };

  for (const rawLine of source.replace(/\r\n?/g, '\n').split('\n')) {
    const line = rawLine.trimEnd();
    const heading = /^(#{1,3})\s+(.*)$/.exec(line);
    const bullet = /^\s*[-*]\s+(.*)$/.exec(line);
    const numbered = /^\s*\d{1,3}[.)]\s+(.*)$/.exec(line);
    if (line.trim() === '') {
      flushParagraph();
      flushList();
    } else if (heading?.[1] && heading[2] !== undefined) {
      flushParagraph();
      flushList();
      const level = heading[1].length + 1;
      blocks.push(`<h${level}>${renderInline(heading[2])}</h${level}>`);
    } else if (bullet?.[1] !== undefined || numbered?.[1] !== undefined) {
      flushParagraph();
      const tag = bullet ? 'ul' : 'ol';
      if (list?.tag !== tag) flushList();
      list ??= { tag, items: [] };
      list.items.push((bullet?.[1] ?? numbered?.[1]) as string);
    } else {
      flushList();
      paragraph.push(line);
    }
  }
  flushParagraph();
  flushList();
  return blocks.join('\n');
}

const SAFE_LINK = /^(https?:\/\/|mailto:)/i;

/** Inline markup of one line: code spans first (their content is literal), then the rest. */
function renderInline(text: string): string {
  return text
    .split(/(`[^`]+`)/)
    .map((part) =>
      part.length > 2 && part.startsWith('`') && part.endsWith('`')
        ? `<code>${escapeHtml(part.slice(1, -1))}</code>`
        : renderEmphasisAndLinks(escapeHtml(part)),
    )
    .join('');
}

/** On escaped text: no `<`, `>`, `"` or `'` is left, so nothing added here can be broken out of. */
function renderEmphasisAndLinks(escaped: string): string {
  return escaped
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_match, label: string, url: string) =>
      SAFE_LINK.test(url) ? `<a href="${url}" rel="noopener noreferrer nofollow">${label}</a>` : label,
    )
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^*\w])\*([^*\s][^*]*)\*(?!\w)/g, '$1<em>$2</em>')
    .replace(/(^|[^_\w])_([^_\s][^_]*)_(?!\w)/g, '$1<em>$2</em>');
}
