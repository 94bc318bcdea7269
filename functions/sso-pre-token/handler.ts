import type { Context, PreTokenGenerationTriggerEvent } from 'aws-lambda';
import { createDocumentClient } from '#shared/db/client.ts';
import { newId, systemClock } from '#shared/ids.ts';
import { createSsoRepository } from '#shared/sso/sso.repository.ts';
import { joinOnFederatedSignIn } from '#shared/sso/sso-triggers.ts';
import { readTriggerEnv } from '#shared/sso/trigger.env.ts';

// The user pool's PreTokenGeneration trigger: just-in-time membership on a federated sign-in
// (shared/sso/sso-triggers.ts).
const env = readTriggerEnv();
const db = {
  client: createDocumentClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL }),
  tableName: env.TABLE_NAME,
};
const repo = createSsoRepository(db, { clock: systemClock, newId: () => newId() });

export const handler = (event: PreTokenGenerationTriggerEvent, context: Context) =>
  joinOnFederatedSignIn(event, { repo, clock: systemClock, requestId: context.awsRequestId });
