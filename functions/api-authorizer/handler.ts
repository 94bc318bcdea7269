import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { readAuthorizerEnv } from '#shared/api-clients/authorizer.env.ts';
import {
  createAccessTokenVerifier,
  createKeyLookup,
  createRequestAuthorizer,
} from '#shared/api-clients/authorizer.ts';
import { createDocumentClient } from '#shared/db/client.ts';

const env = readAuthorizerEnv();
const authorizer = createRequestAuthorizer({
  findKey: createKeyLookup({
    client: createDocumentClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL }),
    tableName: env.TABLE_NAME,
  }),
  verifyAccessToken: createAccessTokenVerifier({
    region: env.AWS_REGION,
    userPoolId: env.USER_POOL_ID,
    clientIds: env.USER_POOL_CLIENT_IDS,
    jwksUri: env.COGNITO_JWKS_URI,
  }),
});

/**
 * The HTTP API's REQUEST authorizer (simple responses, cached per `Authorization` header) on the
 * routes API keys may call: API keys and Cognito users' access tokens (shared/api-clients/authorizer.ts).
 */
export const handler = async (event: APIGatewayRequestAuthorizerEventV2) => {
  const header = event.headers?.authorization ?? event.identitySource?.[0];
  return authorizer.authorize(header);
};
