import { Logger } from '@aws-lambda-powertools/logger';

/** An email address anywhere in a string. */
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
/** An IPv4 address (four dotted numbers of at most three digits), IPv6-mapped or not. */
const IPV4 = /(?:::ffff:)?(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])/gi;
/**
 * An IPv6 address: the full form, or a compressed one with `::` and at least one group (plain
 * `hh:mm:ss` times match neither).
 */
const IPV6 =
  /(?<![\w:])(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:){0,6}[0-9a-f]{0,4}::(?:[0-9a-f]{1,4}:){0,6}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:){1,7}:)(?![\w:])/gi;

/** A text with its email and IP addresses replaced. */
export function redact(text: string): string {
  return text.replace(EMAIL, '[email]').replace(IPV4, '[ip]').replace(IPV6, '[ip]');
}

/**
 * The logger's JSON replacer: every string of a log line goes through {@link redact} as it is
 * written, at any depth (a message, an appended key, an error's message and stack, which Powertools
 * turns into strings before they reach here), so no log line carries an email or IP address,
 * whatever a caller passes. User, tenant and request ids stay: they are what an operator searches
 * logs by, and they are not personal data by themselves.
 */
export const redactingReplacer = (_key: string, value: unknown): unknown =>
  typeof value === 'string' ? redact(value) : value;

/** One structured JSON logger per container; handlers append request, tenant and user ids per request. */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'plinth',
  jsonReplacerFn: redactingReplacer,
});
