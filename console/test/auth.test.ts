import { describe, expect, it, vi } from 'vitest';
import { CognitoError, createCognito, type Tokens } from '../src/auth/cognito.ts';
import { createSession, identityOf, may, REFRESH_MARGIN_MS } from '../src/auth/session.ts';
import type { ConsoleConfig } from '../src/config.ts';
import { loadConfig } from '../src/config.ts';
import { tokensFor } from './support.ts';

const config: ConsoleConfig = {
  region: 'us-east-1',
  userPoolId: 'us-east-1_pool',
  clientId: 'client-1',
  cognitoEndpoint: '/console/cognito',
};

function cognitoAnswering(...answers: { status?: number; body: unknown }[]) {
  const calls: { target: string | null; body: Record<string, unknown> }[] = [];
  const fetch = vi.fn(async (_url: RequestInfo | URL, init?: RequestInit) => {
    calls.push({
      target: new Headers(init?.headers).get('x-amz-target'),
      body: JSON.parse(String(init?.body)) as Record<string, unknown>,
    });
    const answer = answers.shift() ?? { status: 500, body: {} };
    return new Response(JSON.stringify(answer.body), { status: answer.status ?? 200 });
  });
  return { cognito: createCognito(config, fetch as unknown as typeof globalThis.fetch, () => 1_000), calls };
}

const result = { AccessToken: 'a', IdToken: 'i', RefreshToken: 'r', ExpiresIn: 3600 };

describe('signing in with Cognito', () => {
  it('asks for the authenticator-app code when the account has MFA', async () => {
    const { cognito, calls } = cognitoAnswering({
      body: { ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: 's-1' },
    });
    expect(await cognito.signIn('op@example.com', 'pw')).toEqual({ kind: 'mfa', session: 's-1' });
    expect(calls[0]).toEqual({
      target: 'AWSCognitoIdentityProviderService.InitiateAuth',
      body: {
        ClientId: 'client-1',
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: 'op@example.com', PASSWORD: 'pw' },
      },
    });
  });

  it('answers the MFA challenge with the code and returns the tokens', async () => {
    const { cognito, calls } = cognitoAnswering({ body: { AuthenticationResult: result } });
    const tokens = await cognito.answerMfa('op@example.com', 's-1', '123456');
    expect(tokens).toEqual({
      accessToken: 'a',
      idToken: 'i',
      refreshToken: 'r',
      expiresAt: 1_000 + 3_600_000,
    });
    expect(calls[0]?.body).toMatchObject({
      ChallengeName: 'SOFTWARE_TOKEN_MFA',
      Session: 's-1',
      ChallengeResponses: { USERNAME: 'op@example.com', SOFTWARE_TOKEN_MFA_CODE: '123456' },
    });
  });

  it('refreshes with REFRESH_TOKEN_AUTH and keeps the refresh token Cognito does not resend', async () => {
    const { cognito, calls } = cognitoAnswering({
      body: { AuthenticationResult: { AccessToken: 'a2', IdToken: 'i2', ExpiresIn: 3600 } },
    });
    const tokens = await cognito.refresh('r');
    expect(tokens.refreshToken).toBe('r');
    expect(calls[0]?.body).toMatchObject({
      AuthFlow: 'REFRESH_TOKEN_AUTH',
      AuthParameters: { REFRESH_TOKEN: 'r' },
    });
  });

  it('reports Cognito’s refusal by its type', async () => {
    const { cognito } = cognitoAnswering({
      status: 400,
      body: { __type: 'NotAuthorizedException', message: 'Incorrect username or password.' },
    });
    const error = await cognito.signIn('op@example.com', 'wrong').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CognitoError);
    expect(error).toMatchObject({ type: 'NotAuthorizedException' });
  });
});

describe('the session', () => {
  it('reads the operator roles from the access token’s groups, ignoring other groups', () => {
    const identity = identityOf(tokensFor(['support', 'beta-testers']));
    expect(identity.roles).toEqual(['support']);
    expect(identity.username).toBe('op@example.com');
  });

  it('allows what the API’s permission table allows the role, and nothing else', () => {
    const support = identityOf(tokensFor(['support']));
    const finance = identityOf(tokensFor(['finance']));
    expect([may(support, 'accounts:suspend'), may(support, 'billing:adjust')]).toEqual([true, false]);
    expect([may(finance, 'accounts:suspend'), may(finance, 'billing:adjust')]).toEqual([false, true]);
  });

  it('refreshes the tokens a few minutes before the access token expires', async () => {
    const timers: { run: () => void; ms: number }[] = [];
    const fresh: Tokens = { ...tokensFor(['support']), accessToken: 'fresh' };
    const refresh = vi.fn(async () => fresh);
    const session = createSession({
      cognito: { refresh } as never,
      now: () => 0,
      setTimer: (run, ms) => timers.push({ run, ms }),
      clearTimer: () => undefined,
    });
    session.start({ ...tokensFor(['support']), expiresAt: 3_600_000 });
    expect(timers.at(-1)?.ms).toBe(3_600_000 - REFRESH_MARGIN_MS);
    timers.at(-1)?.run();
    await vi.waitFor(() => expect(session.accessToken()).toBe('fresh'));
    expect(refresh).toHaveBeenCalledWith('refresh-1');
  });

  it('ends the session and says so when the refresh token is refused', async () => {
    const onExpired = vi.fn();
    const session = createSession({
      cognito: {
        refresh: async () => Promise.reject(new CognitoError('NotAuthorizedException', 'expired')),
      } as never,
      setTimer: () => undefined,
      clearTimer: () => undefined,
      onExpired,
    });
    session.start(tokensFor(['support']));
    expect(await session.refresh()).toBeUndefined();
    expect(session.accessToken()).toBeUndefined();
    expect(onExpired).toHaveBeenCalledOnce();
  });
});

describe('the runtime configuration', () => {
  it('refuses a config.json without the Cognito client id', async () => {
    const fetch = async () => new Response(JSON.stringify({ ...config, clientId: '' }));
    await expect(loadConfig(fetch as unknown as typeof globalThis.fetch)).rejects.toThrow(/clientId/);
  });
});
