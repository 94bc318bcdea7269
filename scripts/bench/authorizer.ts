/**
 * `node scripts/bench/authorizer.ts [--calls N]`: what the API authorizer (functions/api-authorizer)
 * costs per call on the local stack, printed as Markdown; asserts nothing. Its cold init is in the
 * bundle table of `npm run bench` (section 1, `api-authorizer`).
 *
 * - API key: one strongly consistent GetItem of the key item (1 RCU) and a SHA-256, per call.
 * - Access token: the signature check with the JWKS already cached (no DynamoDB read).
 * - Through the local server: `GET …/projects` with a key, authorizer answers cached per header
 *   (as API Gateway caches them for 60 s), against the same route with a user's token.
 * Warm figures: `--warmup` untimed calls first, then `--calls` timed ones, one after another.
 */
import { parseArgs } from 'node:util';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { startBenchStack } from './bench-stack.ts';
import { ms, percentile } from './stats.ts';

const { values } = parseArgs({
  options: { calls: { type: 'string', default: '300' }, warmup: { type: 'string', default: '20' } },
});
const calls = Number(values.calls);
const warmup = Number(values.warmup);
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

async function timed(n: number, run: () => Promise<void>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  return samples;
}

const row = (name: string, samples: number[]) =>
  `| ${name} | ${ms(percentile(samples, 50))} | ${ms(percentile(samples, 99))} |`;

const stack = await startBenchStack({ name: 'bench-authorizer' });
try {
  const { tenantId, accessToken, ownerHeaders: asUser } = stack;
  const post = async (path: string, body: unknown, headers: Record<string, string>) =>
    (await fetch(`${stack.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) })).json();
  const { key } = (await post(
    `/v1/tenants/${tenantId}/api-clients`,
    { name: 'Bench', scopes: ['projects:read'] },
    asUser,
  )) as { key: string };

  const { handler } = await import('../../functions/api-authorizer/handler.ts');
  const event = (authorization: string) =>
    ({
      headers: { authorization },
      identitySource: [authorization],
    }) as unknown as APIGatewayRequestAuthorizerEventV2;
  const call = (authorization: string) => async () => {
    const answer = await handler(event(authorization));
    if (answer.context.principal === 'none') throw new Error(`refused: ${answer.context.reason}`);
  };
  const get = (authorization: string) => async () => {
    const response = await fetch(`${stack.url}/v1/tenants/${tenantId}/projects`, {
      headers: { authorization },
    });
    await response.text();
    if (response.status !== 200) throw new Error(`GET projects answered ${response.status}`);
  };

  await timed(warmup, call(`Bearer ${key}`));
  const keyCalls = await timed(calls, call(`Bearer ${key}`));
  await timed(warmup, call(`Bearer ${accessToken}`));
  const tokenCalls = await timed(calls, call(`Bearer ${accessToken}`));
  await timed(warmup, get(`Bearer ${key}`));
  const keyRequests = await timed(calls, get(`Bearer ${key}`));
  await timed(warmup, get(`Bearer ${accessToken}`));
  const userRequests = await timed(calls, get(`Bearer ${accessToken}`));

  console.log(`\n## API authorizer (warm, ${calls} calls each, local moto on loopback)\n`);
  console.log('| what | p50 | p99 |');
  console.log('|---|---:|---:|');
  console.log(row('authorizer: API key (GetItem + SHA-256, uncached)', keyCalls));
  console.log(row('authorizer: access token (JWKS cached)', tokenCalls));
  console.log(row('GET …/projects with an API key (answer cached)', keyRequests));
  console.log(row('GET …/projects with a user token (answer cached)', userRequests));
} finally {
  await stack.close();
}
