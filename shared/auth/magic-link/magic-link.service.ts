import type { Clock } from '../../ids.ts';
import type { MailSender } from '../../mail/mail-sender.ts';
import { logger } from '../../observability/logger.ts';
import {
  definePolicy,
  hashedSubject,
  type RateLimitCheck,
  type RateLimitDecision,
  type RateLimiter,
} from '../../ratelimit/rate-limiter.ts';
import { InvalidMagicLinkError } from './magic-link.errors.ts';
import type { MagicLinkRepository } from './magic-link.repository.ts';
import type { SignInTokens } from './magic-link.schema.ts';
import { renderMagicLinkMail } from './magic-link-mail.ts';
import { hashMagicLinkToken, magicLinkExpiry, magicLinkUrl, newMagicLinkToken } from './magic-link-token.ts';
import type { SignInDirectory } from './sign-in-directory.ts';

const HOUR = 3600;

/** Links mailed to one address: a few retries, not a mailbox flood. */
export const magicLinksPerEmail = definePolicy({
  name: 'magic-links-per-email',
  limit: 5,
  windowSeconds: HOUR,
});
/** Link requests from one client address, for any addresses: no sweeping the user base for mail. */
export const magicLinksPerIp = definePolicy({ name: 'magic-links-per-ip', limit: 30, windowSeconds: HOUR });
/** Link exchanges from one client address (tokens are 256 random bits; this only bounds the load). */
export const magicLinkSessionsPerIp = definePolicy({
  name: 'magic-link-sessions-per-ip',
  limit: 30,
  windowSeconds: 15 * 60,
});

/**
 * Runs Cognito's custom auth conversation for a link: `InitiateAuth(CUSTOM_AUTH, USERNAME=email)`,
 * then `RespondToAuthChallenge(ANSWER=token)`, which the trigger Lambdas decide. `undefined` when
 * the pool refused (wrong, used or expired token; unknown or disabled user).
 */
export interface CustomAuthSignIn {
  signIn(email: string, token: string): Promise<SignInTokens | undefined>;
}

export interface MagicLinkDeps {
  readonly links: MagicLinkRepository;
  readonly directory: SignInDirectory;
  readonly mail: MailSender;
  readonly rateLimiter: RateLimiter;
  readonly customAuth: CustomAuthSignIn;
  readonly clock: Clock;
  /** The product's web app: links point to `<appUrl>/sign-in/magic`. */
  readonly appUrl: string;
}

/** A request's client address, as API Gateway saw it. */
interface FromClient {
  readonly sourceIp: string;
}

/** The magic-link use cases: mail a link; exchange a link for Cognito tokens. */
export function createMagicLinkService(deps: MagicLinkDeps) {
  const { links, directory, mail, rateLimiter, customAuth, clock, appUrl } = deps;

  const requestChecks = (email: string, sourceIp: string): RateLimitCheck[] => [
    {
      policy: magicLinksPerEmail,
      subject: hashedSubject(email),
      refusal: `Too many sign-in links were requested for ${email}.`,
    },
    {
      policy: magicLinksPerIp,
      subject: hashedSubject(sourceIp),
      refusal: 'Too many sign-in links were requested from your network.',
    },
  ];

  return {
    /**
     * Mails a new link to the address if it has an account that may sign in with one, replacing the
     * account's previous link. The caller's answer is the same whether or not it does: the limits
     * count every request, before the lookup. No link for a disabled (suspended) account or one with
     * MFA on (the link would skip the second factor). A failed send is logged, not answered: a 5xx
     * only for existing addresses would tell who has an account. Returns the rate-limit decisions
     * for the response's headers; throws 429 beyond a limit, before anything is stored or sent.
     */
    async request(input: { email: string } & FromClient): Promise<{ rateLimits: RateLimitDecision[] }> {
      const rateLimits = await rateLimiter.enforce(requestChecks(input.email, input.sourceIp));
      const account = await directory.findByEmail(input.email);
      if (!account?.enabled || account.mfaEnabled) {
        logger.info('magic link not sent', { reason: account ? 'account may not use links' : 'no account' });
        return { rateLimits };
      }
      const now = clock();
      const token = newMagicLinkToken();
      await links.store(account.userId, {
        tokenHash: hashMagicLinkToken(token),
        expiresAt: magicLinkExpiry(now),
        createdAt: now.toISOString(),
      });
      try {
        const outcome = await mail.send(
          { to: [input.email], ...renderMagicLinkMail(magicLinkUrl(appUrl, token, input.email)) },
          { kind: 'sign-in' },
        );
        logger.info('magic link mailed', { status: outcome.status });
      } catch (error) {
        logger.error('magic link mail failed', { error });
      }
      return { rateLimits };
    },

    /**
     * Exchanges a link's token for the user's Cognito tokens through the pool's custom auth flow
     * (the trigger Lambdas check and consume the link). 401 for any link that signs no one in.
     */
    async exchange(
      input: { email: string; token: string } & FromClient,
    ): Promise<{ tokens: SignInTokens; rateLimits: RateLimitDecision[] }> {
      const rateLimits = await rateLimiter.enforce([
        {
          policy: magicLinkSessionsPerIp,
          subject: hashedSubject(input.sourceIp),
          refusal: 'Too many sign-in links were opened from your network.',
        },
      ]);
      const tokens = await customAuth.signIn(input.email, input.token);
      if (!tokens) throw new InvalidMagicLinkError();
      return { tokens, rateLimits };
    },
  };
}

export type MagicLinkService = ReturnType<typeof createMagicLinkService>;
