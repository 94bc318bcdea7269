/**
 * The local stand-in for Cognito's custom auth flow (moto runs no Lambda triggers and answers
 * `CUSTOM_AUTH` with nothing). It plays the pool's part of the conversation with the deployed
 * trigger handlers themselves (functions/auth-challenge-{define,create,verify}/handler.ts, called
 * in process with the events Cognito sends them), so the rules that decide, and the table write
 * that consumes the link, are the deployed ones:
 *
 * 1. Define with an empty session, 2. Create for the challenge it names, 3. Verify with the answer,
 * 4. Define with the result; tokens only if Define says `issueTokens`.
 *
 * What it cannot do as Cognito does is issue the tokens: moto issues tokens only to a sign-in flow
 * it knows. It gets them through moto's `USER_SRP_AUTH`, whose password proof moto does not check
 * (it issues tokens for any proof), so the tokens are the emulator's own (its JWKS verifies them,
 * its refresh and GetUser accept them). That gap of the emulator is used here and only here, after
 * the triggers said yes. Disabled users are refused before the triggers run, as Cognito does.
 */
import { randomBytes } from 'node:crypto';
import {
  AdminGetUserCommand,
  type CognitoIdentityProviderClient,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import type {
  CreateAuthChallengeTriggerEvent,
  DefineAuthChallengeTriggerEvent,
  VerifyAuthChallengeResponseTriggerEvent,
} from 'aws-lambda';
import { once } from '../../shared/app/deferred.ts';
import { tokensOf } from '../../shared/auth/magic-link/cognito-custom-auth.ts';
import type { SignInTokens } from '../../shared/auth/magic-link/magic-link.schema.ts';
import type { CustomAuthSignIn } from '../../shared/auth/magic-link/magic-link.service.ts';

type Trigger<E> = (event: E) => Promise<E>;

/** The three trigger handlers; by default the deployed ones, imported on first use. */
export interface AuthChallengeTriggers {
  readonly define: Trigger<DefineAuthChallengeTriggerEvent>;
  readonly create: Trigger<CreateAuthChallengeTriggerEvent>;
  readonly verify: Trigger<VerifyAuthChallengeResponseTriggerEvent>;
}

/** Imported when first needed: the verify trigger reads the environment at import, as in Lambda. */
export async function loadAuthChallengeTriggers(): Promise<AuthChallengeTriggers> {
  const [define, create, verify] = await Promise.all([
    import('../../functions/auth-challenge-define/handler.ts'),
    import('../../functions/auth-challenge-create/handler.ts'),
    import('../../functions/auth-challenge-verify/handler.ts'),
  ]);
  return { define: define.handler, create: create.handler, verify: verify.handler };
}

export interface LocalCustomAuthPool {
  readonly region: string;
  readonly userPoolId: string;
  readonly clientId: string;
}

type ChallengeResult = DefineAuthChallengeTriggerEvent['request']['session'][number];

export function createLocalCustomAuth(
  cognito: CognitoIdentityProviderClient,
  pool: LocalCustomAuthPool,
  loadTriggers: () => Promise<AuthChallengeTriggers> = loadAuthChallengeTriggers,
): CustomAuthSignIn {
  const triggers = once(loadTriggers);

  /** The fields Cognito puts in every trigger event. */
  const common = <S extends string>(triggerSource: S, userName: string) => ({
    version: '1',
    region: pool.region,
    userPoolId: pool.userPoolId,
    triggerSource,
    userName,
    callerContext: { awsSdkVersion: 'aws-sdk-js-3', clientId: pool.clientId },
  });

  async function account(email: string) {
    try {
      const user = await cognito.send(
        new AdminGetUserCommand({ UserPoolId: pool.userPoolId, Username: email }),
      );
      const attributes = Object.fromEntries(
        (user.UserAttributes ?? []).flatMap((a) =>
          a.Name && a.Value !== undefined ? [[a.Name, a.Value]] : [],
        ),
      );
      return {
        userName: user.Username ?? email,
        enabled: user.Enabled !== false,
        userAttributes: { ...attributes, 'cognito:user_status': user.UserStatus ?? 'CONFIRMED' },
      };
    } catch (error) {
      if (error instanceof UserNotFoundException) return undefined;
      throw error;
    }
  }

  /** Tokens for the user from the emulator (see the module comment: moto does not check SRP proofs). */
  async function issueTokens(email: string): Promise<SignInTokens | undefined> {
    const started = await cognito.send(
      new InitiateAuthCommand({
        ClientId: pool.clientId,
        AuthFlow: 'USER_SRP_AUTH',
        AuthParameters: { USERNAME: email, SRP_A: randomBytes(32).toString('hex') },
      }),
    );
    const secretBlock = started.ChallengeParameters?.SECRET_BLOCK;
    if (started.ChallengeName !== 'PASSWORD_VERIFIER' || !secretBlock) return undefined;
    const answered = await cognito.send(
      new RespondToAuthChallengeCommand({
        ClientId: pool.clientId,
        ChallengeName: 'PASSWORD_VERIFIER',
        Session: started.Session,
        ChallengeResponses: {
          USERNAME: email,
          PASSWORD_CLAIM_SECRET_BLOCK: secretBlock,
          PASSWORD_CLAIM_SIGNATURE: randomBytes(32).toString('base64'),
          TIMESTAMP: new Date().toUTCString(),
        },
      }),
    );
    return tokensOf(answered.AuthenticationResult);
  }

  return {
    async signIn(email, token) {
      const { define, create, verify } = await triggers();
      const user = await account(email);
      // Cognito refuses a disabled user before any trigger runs.
      if (user && !user.enabled) return undefined;
      const userName = user?.userName ?? email;
      const userAttributes = user?.userAttributes ?? {};
      const userNotFound = user === undefined;

      const session: ChallengeResult[] = [];
      const first = await define({
        ...common('DefineAuthChallenge_Authentication', userName),
        request: { userAttributes, session: [], userNotFound },
        response: { issueTokens: false, failAuthentication: false },
      });
      if (first.response.failAuthentication || first.response.issueTokens) return undefined;
      // The session route has one answer to give: a conversation of one custom challenge.
      if (first.response.challengeName !== 'CUSTOM_CHALLENGE') return undefined;
      const created = await create({
        ...common('CreateAuthChallenge_Authentication', userName),
        request: { userAttributes, challengeName: 'CUSTOM_CHALLENGE', session: [], userNotFound },
        response: { publicChallengeParameters: {}, privateChallengeParameters: {}, challengeMetadata: '' },
      });
      const verified = await verify({
        ...common('VerifyAuthChallengeResponse_Authentication', userName),
        request: {
          userAttributes,
          privateChallengeParameters: created.response.privateChallengeParameters,
          challengeAnswer: token,
          userNotFound,
        },
        response: { answerCorrect: false },
      });
      session.push({
        challengeName: 'CUSTOM_CHALLENGE',
        challengeResult: verified.response.answerCorrect,
        challengeMetadata: created.response.challengeMetadata,
      });
      const last = await define({
        ...common('DefineAuthChallenge_Authentication', userName),
        request: { userAttributes, session, userNotFound },
        response: { issueTokens: false, failAuthentication: false },
      });
      if (!last.response.issueTokens || last.response.failAuthentication) return undefined;
      return issueTokens(email);
    },
  };
}
