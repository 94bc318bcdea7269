import type { DefineAuthChallengeTriggerEvent } from 'aws-lambda';
import { defineMagicLinkChallenge } from '#shared/auth/magic-link/auth-challenge.ts';

/** Cognito's DefineAuthChallenge trigger: the magic link's custom auth conversation (no I/O). */
export const handler = async (event: DefineAuthChallengeTriggerEvent) => defineMagicLinkChallenge(event);
