import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { freeBillingState } from '../../shared/billing/billing.schema.ts';
import { createDocumentClient } from '../../shared/db/client.ts';
import { keys } from '../../shared/db/keys.ts';
import { ensureEmulators } from '../emulators/install.ts';
import { startMoto } from '../emulators/moto.ts';
import { localClientConfig } from '../local/aws.ts';
import { createConfirmedUser, generatePassword, signIn } from '../local/cognito.ts';
import { handlerEnvironment } from '../local/env.ts';
import { createLocalResources } from '../local/resources.ts';

export interface BenchStack {
  /** The local API server's base URL. */
  readonly url: string;
  /** Headers of the tenant owner's requests: their access token and a JSON body type. */
  readonly ownerHeaders: Readonly<Record<string, string>>;
  readonly accessToken: string;
  /** A tenant the owner made through the API, on the Business plan. */
  readonly tenantId: string;
  close(): Promise<void>;
}

/**
 * What the request benches start from: a fresh moto, the resources from the shared definitions, the
 * local API server (JWT check, handlers in process), one owner signed in, and their tenant made
 * through `POST /v1/tenants` and then put on the Business plan, so neither the Free plan's project
 * limit nor its API rate limit cuts a run short.
 */
export async function startBenchStack(options: {
  readonly name: string;
  readonly region?: string;
}): Promise<BenchStack> {
  const region = options.region ?? 'us-east-1';
  await ensureEmulators(['moto']);
  const moto = await startMoto();
  const cognito = new CognitoIdentityProviderClient(localClientConfig({ endpoint: moto.endpoint, region }));
  let server: { url: string; close(): Promise<void> } | undefined;
  const close = async () => {
    await server?.close();
    cognito.destroy();
    await moto.stop();
  };
  try {
    const resources = await createLocalResources({ endpoint: moto.endpoint, region, stage: 'bench' });
    Object.assign(process.env, handlerEnvironment(resources, 'http://127.0.0.1'));
    // The server imports the handlers, which read the environment: import it after setting it.
    const { startLocalServer } = await import('../local/server.ts');
    server = await startLocalServer({
      region,
      userPoolId: resources.userPoolId,
      clientId: resources.clientId,
      cognitoEndpoint: moto.endpoint,
    });
    const user = { email: `${options.name}@plinth.local`, password: generatePassword() };
    await createConfirmedUser(cognito, resources, user);
    const { accessToken } = await signIn(cognito, resources, user);
    const ownerHeaders = { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' };
    const response = await fetch(`${server.url}/v1/tenants`, {
      method: 'POST',
      headers: ownerHeaders,
      body: JSON.stringify({ name: 'Bench', slug: options.name }),
    });
    if (response.status !== 201) {
      throw new Error(
        `POST /v1/tenants answered ${response.status}: ${(await response.text()).slice(0, 300)}`,
      );
    }
    const { tenantId } = (await response.json()) as { tenantId: string };
    await createDocumentClient({ region, endpoint: moto.endpoint }).send(
      new PutCommand({
        TableName: resources.tableName,
        Item: {
          ...keys.billing(tenantId),
          type: 'billing',
          ...freeBillingState(tenantId, new Date().toISOString()),
          plan: 'business',
          interval: 'month',
          status: 'active',
        },
      }),
    );
    return { url: server.url, ownerHeaders, accessToken, tenantId, close };
  } catch (error) {
    await close();
    throw error;
  }
}
