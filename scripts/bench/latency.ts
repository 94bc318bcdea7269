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
import { percentile } from './stats.ts';

export interface LatencyOptions {
  /** Timed requests, sent one after another. */
  readonly requests: number;
  /** Untimed requests first: handler imports, JWKS fetch, connection setup. */
  readonly warmup: number;
  /** Projects in the tenant, so each response is a page of this many items (at most 25). */
  readonly projects: number;
  readonly region?: string;
}

export interface LatencyReport {
  readonly route: string;
  readonly requests: number;
  readonly itemsPerPage: number;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  readonly max: number;
}

async function send(url: string, init: RequestInit & { expect: number }): Promise<unknown> {
  const response = await fetch(url, init);
  const text = await response.text();
  if (response.status !== init.expect) {
    throw new Error(`${init.method ?? 'GET'} ${url} answered ${response.status}: ${text.slice(0, 300)}`);
  }
  return text ? JSON.parse(text) : undefined;
}

/**
 * p50/p99 of `GET /v1/tenants/{id}/projects` against the local stack: moto, the resources from the
 * shared definitions and the local API server (JWT check, handler in process), all on loopback. A
 * fresh moto and table per run; the tenant and its projects are made through the API itself.
 */
export async function measureListProjectsLatency(options: LatencyOptions): Promise<LatencyReport> {
  const region = options.region ?? 'us-east-1';
  await ensureEmulators(['moto']);
  const moto = await startMoto();
  const cognito = new CognitoIdentityProviderClient(localClientConfig({ endpoint: moto.endpoint, region }));
  try {
    const resources = await createLocalResources({ endpoint: moto.endpoint, region, stage: 'bench' });
    Object.assign(process.env, handlerEnvironment(resources, 'http://127.0.0.1'));
    // The server imports the handlers, which read the environment: import it after setting it.
    const { startLocalServer } = await import('../local/server.ts');
    const server = await startLocalServer({
      region,
      userPoolId: resources.userPoolId,
      clientId: resources.clientId,
      cognitoEndpoint: moto.endpoint,
    });
    try {
      const user = { email: 'bench-owner@plinth.local', password: generatePassword() };
      await createConfirmedUser(cognito, resources, user);
      const { accessToken } = await signIn(cognito, resources, user);
      const headers = { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' };

      const tenant = (await send(`${server.url}/v1/tenants`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: 'Bench', slug: 'bench' }),
        expect: 201,
      })) as { tenantId: string };
      // A paying tenant, so the Free plan's project limit does not stop the page from filling up.
      const db = createDocumentClient({ region, endpoint: moto.endpoint });
      await db.send(
        new PutCommand({
          TableName: resources.tableName,
          Item: {
            ...keys.billing(tenant.tenantId),
            type: 'billing',
            ...freeBillingState(tenant.tenantId, new Date().toISOString()),
            plan: 'business',
            interval: 'month',
            status: 'active',
          },
        }),
      );
      const listUrl = `${server.url}/v1/tenants/${tenant.tenantId}/projects`;
      for (let i = 0; i < options.projects; i++) {
        await send(listUrl, {
          method: 'POST',
          headers,
          body: JSON.stringify({ name: `Project ${i}`, slug: `project-${i}` }),
          expect: 201,
        });
      }

      let itemsPerPage = 0;
      for (let i = 0; i < options.warmup; i++) {
        const page = (await send(listUrl, { headers, expect: 200 })) as { items: unknown[] };
        itemsPerPage = page.items.length;
      }
      const samples: number[] = [];
      for (let i = 0; i < options.requests; i++) {
        const started = performance.now();
        await send(listUrl, { headers, expect: 200 });
        samples.push(performance.now() - started);
      }
      return {
        route: 'GET /v1/tenants/{tenantId}/projects',
        requests: samples.length,
        itemsPerPage,
        p50: percentile(samples, 50),
        p99: percentile(samples, 99),
        mean: samples.reduce((a, b) => a + b, 0) / samples.length,
        max: Math.max(...samples),
      };
    } finally {
      await server.close();
    }
  } finally {
    cognito.destroy();
    await moto.stop();
  }
}
