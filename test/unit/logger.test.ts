import { describe, expect, it } from 'vitest';
import { redact, redactingReplacer } from '#shared/observability/logger.ts';

describe('log redaction', () => {
  it.each([
    ['jane.doe+tag@example.co.uk asked', '[email] asked'],
    ['from 203.0.113.9 at noon', 'from [ip] at noon'],
    ['from 2001:db8::1', 'from [ip]'],
    ['from 2001:0db8:0000:0000:0000:ff00:0042:8329', 'from [ip]'],
    ['from ::ffff:10.0.0.1', 'from [ip]'],
  ])('replaces personal data in %j', (text, expected) => {
    expect(redact(text)).toBe(expected);
  });

  it.each([
    '2026-12-03T04:40:32.000Z',
    'at 04:40:32',
    'version 3.1169.0',
    '01m8x2wa1f7stwqwgarvxq8n8t',
    'e3bc584d-2d25-489a-87ac-9e2c995d644d',
    'POST /v1/tenants/{tenantId}/invitations',
  ])('leaves %j as it is', (text) => {
    expect(redact(text)).toBe(text);
  });

  it('redacts every string of a log line, at any depth, and an error turned into strings', () => {
    const line = JSON.stringify(
      {
        message: 'invited bob@corp.example',
        to: ['a@b.io', 'c@d.io'],
        nested: { ip: '198.51.100.7', count: 2 },
        error: { message: 'SES refused x@y.org', stack: 'Error: SES refused x@y.org\n at f (file.ts:1:1)' },
      },
      redactingReplacer,
    );
    expect(JSON.parse(line)).toEqual({
      message: 'invited [email]',
      to: ['[email]', '[email]'],
      nested: { ip: '[ip]', count: 2 },
      error: { message: 'SES refused [email]', stack: 'Error: SES refused [email]\n at f (file.ts:1:1)' },
    });
  });
});
