import type { CreateAuthChallengeTriggerEvent } from 'aws-lambda';
import { createMagicLinkChallenge } from '#shared/auth/magic-link/auth-challenge.ts';

/** Cognito's CreateAuthChallenge trigger: the magic link challenge (no I/O; the link was mailed). */
export const handler = async (event: CreateAuthChallengeTriggerEvent) => createMagicLinkChallenge(event);
