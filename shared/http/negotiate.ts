/**
 * Proactive content negotiation (RFC 9110 §12.5.1): which of the media types a route offers the
 * request's `Accept` header prefers. Each offered type takes the quality of the most specific range
 * that matches it (`text/csv` before `text/*` before `*\/*`); the highest quality wins, then the more
 * specific match, then the earlier offer (JSON, the default, comes first).
 */

interface MediaRange {
  readonly type: string;
  readonly subtype: string;
  readonly quality: number;
}

function parseAccept(header: string): MediaRange[] {
  return header.split(',').flatMap((part) => {
    const [range = '', ...parameters] = part.split(';').map((piece) => piece.trim());
    const [type, subtype] = range.toLowerCase().split('/');
    if (!type || !subtype) return [];
    const q = parameters.find((parameter) => /^q\s*=/i.test(parameter));
    const quality = q ? Number(q.split('=')[1]) : 1;
    return Number.isFinite(quality) ? [{ type, subtype, quality: Math.min(1, Math.max(0, quality)) }] : [];
  });
}

function specificity(range: MediaRange, type: string, subtype: string): number {
  if (range.type === type && range.subtype === subtype) return 3;
  if (range.type === type && range.subtype === '*') return 2;
  if (range.type === '*' && range.subtype === '*') return 1;
  return 0;
}

/**
 * The offered media type to answer with, or undefined when `accept` accepts none of them. No
 * `Accept` header (or an empty one) accepts anything: the first offer.
 */
export function negotiateMediaType(
  accept: string | undefined,
  offered: readonly string[],
): string | undefined {
  const ranges = accept?.trim() ? parseAccept(accept) : [];
  if (ranges.length === 0) return offered[0];
  let best: { media: string; quality: number; specificity: number } | undefined;
  for (const media of offered) {
    const [type = '', subtype = ''] = media.toLowerCase().split('/');
    let match: { quality: number; specificity: number } | undefined;
    for (const range of ranges) {
      const s = specificity(range, type, subtype);
      if (s > (match?.specificity ?? 0)) match = { quality: range.quality, specificity: s };
    }
    if (!match || match.quality === 0) continue;
    if (
      !best ||
      match.quality > best.quality ||
      (match.quality === best.quality && match.specificity > best.specificity)
    ) {
      best = { media, ...match };
    }
  }
  return best?.media;
}
