/**
 * What tenant-scoped credentials cost (shared/db/tenant-credentials.ts): one GetItem of a tenant's
 * item through the table client, in a request scope bound to the tenant, with and without the
 * tenant-data role's credentials, on the local stack (moto's DynamoDB and STS, loopback). Prints:
 *
 * - the first tenant request of a container (loads the STS client, one AssumeRole);
 * - a tenant's first request in a warm container (one AssumeRole), median over tenants;
 * - warm requests (credentials cached), p50/p99, against the same requests without scoping;
 * - STS calls per tenant per container after many requests of many tenants.
 *
 * Run by `npm run bench` in a process of its own; alone: `node scripts/bench/isolation.ts`.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient, type DocumentClient } from '../../shared/db/client.ts';
import { keys } from '../../shared/db/keys.ts';
import { createTenantCredentials } from '../../shared/db/tenant-credentials.ts';
import { enterTenantScope, runInRequestScope } from '../../shared/db/tenant-scope.ts';
import { newId } from '../../shared/ids.ts';
import { ensureEmulators } from '../emulators/install.ts';
import { startMoto } from '../emulators/moto.ts';
import { handlerEnvironment, localTenantDataRoleArn } from '../local/env.ts';
import { createLocalResources } from '../local/resources.ts';
import { ms, percentile } from './stats.ts';

const TENANTS = 20;
const WARM_REQUESTS = 300;

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
const region = 'us-east-1';
await ensureEmulators(['moto']);
const moto = await startMoto();
try {
  const resources = await createLocalResources({ endpoint: moto.endpoint, region, stage: 'bench-isolation' });
  Object.assign(process.env, handlerEnvironment(resources, 'http://127.0.0.1'));
  const credentials = createTenantCredentials({
    roleArn: localTenantDataRoleArn(resources.stage),
    region,
    endpoint: moto.endpoint,
  });
  const scoped = createDocumentClient({ region, endpoint: moto.endpoint, tenantCredentials: credentials });
  const plain = createDocumentClient({ region, endpoint: moto.endpoint });
  const tenants = Array.from({ length: TENANTS + 1 }, () => newId());
  for (const tenantId of tenants) {
    await plain.send(
      new PutCommand({ TableName: resources.tableName, Item: { ...keys.tenant(tenantId), name: 'Bench' } }),
    );
  }

  /** One tenant request: a GetItem of the tenant's item, in a scope bound to the tenant. */
  const request = async (client: DocumentClient, tenantId: string) => {
    const started = performance.now();
    await runInRequestScope(async () => {
      enterTenantScope(tenantId);
      await client.send(new GetCommand({ TableName: resources.tableName, Key: keys.tenant(tenantId) }));
    });
    return performance.now() - started;
  };

  // Both clients open their connection first, so only the credentials differ.
  await plain.send(new GetCommand({ TableName: resources.tableName, Key: keys.tenant('warmup') }));
  await scoped.send(new GetCommand({ TableName: resources.tableName, Key: keys.tenant('warmup') }));

  const [first, ...others] = tenants as [string, ...string[]];
  const containerFirst = await request(scoped, first);
  const tenantFirst = [];
  for (const tenantId of others) tenantFirst.push(await request(scoped, tenantId));
  const plainFirst = [];
  for (const tenantId of others) plainFirst.push(await request(plain, tenantId));

  const warmScoped: number[] = [];
  const warmPlain: number[] = [];
  for (let i = 0; i < WARM_REQUESTS; i++) {
    const tenantId = others[i % others.length] as string;
    warmScoped.push(await request(scoped, tenantId));
    warmPlain.push(await request(plain, tenantId));
  }
  const calls = [...credentials.assumeRoleCalls.values()];

  console.log(`\n## Tenant-scoped credentials\n`);
  console.log(
    `One GetItem of a tenant's item through the table client in a request scope bound to the tenant (shared/db/tenant-scope.ts), ` +
      `signed with the tenant-data role's session (STS AssumeRole, tag tenantId) or with the function's credentials; moto's DynamoDB and STS on loopback. ` +
      `${TENANTS} tenants, ${WARM_REQUESTS} warm requests each way, interleaved. On AWS an in-region AssumeRole takes tens of milliseconds: ` +
      'the cold rows are a floor, the warm rows are what every later request pays.\n',
  );
  console.log('| request | scoped credentials | function credentials | difference |');
  console.log('|---|---:|---:|---:|');
  const median = (samples: number[]) => percentile(samples, 50);
  console.log(
    `| container's first tenant request (STS client load + AssumeRole) | ${ms(containerFirst)} | – | – |`,
  );
  console.log(
    `| tenant's first request, warm container (AssumeRole), median | ${ms(median(tenantFirst))} | ${ms(median(plainFirst))} | ${ms(median(tenantFirst) - median(plainFirst))} |`,
  );
  console.log(
    `| warm request, p50 | ${ms(percentile(warmScoped, 50))} | ${ms(percentile(warmPlain, 50))} | ${ms(percentile(warmScoped, 50) - percentile(warmPlain, 50))} |`,
  );
  console.log(
    `| warm request, p99 | ${ms(percentile(warmScoped, 99))} | ${ms(percentile(warmPlain, 99))} | ${ms(percentile(warmScoped, 99) - percentile(warmPlain, 99))} |`,
  );
  console.log(
    `\nSTS AssumeRole calls per tenant in this container after ${WARM_REQUESTS + TENANTS + 1} requests of ${TENANTS + 1} tenants: ` +
      `min ${Math.min(...calls)}, max ${Math.max(...calls)} (sessions last 15 minutes and are renewed 5 minutes before they end: ` +
      'at most one call per tenant per 10 minutes of a warm container).',
  );
} finally {
  await moto.stop();
}
