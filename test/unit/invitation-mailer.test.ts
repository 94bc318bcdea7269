import { describe, expect, it } from 'vitest';
import { type InvitationMail, renderInvitationMail } from '#shared/invitations/invitation-mailer.ts';
import { MAX_MAILED_NAME_LENGTH, mailedName } from '#shared/mail/mail-text.ts';

const mail = (tenantName: string): InvitationMail => ({
  tenantId: '01jf0000000000000000000002',
  to: 'ada@example.com',
  tenantName,
  role: 'member',
  acceptUrl: 'https://app.example.com/invitations/01jf0000000000000000000001',
  expiresAt: '2026-03-08T12:00:00.000Z',
  invitedBy: 'boss@example.com',
});

describe('invitation email: the tenant name', () => {
  it('is escaped in the HTML body', () => {
    const { html } = renderInvitationMail(mail('<a href="https://evil.example">Acme</a> & Co'));

    expect(html).not.toContain('<a href="https://evil.example">');
    expect(html).toContain('&#60;a href=&#34;https://evil.example&#34;&#62;Acme&#60;/a&#62; &#38; Co');
  });

  it(`is cut to ${MAX_MAILED_NAME_LENGTH} characters with an ellipsis in the subject`, () => {
    const { subject } = renderInvitationMail(mail('A'.repeat(120)));

    expect(subject).toBe(`Join ${'A'.repeat(MAX_MAILED_NAME_LENGTH - 1)}… on Plinth`);
  });

  it('is cut the same way in the text and HTML bodies', () => {
    const { text, html } = renderInvitationMail(mail(`${'B'.repeat(100)}TAIL`));

    expect(text).toContain(`${'B'.repeat(MAX_MAILED_NAME_LENGTH - 1)}…`);
    expect(html).toContain(`${'B'.repeat(MAX_MAILED_NAME_LENGTH - 1)}…`);
    expect(`${text}${html}`).not.toContain('TAIL');
  });

  it('carries no line break into the subject', () => {
    const { subject } = renderInvitationMail(mail('Acme\r\nBcc: victim@example.com'));

    expect(subject).toBe('Join Acme Bcc: victim@example.com on Plinth');
  });

  it('loses its bidirectional controls, so it cannot reorder the text around it', () => {
    expect(mailedName('Acme\u202Emoc.live\u202C')).toBe('Acmemoc.live');
  });

  it('is never cut inside a character made of two UTF-16 units', () => {
    const name = '😀'.repeat(80);

    expect(mailedName(name)).toBe(`${'😀'.repeat(MAX_MAILED_NAME_LENGTH - 1)}…`);
  });

  it('is kept whole when it is short enough', () => {
    expect(mailedName('Acme & Co')).toBe('Acme & Co');
  });
});
