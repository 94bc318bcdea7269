import {
  AdminInitiateAuthCommand,
  AdminRespondToAuthChallengeCommand,
  type CognitoIdentityProviderClient,
  InternalErrorException,
  NotAuthorizedException,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import type {
  CreateAuthChallengeTriggerEvent,
  DefineAuthChallengeTriggerEvent,
  VerifyAuthChallengeResponseTriggerEvent,
} from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  createMagicLinkChallenge,
  defineMagicLinkChallenge,
  MAGIC_LINK_CHALLENGE,
  verifyMagicLinkAnswer,
} from '#shared/auth/magic-link/auth-challenge.ts';
import { createCognitoCustomAuth } from '#shared/auth/magic-link/cognito-custom-auth.ts';
import type { MagicLinkRepository } from '#shared/auth/magic-link/magic-link.repository.ts';
import { renderMagicLinkMail } from '#shared/auth/magic-link/magic-link-mail.ts';
import {
  hashMagicLinkToken,
  isMagicLinkToken,
  MAGIC_LINK_TTL_SECONDS,
  magicLinkExpiry,
  magicLinkUrl,
  newMagicLinkToken,
} from '#shared/auth/magic-link/magic-link-token.ts';

/**
 * The magic link's rules in process: the token and its hash, and the three Cognito triggers with
 * the events Cognito sends them (shapes from the Cognito developer guide and @types/aws-lambda),
 * through the whole conversation. Single use and expiry against the table's conditional delete are
 * proven in test/integration/magic-link.test.ts.
 */

const NOW = new Date('2026-03-02T10:00:00.000Z');
const SUB = '9f1c2a7e-0b6d-4c1e-9a55-2f1d5c8b7e10';
const attributes = {
  sub: SUB,
  email: 'ana@example.com',
  email_verified: 'true',
  'cognito:user_status': 'CONFIRMED',
};

const common = <S extends string>(triggerSource: S) => ({
  version: '1',
  region: 'eu-west-1',
  userPoolId: 'eu-west-1_AbCdEfGhI',
  triggerSource,
  userName: SUB,
  callerContext: { awsSdkVersion: 'aws-sdk-js-3.700.0', clientId: '3n4b5urk1ft4fl3mg5e62d9ado' },
});

type Session = DefineAuthChallengeTriggerEvent['request']['session'];

const defineEvent = (session: Session, userNotFound = false): DefineAuthChallengeTriggerEvent => ({
  ...common('DefineAuthChallenge_Authentication'),
  request: { userAttributes: userNotFound ? {} : attributes, session, userNotFound },
  response: { issueTokens: false, failAuthentication: false },
});

const createEvent = (): CreateAuthChallengeTriggerEvent => ({
  ...common('CreateAuthChallenge_Authentication'),
  request: { userAttributes: attributes, challengeName: 'CUSTOM_CHALLENGE', session: [] },
  response: { publicChallengeParameters: {}, privateChallengeParameters: {}, challengeMetadata: '' },
});

const verifyEvent = (answer: string): VerifyAuthChallengeResponseTriggerEvent => ({
  ...common('VerifyAuthChallengeResponse_Authentication'),
  request: { userAttributes: attributes, privateChallengeParameters: {}, challengeAnswer: answer },
  response: { answerCorrect: false },
});

/** Records what Verify asks the table; answers with `result`. */
function links(result: boolean) {
  const calls: { userId: string; tokenHash: string; now: Date }[] = [];
  const repository: Pick<MagicLinkRepository, 'consume'> = {
    async consume(userId, tokenHash, now) {
      calls.push({ userId, tokenHash, now });
      return result;
    },
  };
  return { calls, repository };
}

describe('magic link tokens', () => {
  it('makes 43 URL-safe characters of randomness, different every time', () => {
    const tokens = new Set(Array.from({ length: 50 }, newMagicLinkToken));
    expect(tokens.size).toBe(50);
    for (const token of tokens) expect(isMagicLinkToken(token)).toBe(true);
  });

  it('stores the SHA-256 of the token, never the token', () => {
    const token = newMagicLinkToken();
    const hash = hashMagicLinkToken(token);
    expect(hash).toBe(hashMagicLinkToken(token));
    expect(hash).not.toContain(token);
    expect(hash).not.toBe(hashMagicLinkToken(newMagicLinkToken()));
    expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('expires fifteen minutes after the request', () => {
    expect(MAGIC_LINK_TTL_SECONDS).toBe(900);
    expect(new Date(magicLinkExpiry(NOW)).toISOString()).toBe('2026-03-02T10:15:00.000Z');
  });

  it("links to the app's sign-in page with the token and the email", () => {
    const url = new URL(magicLinkUrl('https://app.acme.test', 'tok_en-1', 'ana+x@example.com'));
    expect(`${url.origin}${url.pathname}`).toBe('https://app.acme.test/sign-in/magic');
    expect(url.searchParams.get('token')).toBe('tok_en-1');
    expect(url.searchParams.get('email')).toBe('ana+x@example.com');
  });

  it('mails the link in the text and, escaped, in the HTML', () => {
    const link = magicLinkUrl('https://app.acme.test', newMagicLinkToken(), 'ana@example.com');
    const mail = renderMagicLinkMail(link);
    expect(mail.text).toContain(link);
    expect(mail.html).toContain(link.replace('&', '&#38;'));
    expect(mail.text).toContain('15 minutes');
  });
});

describe('the define auth challenge trigger', () => {
  it('asks for one custom challenge to start', () => {
    expect(defineMagicLinkChallenge(defineEvent([])).response).toEqual({
      challengeName: 'CUSTOM_CHALLENGE',
      issueTokens: false,
      failAuthentication: false,
    });
  });

  it('issues tokens after the magic link challenge was answered right', () => {
    const session: Session = [
      { challengeName: 'CUSTOM_CHALLENGE', challengeResult: true, challengeMetadata: MAGIC_LINK_CHALLENGE },
    ];
    expect(defineMagicLinkChallenge(defineEvent(session)).response).toEqual({
      issueTokens: true,
      failAuthentication: false,
    });
  });

  it('fails the sign-in after a wrong answer, without a second try', () => {
    const session: Session = [
      { challengeName: 'CUSTOM_CHALLENGE', challengeResult: false, challengeMetadata: MAGIC_LINK_CHALLENGE },
    ];
    expect(defineMagicLinkChallenge(defineEvent(session)).response).toEqual({
      issueTokens: false,
      failAuthentication: true,
    });
  });

  it('fails a session that holds anything but its own challenge', () => {
    const srp: Session = [{ challengeName: 'SRP_A', challengeResult: true }];
    const other: Session = [
      { challengeName: 'CUSTOM_CHALLENGE', challengeResult: true, challengeMetadata: 'OTHER' },
    ];
    expect(defineMagicLinkChallenge(defineEvent(srp)).response.failAuthentication).toBe(true);
    expect(defineMagicLinkChallenge(defineEvent(other)).response.failAuthentication).toBe(true);
  });

  it('fails at once for a user that does not exist', () => {
    expect(defineMagicLinkChallenge(defineEvent([], true)).response).toEqual({
      issueTokens: false,
      failAuthentication: true,
    });
  });
});

describe('the create auth challenge trigger', () => {
  it('names the magic link challenge and sends nothing (the link was mailed already)', () => {
    expect(createMagicLinkChallenge(createEvent()).response).toEqual({
      publicChallengeParameters: { challenge: MAGIC_LINK_CHALLENGE },
      privateChallengeParameters: {},
      challengeMetadata: MAGIC_LINK_CHALLENGE,
    });
  });

  it('refuses to create any other challenge', () => {
    const event = createEvent();
    expect(() =>
      createMagicLinkChallenge({
        ...event,
        request: { ...event.request, challengeName: 'PASSWORD_VERIFIER' },
      }),
    ).toThrow(/unexpected challenge/);
  });
});

describe('the verify auth challenge response trigger', () => {
  it("consumes the user's link by the answer's hash, at the current time", async () => {
    const token = newMagicLinkToken();
    const { calls, repository } = links(true);
    const result = await verifyMagicLinkAnswer(verifyEvent(token), { links: repository, clock: () => NOW });
    expect(result.response).toEqual({ answerCorrect: true });
    expect(calls).toEqual([{ userId: SUB, tokenHash: hashMagicLinkToken(token), now: NOW }]);
  });

  it('answers wrong when the table has no such link (used, expired, superseded)', async () => {
    const { repository } = links(false);
    const result = await verifyMagicLinkAnswer(verifyEvent(newMagicLinkToken()), {
      links: repository,
      clock: () => NOW,
    });
    expect(result.response.answerCorrect).toBe(false);
  });

  it('refuses an answer that is not a token without asking the table', async () => {
    const { calls, repository } = links(true);
    for (const answer of ['', 'short', `${newMagicLinkToken()}x`, 'a'.repeat(42).concat('=')]) {
      const result = await verifyMagicLinkAnswer(verifyEvent(answer), {
        links: repository,
        clock: () => NOW,
      });
      expect(result.response.answerCorrect).toBe(false);
    }
    expect(calls).toEqual([]);
  });
});

describe('the whole custom auth conversation', () => {
  /** Cognito's loop: Define, Create, Verify with the answer, Define with the result. */
  async function converse(answer: string, table: Pick<MagicLinkRepository, 'consume'>) {
    const first = defineMagicLinkChallenge(defineEvent([]));
    expect(first.response.challengeName).toBe('CUSTOM_CHALLENGE');
    const created = createMagicLinkChallenge(createEvent());
    const verified = await verifyMagicLinkAnswer(verifyEvent(answer), { links: table, clock: () => NOW });
    return defineMagicLinkChallenge(
      defineEvent([
        {
          challengeName: 'CUSTOM_CHALLENGE',
          challengeResult: verified.response.answerCorrect,
          challengeMetadata: created.response.challengeMetadata,
        },
      ]),
    ).response;
  }

  it('ends in tokens for the right token, and in failure once it is used', async () => {
    const token = newMagicLinkToken();
    const pending = new Set([hashMagicLinkToken(token)]);
    const table: Pick<MagicLinkRepository, 'consume'> = {
      async consume(_userId, tokenHash) {
        return pending.delete(tokenHash);
      },
    };
    expect(await converse(token, table)).toEqual({ issueTokens: true, failAuthentication: false });
    expect(await converse(token, table)).toEqual({ issueTokens: false, failAuthentication: true });
  });
});

describe('the Cognito custom auth adapter (deployed)', () => {
  const pool = { userPoolId: 'eu-west-1_AbCdEfGhI', clientId: '3n4b5urk1ft4fl3mg5e62d9ado' };
  const meta = { $metadata: {} };
  const result = {
    AccessToken: 'access',
    IdToken: 'id',
    RefreshToken: 'refresh',
    ExpiresIn: 3600,
    TokenType: 'Bearer',
  };

  /** A Cognito client whose `send` answers or throws per command, recording what it was sent. */
  function fakeCognito(answer: (command: unknown) => unknown) {
    const sent: unknown[] = [];
    const client = {
      send: async (command: unknown) => {
        sent.push(command);
        const outcome = answer(command);
        if (outcome instanceof Error) throw outcome;
        return outcome;
      },
    } as unknown as CognitoIdentityProviderClient;
    return { client, sent };
  }

  const challenge = {
    ChallengeName: 'CUSTOM_CHALLENGE',
    Session: 'session-1',
    ChallengeParameters: { USERNAME: SUB },
  };

  it('starts CUSTOM_AUTH with the email and answers the challenge with the token', async () => {
    const { client, sent } = fakeCognito((command) =>
      command instanceof AdminInitiateAuthCommand ? challenge : { AuthenticationResult: result },
    );
    const tokens = await createCognitoCustomAuth(client, pool).signIn('ana@example.com', 'the-token');
    expect(tokens).toEqual({
      accessToken: 'access',
      idToken: 'id',
      refreshToken: 'refresh',
      expiresIn: 3600,
      tokenType: 'Bearer',
    });
    expect(sent.map((command) => (command as { input: unknown }).input)).toEqual([
      {
        UserPoolId: pool.userPoolId,
        ClientId: pool.clientId,
        AuthFlow: 'CUSTOM_AUTH',
        AuthParameters: { USERNAME: 'ana@example.com' },
      },
      {
        UserPoolId: pool.userPoolId,
        ClientId: pool.clientId,
        ChallengeName: 'CUSTOM_CHALLENGE',
        Session: 'session-1',
        ChallengeResponses: { USERNAME: SUB, ANSWER: 'the-token' },
      },
    ]);
    expect(sent[1]).toBeInstanceOf(AdminRespondToAuthChallengeCommand);
  });

  it("turns the pool's refusals into no tokens", async () => {
    for (const refusal of [
      new NotAuthorizedException({ message: 'Incorrect username or password.', ...meta }),
      new UserNotFoundException({ message: 'User does not exist.', ...meta }),
    ]) {
      const { client } = fakeCognito((command) =>
        command instanceof AdminInitiateAuthCommand ? challenge : refusal,
      );
      expect(await createCognitoCustomAuth(client, pool).signIn('ana@example.com', 'wrong')).toBeUndefined();
    }
  });

  it('gives no tokens when the pool asks for yet another challenge', async () => {
    const { client } = fakeCognito((command) =>
      command instanceof AdminInitiateAuthCommand ? challenge : { ...challenge, Session: 'session-2' },
    );
    expect(
      await createCognitoCustomAuth(client, pool).signIn('ana@example.com', 'the-token'),
    ).toBeUndefined();
  });

  it('lets a fault of the pool through, so it is a 500 and not a refused link', async () => {
    const { client } = fakeCognito(() => new InternalErrorException({ message: 'internal', ...meta }));
    await expect(createCognitoCustomAuth(client, pool).signIn('ana@example.com', 'x')).rejects.toBeInstanceOf(
      InternalErrorException,
    );
  });
});
