/**
 * The magic link's custom auth challenge: the rules of Cognito's three trigger Lambdas
 * (functions/auth-challenge-*), as functions of the trigger events, so the deployed triggers, the
 * in-process tests and the local server's stand-in for the pool all run the same code.
 *
 * The conversation, for `InitiateAuth(CUSTOM_AUTH, USERNAME=email)` then
 * `RespondToAuthChallenge(CUSTOM_CHALLENGE, ANSWER=token)`:
 * 1. Define (empty session): ask for one CUSTOM_CHALLENGE.
 * 2. Create: the challenge is "the magic link token" (nothing is sent: the link was mailed by
 *    `POST /v1/auth/magic-link`).
 * 3. Verify: the answer is right when it consumes the user's pending link (hash matches, not
 *    expired; one conditional delete, so it works once).
 * 4. Define (session with that one result): tokens if it was right, else the sign-in fails. One
 *    answer only: a wrong token ends the attempt (a link is clicked, not typed; nothing to retry).
 */
import type {
  CreateAuthChallengeTriggerEvent,
  DefineAuthChallengeTriggerEvent,
  VerifyAuthChallengeResponseTriggerEvent,
} from 'aws-lambda';
import type { Clock } from '../../ids.ts';
import type { MagicLinkRepository } from './magic-link.repository.ts';
import { hashMagicLinkToken, isMagicLinkToken } from './magic-link-token.ts';

/** Names our challenge in the session, so Define knows its own result from any other. */
export const MAGIC_LINK_CHALLENGE = 'MAGIC_LINK';

/** Define: the next step of the conversation. */
export function defineMagicLinkChallenge(
  event: DefineAuthChallengeTriggerEvent,
): DefineAuthChallengeTriggerEvent {
  const { session, userNotFound } = event.request;
  const fail = { issueTokens: false, failAuthentication: true };
  if (userNotFound) return { ...event, response: fail };
  if (session.length === 0) {
    return {
      ...event,
      response: { challengeName: 'CUSTOM_CHALLENGE', issueTokens: false, failAuthentication: false },
    };
  }
  const [only] = session;
  const answered =
    session.length === 1 &&
    only?.challengeName === 'CUSTOM_CHALLENGE' &&
    only.challengeMetadata === MAGIC_LINK_CHALLENGE &&
    only.challengeResult === true;
  return {
    ...event,
    response: answered ? { issueTokens: true, failAuthentication: false } : fail,
  };
}

/** Create: the magic link challenge (the client answers with the link's token). */
export function createMagicLinkChallenge(
  event: CreateAuthChallengeTriggerEvent,
): CreateAuthChallengeTriggerEvent {
  if (event.request.challengeName !== 'CUSTOM_CHALLENGE') {
    throw new Error(`Create auth challenge: unexpected challenge ${event.request.challengeName}`);
  }
  return {
    ...event,
    response: {
      publicChallengeParameters: { challenge: MAGIC_LINK_CHALLENGE },
      privateChallengeParameters: {},
      challengeMetadata: MAGIC_LINK_CHALLENGE,
    },
  };
}

/** Verify: consumes the user's pending link if the answer is its token. */
export async function verifyMagicLinkAnswer(
  event: VerifyAuthChallengeResponseTriggerEvent,
  deps: { readonly links: Pick<MagicLinkRepository, 'consume'>; readonly clock: Clock },
): Promise<VerifyAuthChallengeResponseTriggerEvent> {
  const userId = event.request.userAttributes.sub;
  const answer = event.request.challengeAnswer;
  const correct =
    !event.request.userNotFound &&
    typeof userId === 'string' &&
    userId !== '' &&
    typeof answer === 'string' &&
    isMagicLinkToken(answer) &&
    (await deps.links.consume(userId, hashMagicLinkToken(answer), deps.clock()));
  return { ...event, response: { answerCorrect: correct } };
}
