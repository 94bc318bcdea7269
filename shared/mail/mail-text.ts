/** Text that goes into emails: escaping for the HTML part, and names their senders chose. */

/** Escapes text for HTML element content and attribute values. */
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu;

/** The most characters of a tenant name an email shows (names may be 120 long). */
export const MAX_MAILED_NAME_LENGTH = 60;

/**
 * A tenant name as an email shows it: control characters and runs of white space become one
 * space (no line breaks smuggled into a subject or a text body), and a name longer than
 * {@link MAX_MAILED_NAME_LENGTH} is cut at a character boundary and ends with "…". Bidirectional
 * controls are dropped, so a name cannot reorder the text around it. The name is chosen by
 * whoever created the tenant, so the HTML part escapes it as well.
 */
export function mailedName(name: string): string {
  const flat = name
    .replace(BIDI_CONTROLS, '')
    .replace(/[\p{Cc}\p{Zl}\p{Zp}\s]+/gu, ' ')
    .trim();
  const chars = [...flat];
  if (chars.length <= MAX_MAILED_NAME_LENGTH) return flat;
  return `${chars
    .slice(0, MAX_MAILED_NAME_LENGTH - 1)
    .join('')
    .trimEnd()}…`;
}
