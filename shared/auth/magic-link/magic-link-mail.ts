import { escapeHtml } from '../../mail/mail-text.ts';
import { MAGIC_LINK_TTL_SECONDS } from './magic-link-token.ts';

/** Subject, text and HTML of a magic sign-in link email. */
export function renderMagicLinkMail(link: string): { subject: string; text: string; html: string } {
  const minutes = MAGIC_LINK_TTL_SECONDS / 60;
  const lead = `Open this link to sign in to Plinth. It works once, for ${minutes} minutes.`;
  const ignore = 'If you did not ask to sign in, ignore this email: nobody can sign in without the link.';
  return {
    subject: 'Your Plinth sign-in link',
    text: `${lead}\n\n${link}\n\n${ignore}\n`,
    html: [
      `<p>${escapeHtml(lead)}</p>`,
      `<p><a href="${escapeHtml(link)}">Sign in to Plinth</a></p>`,
      `<p>${escapeHtml(ignore)}</p>`,
    ].join('\n'),
  };
}
