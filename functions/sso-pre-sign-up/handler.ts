import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { PreSignUpTriggerEvent } from 'aws-lambda';
import { createDocumentClient } from '#shared/db/client.ts';
import { newId, systemClock } from '#shared/ids.ts';
import { traceClient } from '#shared/observability/tracer.ts';
import { createCognitoFederationDirectory } from '#shared/sso/federation-directory.ts';
import { createSsoRepository } from '#shared/sso/sso.repository.ts';
import { linkFederatedSignUp } from '#shared/sso/sso-triggers.ts';
import { readTriggerEnv } from '#shared/sso/trigger.env.ts';

// The user pool's PreSignUp trigger: links a first federated sign-in to the password user of the
// same email (shared/sso/sso-triggers.ts).
const env = readTriggerEnv();
const db = {
  client: createDocumentClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL }),
  tableName: env.TABLE_NAME,
};
const repo = createSsoRepository(db, { clock: systemClock, newId: () => newId() });
const directory = createCognitoFederationDirectory(
  traceClient(new CognitoIdentityProviderClient({ region: env.AWS_REGION })),
);

export const handler = (event: PreSignUpTriggerEvent) => linkFederatedSignUp(event, { repo, directory });
