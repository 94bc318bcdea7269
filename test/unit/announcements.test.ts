import { describe, expect, it } from 'vitest';
import { renderAnnouncementMail } from '#shared/announcements/announcement-mail.ts';
import { audienceSchema, createAnnouncementBody } from '#shared/announcements/announcements.schema.ts';
import { type AudienceMembership, addresses, statusAt } from '#shared/announcements/audience.ts';
import { renderMarkdown } from '#shared/announcements/markdown.ts';

const teamAdmin: AudienceMembership = { tenantId: 't1', role: 'admin', plan: 'team' };
const freeMember: AudienceMembership = { tenantId: 't2', role: 'member', plan: 'free' };

describe('addresses', () => {
  it('addresses every user with "everyone", also one without a tenant', () => {
    expect(addresses('everyone', [])).toBe(true);
  });

  it('addresses a user when one membership passes every filter given', () => {
    expect(addresses({ plans: ['team'], roles: ['admin'] }, [freeMember, teamAdmin])).toBe(true);
  });

  it('does not combine filters across memberships (Team member elsewhere + admin of a Free tenant)', () => {
    const mixed: AudienceMembership[] = [
      { tenantId: 't1', role: 'member', plan: 'team' },
      { tenantId: 't2', role: 'admin', plan: 'free' },
    ];
    expect(addresses({ plans: ['team'], roles: ['admin'] }, mixed)).toBe(false);
  });

  it('does not address a user without memberships with a filter', () => {
    expect(addresses({ roles: ['owner', 'admin', 'manager', 'member'] }, [])).toBe(false);
  });

  it('addresses the members of a named tenant whatever their role', () => {
    expect(addresses({ tenantIds: ['t2'] }, [freeMember])).toBe(true);
    expect(addresses({ tenantIds: ['t2'] }, [teamAdmin])).toBe(false);
  });
});

describe('statusAt', () => {
  const times = { publishAt: '2026-12-01T10:00:00.000Z', expiresAt: '2026-12-01T12:00:00.000Z' };

  it.each([
    ['2026-12-01T09:59:59.999Z', 'scheduled'],
    ['2026-12-01T10:00:00.000Z', 'active'],
    ['2026-12-01T11:59:59.999Z', 'active'],
    ['2026-12-01T12:00:00.000Z', 'expired'],
  ])('at %s is %s', (now, status) => {
    expect(statusAt(times, new Date(now))).toBe(status);
  });

  it('is withdrawn once withdrawn, whatever the time', () => {
    expect(
      statusAt({ ...times, withdrawnAt: '2026-12-01T10:30:00.000Z' }, new Date('2026-12-01T11:00:00Z')),
    ).toBe('withdrawn');
  });
});

describe('renderMarkdown', () => {
  it('escapes raw HTML instead of passing it through', () => {
    expect(renderMarkdown('<b onclick="x()">hi</b>')).toBe(
      '<p>&#60;b onclick=&#34;x()&#34;&#62;hi&#60;/b&#62;</p>',
    );
  });

  it('renders headings, lists, emphasis and code', () => {
    expect(renderMarkdown('## Plan\n\n1. **one**\n2. *two*\n\n- `a <b>`')).toBe(
      '<h3>Plan</h3>\n<ol><li><strong>one</strong></li><li><em>two</em></li></ol>\n<ul><li><code>a &#60;b&#62;</code></li></ul>',
    );
  });

  it('keeps https and mailto links and drops other schemes to their text', () => {
    expect(
      renderMarkdown('[a](https://x.test/?q=1&r=2) [b](mailto:ops@x.test) [c](javascript:alert) [d](data:x)'),
    ).toBe(
      '<p><a href="https://x.test/?q=1&#38;r=2" rel="noopener noreferrer nofollow">a</a> <a href="mailto:ops@x.test" rel="noopener noreferrer nofollow">b</a> c d</p>',
    );
  });

  it('cannot break out of a link attribute with quotes', () => {
    expect(renderMarkdown('[x](https://a.test/"onmouseover="alert)')).not.toContain('"onmouseover');
  });

  it('joins the lines of a paragraph with line breaks', () => {
    expect(renderMarkdown('one\ntwo\n\nthree')).toBe('<p>one<br>\ntwo</p>\n<p>three</p>');
  });
});

describe('createAnnouncementBody', () => {
  const valid = {
    title: 'Maintenance',
    body: 'Down for an hour.',
    severity: 'info',
    audience: 'everyone',
    publishAt: '2026-12-01T10:00:00Z',
    expiresAt: '2026-12-01T12:00:00+01:00',
    reason: 'Upgrade',
  };

  it('accepts a valid announcement and normalises its times to UTC', () => {
    const parsed = createAnnouncementBody().parse(valid);
    expect(parsed.expiresAt).toBe('2026-12-01T11:00:00.000Z');
    expect(parsed.email).toBe(false);
  });

  it('refuses expiresAt at or before publishAt, on the expiresAt field', () => {
    const result = createAnnouncementBody().safeParse({ ...valid, expiresAt: '2026-12-01T10:00:00Z' });
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['expiresAt']);
  });

  it('refuses email for a severity below critical', () => {
    const result = createAnnouncementBody().safeParse({ ...valid, email: true });
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['email']);
  });

  it('refuses a title with a line break (it becomes an email subject)', () => {
    expect(createAnnouncementBody().safeParse({ ...valid, title: 'a\nBcc: x@y.test' }).success).toBe(false);
  });

  it('refuses an audience object with no filter', () => {
    expect(audienceSchema().safeParse({}).success).toBe(false);
  });

  it('refuses an unknown role in an audience', () => {
    expect(audienceSchema().safeParse({ roles: ['superuser'] }).success).toBe(false);
  });
});

describe('renderAnnouncementMail', () => {
  it('mails one user with the title as subject and the body as safe HTML', () => {
    const mail = renderAnnouncementMail(
      { title: 'Outage', body: 'We are **on it** <img src=x>' },
      'a@example.com',
      'https://app.test/',
    );
    expect(mail).toEqual({
      to: ['a@example.com'],
      subject: '[Plinth] Outage',
      text: 'We are **on it** <img src=x>\n\nOpen Plinth: https://app.test\n',
      html: '<p>We are <strong>on it</strong> &#60;img src=x&#62;</p>\n<p><a href="https://app.test">Open Plinth</a></p>',
    });
  });
});
