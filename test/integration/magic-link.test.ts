import { AdminDisableUserCommand, GetUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createMagicLinkChallenge,
  defineMagicLinkChallenge,
  verifyMagicLinkAnswer,
} from '#shared/auth/magic-link/auth-challenge.ts';
import { InvalidMagicLinkError } from '#shared/auth/magic-link/magic-link.errors.ts';
import { createMagicLinkRepository } from '#shared/auth/magic-link/magic-link.repository.ts';
import {
  createMagicLinkService,
  magicLinksPerEmail,
  magicLinksPerIp,
} from '#shared/auth/magic-link/magic-link.service.ts';
import { hashMagicLinkToken, newMagicLinkToken } from '#shared/auth/magic-link/magic-link-token.ts';
import { createCognitoSignInDirectory } from '#shared/auth/magic-link/sign-in-directory.ts';
import { keys } from '#shared/db/keys.ts';
import { newId } from '#shared/ids.ts';
import { createSesMailSender } from '#shared/mail/mail-sender.ts';
import { suppressAddress } from '#shared/mail/suppression.ts';
import { RateLimitedError } from '#shared/ratelimit/rate-limit-headers.ts';
import { createTableRateLimiter } from '#shared/ratelimit/window-counter.ts';
import { localClientConfig } from '../../scripts/local/aws.ts';
import { enrolTotp } from '../../scripts/local/cognito.ts';
import { createLocalCustomAuth } from '../../scripts/local/custom-auth.ts';
import {
  createTestStack,
  readSentEmails,
  signUpUser,
  TEST_APP_URL,
  type TestStack,
  uniqueEmail,
} from '../support/harness.ts';

/**
 * Magic links against the emulator: the service mails links through moto's SES and keeps their
 * hashes in moto's DynamoDB; the pool's custom auth conversation runs the trigger rules in process
 * (moto runs no triggers) with the real table, and the tokens come from moto's pool.
 */

let stack: TestStack;
/** The time the service and the verify trigger see; tests move it. */
let now = new Date();
const clock = () => now;

beforeAll(async () => {
  stack = await createTestStack();
  // The document client reads its (dummy) credentials from the environment, as the functions do.
  Object.assign(process.env, stack.env);
});

const db = () => ({ client: stack.db, tableName: stack.tableName });

function service() {
  const links = createMagicLinkRepository(db());
  const pool = { region: stack.region, userPoolId: stack.userPoolId, clientId: stack.clientId };
  return createMagicLinkService({
    links,
    directory: createCognitoSignInDirectory(stack.cognito, stack.userPoolId),
    mail: createSesMailSender(new SESv2Client(localClientConfig(stack)), stack.mailFrom, {
      db: db(),
      clock,
      newId: () => newId(),
    }),
    rateLimiter: createTableRateLimiter(db(), clock),
    customAuth: createLocalCustomAuth(stack.cognito, pool, async () => ({
      define: async (event) => defineMagicLinkChallenge(event),
      create: async (event) => createMagicLinkChallenge(event),
      verify: (event) => verifyMagicLinkAnswer(event, { links, clock }),
    })),
    clock,
    appUrl: TEST_APP_URL,
  });
}

/** A fresh client address per test, so the per-IP limit of one test never refuses another's. */
// A new client address (of TEST-NET-3) per call, this file's table being its own: a random one
// could repeat an address an earlier test had counted against, and the per-address limit would then
// refuse early. The file makes far fewer than 254 calls.
let lastIp = 0;
const ip = () => {
  lastIp += 1;
  if (lastIp > 254) throw new Error('magic-link.test.ts ran out of TEST-NET-3 addresses');
  return `203.0.113.${lastIp}`;
};

/** Moto's SES outbox is shared by the run: reading it back is slow late in a full run. */
const READS_MAIL = { timeout: 60_000 };

async function mailsTo(email: string) {
  return (await readSentEmails(stack)).filter((mail) => mail.to.includes(email));
}

/** The token of the newest link mailed to `email`. */
async function mailedToken(email: string): Promise<string> {
  const mails = await mailsTo(email);
  const body = mails.at(-1)?.body ?? '';
  const link = /https:\/\/app\.plinth\.test\/sign-in\/magic\?[^\s"<]+/.exec(body)?.[0];
  if (!link) throw new Error(`no magic link mailed to ${email}`);
  const url = new URL(link.replaceAll('&#38;', '&').replaceAll('&amp;', '&'));
  expect(url.searchParams.get('email')).toBe(email);
  return url.searchParams.get('token') ?? '';
}

async function storedLink(userId: string) {
  const { Item } = await stack.db.send(
    new GetCommand({ TableName: stack.tableName, Key: keys.magicLink(userId), ConsistentRead: true }),
  );
  return Item;
}

describe('requesting a magic link', () => {
  it('mails a link to an existing user and stores only its hash, for 15 minutes', READS_MAIL, async () => {
    now = new Date();
    const user = await signUpUser(stack);
    await service().request({ email: user.email, sourceIp: ip() });

    const mails = await mailsTo(user.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]?.subject).toBe('Your Plinth sign-in link');
    const token = await mailedToken(user.email);
    const item = await storedLink(user.userId);
    expect(item).toMatchObject({
      tokenHash: hashMagicLinkToken(token),
      expiresAt: now.getTime() + 15 * 60 * 1000,
      ttl: Math.ceil((now.getTime() + 15 * 60 * 1000) / 1000),
    });
    expect(JSON.stringify(item)).not.toContain(token);
  });

  it('mails and stores nothing for an address without an account', READS_MAIL, async () => {
    now = new Date();
    const email = uniqueEmail('nobody');
    const result = await service().request({ email, sourceIp: ip() });
    expect(result.rateLimits.map((d) => d.allowed)).toEqual([true, true]);
    expect(await mailsTo(email)).toEqual([]);
  });

  it('sends no link to a disabled account or one with MFA on', READS_MAIL, async () => {
    now = new Date();
    const disabled = await signUpUser(stack);
    await stack.cognito.send(
      new AdminDisableUserCommand({ UserPoolId: stack.userPoolId, Username: disabled.email }),
    );
    const withMfa = await signUpUser(stack);
    await enrolTotp(stack.cognito, withMfa.accessToken);
    for (const user of [disabled, withMfa]) {
      await service().request({ email: user.email, sourceIp: ip() });
      expect(await mailsTo(user.email)).toEqual([]);
      expect(await storedLink(user.userId)).toBeUndefined();
    }
  });

  it('respects the suppression list: a bouncing address gets no mail', READS_MAIL, async () => {
    now = new Date();
    const user = await signUpUser(stack);
    await suppressAddress(db(), {
      email: user.email,
      reason: 'bounce',
      detail: 'Permanent/General',
      feedbackId: newId(),
      at: now.toISOString(),
    });
    await service().request({ email: user.email, sourceIp: ip() });
    expect(await mailsTo(user.email)).toEqual([]);
  });

  it('refuses the sixth link for one address within the hour, with Retry-After', async () => {
    now = new Date();
    const email = uniqueEmail('flood');
    const magicLinks = service();
    for (let i = 0; i < magicLinksPerEmail.limit; i++) await magicLinks.request({ email, sourceIp: ip() });
    const refused = await magicLinks.request({ email, sourceIp: ip() }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RateLimitedError);
    const { status, headers } = refused as RateLimitedError;
    expect(status).toBe(429);
    expect(headers['retry-after']).toMatch(/^\d+$/);
    expect(headers.ratelimit).toContain('"magic-links-per-email";r=0');
  });

  it('refuses requests beyond the limit of one client address, for any addresses', async () => {
    now = new Date();
    const sourceIp = ip();
    const magicLinks = service();
    for (let i = 0; i < magicLinksPerIp.limit; i++) {
      await magicLinks.request({ email: uniqueEmail('sweep'), sourceIp });
    }
    const refused = await magicLinks
      .request({ email: uniqueEmail('sweep'), sourceIp })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect((refused as RateLimitedError).headers.ratelimit).toContain('"magic-links-per-ip";r=0');
  });
});

describe('opening a magic link', () => {
  it('signs the user in with tokens of the pool, once', READS_MAIL, async () => {
    now = new Date();
    const user = await signUpUser(stack);
    const magicLinks = service();
    await magicLinks.request({ email: user.email, sourceIp: ip() });
    const token = await mailedToken(user.email);

    const { tokens } = await magicLinks.exchange({ email: user.email, token, sourceIp: ip() });
    const me = await stack.cognito.send(new GetUserCommand({ AccessToken: tokens.accessToken }));
    expect(me.UserAttributes?.find((a) => a.Name === 'sub')?.Value).toBe(user.userId);
    expect(await storedLink(user.userId)).toBeUndefined();

    await expect(magicLinks.exchange({ email: user.email, token, sourceIp: ip() })).rejects.toBeInstanceOf(
      InvalidMagicLinkError,
    );
  });

  it('refuses a wrong token and leaves the link usable', READS_MAIL, async () => {
    now = new Date();
    const user = await signUpUser(stack);
    const magicLinks = service();
    await magicLinks.request({ email: user.email, sourceIp: ip() });
    const token = await mailedToken(user.email);

    await expect(
      magicLinks.exchange({ email: user.email, token: newMagicLinkToken(), sourceIp: ip() }),
    ).rejects.toBeInstanceOf(InvalidMagicLinkError);
    await expect(magicLinks.exchange({ email: user.email, token, sourceIp: ip() })).resolves.toMatchObject({
      tokens: { tokenType: 'Bearer' },
    });
  });

  it('refuses a link opened after its 15 minutes', READS_MAIL, async () => {
    now = new Date();
    const user = await signUpUser(stack);
    const magicLinks = service();
    await magicLinks.request({ email: user.email, sourceIp: ip() });
    const token = await mailedToken(user.email);

    now = new Date(now.getTime() + 15 * 60 * 1000);
    await expect(magicLinks.exchange({ email: user.email, token, sourceIp: ip() })).rejects.toBeInstanceOf(
      InvalidMagicLinkError,
    );
  });

  it('refuses the earlier link once a newer one was requested', READS_MAIL, async () => {
    now = new Date();
    const user = await signUpUser(stack);
    const magicLinks = service();
    await magicLinks.request({ email: user.email, sourceIp: ip() });
    const first = await mailedToken(user.email);
    await magicLinks.request({ email: user.email, sourceIp: ip() });
    const second = await mailedToken(user.email);

    await expect(
      magicLinks.exchange({ email: user.email, token: first, sourceIp: ip() }),
    ).rejects.toBeInstanceOf(InvalidMagicLinkError);
    await expect(
      magicLinks.exchange({ email: user.email, token: second, sourceIp: ip() }),
    ).resolves.toBeDefined();
  });

  it("refuses a link for another address's account", READS_MAIL, async () => {
    now = new Date();
    const [ana, bo] = [await signUpUser(stack), await signUpUser(stack)];
    const magicLinks = service();
    await magicLinks.request({ email: ana.email, sourceIp: ip() });
    const token = await mailedToken(ana.email);
    await expect(magicLinks.exchange({ email: bo.email, token, sourceIp: ip() })).rejects.toBeInstanceOf(
      InvalidMagicLinkError,
    );
  });

  it('lets exactly one of two concurrent uses of a link consume it', async () => {
    now = new Date();
    const links = createMagicLinkRepository(db());
    const userId = newId();
    const token = newMagicLinkToken();
    await links.store(userId, {
      tokenHash: hashMagicLinkToken(token),
      expiresAt: now.getTime() + 60_000,
      createdAt: now.toISOString(),
    });
    const results = await Promise.all([
      links.consume(userId, hashMagicLinkToken(token), now),
      links.consume(userId, hashMagicLinkToken(token), now),
    ]);
    expect(results.sort()).toEqual([false, true]);
  });
});
