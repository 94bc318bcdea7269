/**
 * `npm run dev`: the whole backend on this machine.
 *
 * 1. installs the emulators if missing (`.venv/` with a pinned moto, `.tools/bin/stripe-mock`);
 * 2. starts moto on `PLINTH_MOTO_PORT` (default 5010), request log in `.plinth/moto.log`, and
 *    stripe-mock on `PLINTH_STRIPE_MOCK_PORT` (default 12111);
 * 3. creates the table, user pool, bus + rules (each with its queue and dead-letter queue) and SES
 *    sender from the shared definitions;
 * 4. points the handlers' environment at them (Stripe calls go to stripe-mock, webhooks are verified
 *    with a fresh signing secret) and serves the API and `POST /webhooks/stripe` on `PLINTH_PORT`
 *    (default 3000);
 * 5. runs the event runner: the outbox publisher over the table's stream, each rule's consumer over
 *    its queue, and the schedules at their rate;
 * 6. seeds a demo owner and tenant through the real API; writes `.plinth/local.json`;
 * 7. prints how long the setup took, step by step (the first run installs the emulators). The API
 *    does not wait for stripe-mock (on a first run a Go build): Stripe calls answer 502 until a
 *    line says it is ready.
 * 8. with `--demo-history`, seeds a year of subscription history and rolls it up
 *    (scripts/local/demo-history.ts, as `npm run demo:history`).
 * 9. builds the admin console (console/ → console/dist) and serves it on the API's origin at
 *    `/console/` (scripts/local/console.ts), with its config.json and a Cognito pass-through.
 * Ctrl-C stops everything. moto keeps state in memory, so each run starts empty.
 *
 * Env: PLINTH_PORT, PLINTH_MOTO_PORT, PLINTH_STRIPE_MOCK_PORT, PLINTH_REGION (default us-east-1),
 * APP_URL (invitation and billing links).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { createDocumentClient } from '../shared/db/client.ts';
import { ensureEmulators } from './emulators/install.ts';
import { DEFAULT_MOTO_PORT, MOTO_PORT_ENV, type MotoServer, startMoto } from './emulators/moto.ts';
import { repoRoot } from './emulators/paths.ts';
import { assertPortFree } from './emulators/service.ts';
import {
  DEFAULT_STRIPE_MOCK_PORT,
  STRIPE_MOCK_PORT_ENV,
  type StripeMockServer,
  startStripeMock,
} from './emulators/stripe-mock.ts';
import { localClientConfig } from './local/aws.ts';
import { createConfirmedUser, signIn } from './local/cognito.ts';
import { CONSOLE_PATH } from './local/console.ts';
import { buildConsole } from './local/console-build.ts';
import { type ControlServer, startControlServer } from './local/control.ts';
import { runDemoHistory } from './local/demo-history.ts';
import {
  handlerEnvironment,
  type LocalStackFile,
  localStackFilePath,
  writeLocalStackFile,
} from './local/env.ts';
import { createLocalMetrics } from './local/metrics.ts';
import { createLocalResources, type LocalResources } from './local/resources.ts';
import { createEventRunner, type EventRunner } from './local/runner.ts';
import {
  API_PORT_ENV,
  DEFAULT_API_PORT,
  type LocalServer,
  STRIPE_WEBHOOK_PATH,
  startLocalServer,
} from './local/server.ts';
import { localPriceIds, newWebhookSecret } from './local/stripe.ts';
import { sweepExpiredItems } from './local/ttl-sweep.ts';

/** How often the local stack deletes expired items (DynamoDB's TTL does it within a few days). */
const TTL_SWEEP_MS = 5 * 60_000;

const DEMO = {
  email: 'demo-owner@plinth.local',
  password: 'Plinth-Demo-2024!',
  tenant: { name: 'Demo Company', slug: 'demo' },
} as const;

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error(`${name} must be a port number (1-65535), got "${raw}"`);
  }
  return port;
}

async function main(): Promise<void> {
  const apiPort = portFromEnv(API_PORT_ENV, DEFAULT_API_PORT);
  const motoPort = portFromEnv(MOTO_PORT_ENV, DEFAULT_MOTO_PORT);
  const stripeMockPort = portFromEnv(STRIPE_MOCK_PORT_ENV, DEFAULT_STRIPE_MOCK_PORT);
  const region = process.env.PLINTH_REGION || 'us-east-1';

  let moto: MotoServer | undefined;
  let stripeMock: StripeMockServer | undefined;
  let server: LocalServer | undefined;
  let runner: EventRunner | undefined;
  let control: ControlServer | undefined;
  let ttlSweep: NodeJS.Timeout | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    clearInterval(ttlSweep);
    await control?.close().catch(() => undefined);
    await runner?.stop().catch(() => undefined);
    await server?.close().catch(() => undefined);
    await Promise.all([moto?.stop(), stripeMock?.stop()].map((stopped) => stopped?.catch(() => undefined)));
    await rm(localStackFilePath, { force: true });
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  // `kill <npm pid>` ends npm without signalling us; notice being orphaned and clean up anyway.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stop(0);
  }, 1_000).unref();

  const timings = createStepTimer();
  let starting: Promise<unknown> = Promise.resolve();
  try {
    // Fail before starting anything when the API port is taken.
    await assertPortFree(
      '127.0.0.1',
      apiPort,
      `Is \`npm run dev\` already running? Choose another port with ${API_PORT_ENV}=<port>.`,
    );
    await assertPortFree(
      '127.0.0.1',
      stripeMockPort,
      `Is stripe-mock already running? Choose another port with ${STRIPE_MOCK_PORT_ENV}=<port>.`,
    );
    // Each emulator installs (first run only) and starts on its own, and the resources are created
    // in moto while stripe-mock may still be compiling: on a first run that is most of the wait.
    const motoStarted = ensureEmulators(['moto']).then(() =>
      startMoto({ port: motoPort, logFile: join(repoRoot, '.plinth', 'moto.log') }),
    );
    const stripeMockStarted = ensureEmulators(['stripe-mock']).then(() =>
      startStripeMock({ port: stripeMockPort }),
    );
    // Kept for stop() as soon as each is up, whichever fails first.
    void motoStarted.then(
      (started) => (moto = started),
      () => undefined,
    );
    void stripeMockStarted.then(
      (started) => (stripeMock = started),
      () => undefined,
    );
    starting = Promise.allSettled([motoStarted, stripeMockStarted]);

    moto = await motoStarted;
    void moto.exited.then((reason) => {
      if (stopping) return;
      console.error(`moto ${reason}; stopping (see .plinth/moto.log).`);
      void stop(1);
    });
    timings.step('moto');
    const resources = await createLocalResources({ endpoint: moto.endpoint, region, stage: 'local' });
    timings.step('resources');

    // The API serves as soon as moto is up. On a first run stripe-mock may still be compiling: the
    // functions already point at the address it will listen on, and a Stripe call before it does
    // fails like any Stripe outage (502, nothing changed) until the line below says it is ready.
    const stripeMockEndpoint = `http://127.0.0.1:${stripeMockPort}`;
    // Invitation links point at the web app; locally there is none unless APP_URL names one.
    const appUrl = process.env.APP_URL || `http://localhost:${apiPort}`;
    const stripe = { apiUrl: stripeMockEndpoint, webhookSecret: newWebhookSecret() };
    Object.assign(process.env, handlerEnvironment(resources, appUrl, stripe));
    // The functions' metrics go to moto's CloudWatch, where GET /admin/health reads them.
    const metrics = createLocalMetrics(new CloudWatchClient(localClientConfig(resources)), (error) =>
      console.error('[metrics]', error),
    );
    const consoleDist = await buildConsole();
    timings.step('console build');
    server = await startLocalServer({
      console: { dir: consoleDist },
      metrics,
      stage: resources.stage,
      port: apiPort,
      region,
      userPoolId: resources.userPoolId,
      clientId: resources.clientId,
      ssoClientId: resources.ssoClientId,
      cognitoEndpoint: moto.endpoint,
      log: (line) => console.log(`[api] ${line}`),
    });
    runner = createEventRunner({
      endpoint: resources.endpoint,
      region,
      tableStreamArn: resources.tableStreamArn,
      rules: resources.rules,
      metrics,
      stage: resources.stage,
      log: (line) => console.log(`[events] ${line}`),
      onError: (error, { source }) => console.error(`[events] ${source}:`, error),
    });
    runner.start({ schedules: true });
    // moto never expires items by TTL; this does, as DynamoDB would (scripts/local/ttl-sweep.ts).
    const documents = createDocumentClient({ region, endpoint: resources.endpoint });
    ttlSweep = setInterval(() => {
      sweepExpiredItems(documents, resources.tableName)
        .then((deleted) => {
          if (deleted > 0) console.log(`[ttl] ${deleted} expired item(s) deleted`);
        })
        .catch((error: unknown) => console.error('[ttl]', error));
    }, TTL_SWEEP_MS);
    control = await startControlServer({ runner, log: (line) => console.log(`[events] ${line}`) });

    const tenantId = await seedDemo(resources, server.url);
    timings.step('demo tenant');
    const file: LocalStackFile = {
      apiUrl: server.url,
      region,
      tableName: resources.tableName,
      eventBusName: resources.eventBusName,
      warehouse: { bucket: resources.warehouseBucket, deliveryStream: resources.warehouseStreamName },
      cognito: { endpoint: moto.endpoint, userPoolId: resources.userPoolId, clientId: resources.clientId },
      webhookUrl: `${server.url}${STRIPE_WEBHOOK_PATH}`,
      stripe: { ...stripe, priceIds: localPriceIds },
      controlUrl: control.url,
      demo: { tenantId, email: DEMO.email, password: DEMO.password },
    };
    await writeLocalStackFile(file);
    console.log(instructions(file));
    console.log(`API ready: setup took ${timings.summary()}.`);
    if (!stripeMock)
      console.log('stripe-mock is still being installed; billing routes answer 502 until it is up.');
    stripeMock = await stripeMockStarted;
    if (stripeMock.endpoint !== stripeMockEndpoint) {
      throw new Error(`stripe-mock listens on ${stripeMock.endpoint}, not ${stripeMockEndpoint}`);
    }
    console.log(`stripe-mock ready on ${stripeMock.endpoint} after ${timings.total()}.`);
    // The history's webhooks may ask Stripe for an object: seeded once stripe-mock is up.
    if (process.argv.includes('--demo-history')) await runDemoHistory(file);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    // Let the other emulator's install or start finish, so stop() ends what it started.
    await starting;
    await stop(1);
  }
}

/** Wall-clock time per setup step, for the line `npm run dev` ends its setup with. */
function createStepTimer() {
  const started = performance.now();
  let last = started;
  const steps: string[] = [];
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  return {
    step(name: string) {
      const now = performance.now();
      steps.push(`${name} ${seconds(now - last)}`);
      last = now;
    },
    summary: () => `${seconds(performance.now() - started)} (${steps.join(', ')})`,
    total: () => seconds(performance.now() - started),
  };
}

/** The demo owner signs up and creates the tenant over HTTP, through the same path as any client. */
async function seedDemo(resources: LocalResources, apiUrl: string): Promise<string | undefined> {
  const cognito = new CognitoIdentityProviderClient(localClientConfig(resources));
  try {
    await createConfirmedUser(cognito, resources, DEMO);
    const { accessToken } = await signIn(cognito, resources, DEMO);
    const response = await fetch(`${apiUrl}/v1/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(DEMO.tenant),
    });
    const body = (await response.json().catch(() => undefined)) as { tenantId?: string } | undefined;
    if (response.status !== 201 || !body?.tenantId) {
      console.warn(
        `! demo tenant not created: POST /v1/tenants answered ${response.status} ${JSON.stringify(body)}`,
      );
      return undefined;
    }
    return body.tenantId;
  } finally {
    cognito.destroy();
  }
}

function instructions(file: LocalStackFile): string {
  const auth = JSON.stringify({
    AuthFlow: 'USER_PASSWORD_AUTH',
    ClientId: file.cognito.clientId,
    AuthParameters: { USERNAME: file.demo?.email, PASSWORD: file.demo?.password },
  });
  const tenantPath = file.demo?.tenantId ? `/v1/tenants/${file.demo.tenantId}` : '/v1/tenants';
  return `
Plinth is running locally.
  API          ${file.apiUrl}   (try ${file.apiUrl}/health)
  console      ${file.apiUrl}${CONSOLE_PATH}/   (operators: npm run -s signup -- you@example.com --admin)
  moto         ${file.cognito.endpoint}   (AWS emulator; state is in memory)
  stripe-mock  ${file.stripe?.apiUrl}   (Stripe's API: fixed answers, no state)
  webhook      POST ${file.webhookUrl}   (signing secret in ${localStackFilePath}: stripe.webhookSecret)
  table        ${file.tableName}
  user pool    ${file.cognito.userPoolId}   client ${file.cognito.clientId}
  demo owner   ${file.demo?.email} / ${file.demo?.password}
  demo tenant  ${file.demo?.tenantId ?? '(not created)'}
  details      ${localStackFilePath}

Get an access token (valid for 1 hour) from the emulator's Cognito and call the API:
  TOKEN=$(curl -s ${file.cognito.endpoint}/ \\
    -H 'Content-Type: application/x-amz-json-1.1' \\
    -H 'X-Amz-Target: AWSCognitoIdentityProviderService.InitiateAuth' \\
    -d '${auth}' \\
    | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).AuthenticationResult.AccessToken')
  curl -s ${file.apiUrl}${tenantPath} -H "Authorization: Bearer $TOKEN"

Shortcuts: TOKEN=$(npm run -s token)   ·   npm run -s signup -- you@example.com

Stripe webhooks: build, sign and post an event for the demo tenant (or --tenant <id>), then read
the result (the outbox events are published and consumed by the runner, logged as [events]):
  npm run stripe:event -- checkout.session.completed --plan team --interval month
  npm run stripe:event -- invoice.payment_failed
  npm run stripe:event -- invoice.paid
  curl -s ${file.apiUrl}${tenantPath}/billing -H "Authorization: Bearer $TOKEN"
Ctrl-C stops everything.
`;
}

await main();
