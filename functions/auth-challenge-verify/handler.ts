import type { VerifyAuthChallengeResponseTriggerEvent } from 'aws-lambda';
import { readAuthChallengeEnv } from '#shared/auth/magic-link/auth-challenge.env.ts';
import { verifyMagicLinkAnswer } from '#shared/auth/magic-link/auth-challenge.ts';
import { createMagicLinkRepository } from '#shared/auth/magic-link/magic-link.repository.ts';
import { createDocumentClient } from '#shared/db/client.ts';
import { systemClock } from '#shared/ids.ts';

const env = readAuthChallengeEnv();
const links = createMagicLinkRepository({
  client: createDocumentClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL }),
  tableName: env.TABLE_NAME,
});

/**
 * Cognito's VerifyAuthChallengeResponse trigger: the answer is right when it consumes the user's
 * pending magic link (one conditional DeleteItem; the role may do nothing else).
 */
export const handler = async (event: VerifyAuthChallengeResponseTriggerEvent) =>
  verifyMagicLinkAnswer(event, { links, clock: systemClock });
