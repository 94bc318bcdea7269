import { randomBytes } from 'node:crypto';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { inject } from 'vitest';
import { localClientConfig } from '../../scripts/local/aws.ts';
import { handlerEnvironment } from '../../scripts/local/env.ts';
import { createLocalResources, type LocalResources } from '../../scripts/local/resources.ts';
import { newWebhookSecret } from '../../scripts/local/stripe.ts';
import { createDocumentClient, type DocumentClient } from '../../shared/db/client.ts';
import type { RuleDefinition } from '../../shared/events/bus.ts';

/** Where invitation links point in tests (nothing listens there). */
export const TEST_APP_URL = 'https://app.plinth.test';

/** One test file's private set of AWS resources in the shared moto, with clients to inspect them. */
export interface TestStack extends LocalResources {
  /** Document client on this stack's table's emulator (`stack.tableName` names the table). */
  readonly db: DocumentClient;
  readonly cognito: CognitoIdentityProviderClient;
  /** What the handlers read from `process.env` for this stack (TABLE_NAME, USER_POOL_ID, STRIPE_…, …). */
  readonly env: Readonly<Record<string, string>>;
  /** The run's shared stripe-mock, e.g. `http://127.0.0.1:40124` (the handlers' `STRIPE_API_URL`). */
  readonly stripeMockEndpoint: string;
  /**
   * This stack's webhook signing secret (`STRIPE_WEBHOOK_SECRET`): sign test events with
   * `stripe.webhooks.generateTestHeaderString({ payload, secret: stack.stripeWebhookSecret })`.
   */
  readonly stripeWebhookSecret: string;
}

export interface TestStackOptions {
  /** Bus rules to create instead of the shared `busDefinition.rules` (each gets an SQS queue). */
  readonly rules?: readonly RuleDefinition[];
}

/**
 * Creates a fresh, uniquely named table, user pool (+ groups, app client), event bus (+ rules and
 * their queues) and SES sender in the run's moto, from the shared definitions. Call it once per test
 * file, in `beforeAll`; files never see each other's data.
 */
export async function createTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const endpoint = inject('motoEndpoint');
  const stripeMockEndpoint = inject('stripeMockEndpoint');
  if (!endpoint || !stripeMockEndpoint) {
    throw new Error(
      'No emulator endpoints: run this file in the integration or e2e project (they have the globalSetup).',
    );
  }
  const id = randomBytes(5).toString('hex');
  const resources = await createLocalResources({
    endpoint,
    region: 'us-east-1',
    stage: `test-${id}`,
    // Unique per stack, so sent mail can be told apart in moto's shared SES outbox.
    mailFrom: `no-reply+${id}@plinth.test`,
    ...(options.rules ? { rules: options.rules } : {}),
  });
  const stripeWebhookSecret = newWebhookSecret();
  return {
    ...resources,
    db: createDocumentClient({ region: resources.region, endpoint }),
    cognito: new CognitoIdentityProviderClient(localClientConfig(resources)),
    stripeMockEndpoint,
    stripeWebhookSecret,
    env: {
      ...handlerEnvironment(resources, TEST_APP_URL, {
        apiUrl: stripeMockEndpoint,
        webhookSecret: stripeWebhookSecret,
      }),
      // Test files fire bursts at one tenant; the rate-limit tests set their own small limits.
      API_RATE_LIMITS: JSON.stringify({ free: 100_000, team: 100_000, business: 100_000 }),
      // Handler logs would drown test output; POWERTOOLS_LOG_LEVEL=INFO npm test shows them.
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT',
    },
  };
}

/** An email moto accepted through SES for this stack's sender. */
export interface SentEmail {
  readonly id: string;
  readonly to: readonly string[];
  readonly subject: string;
  /** The HTML part when there is one (moto keeps one body), otherwise the text. */
  readonly body: string;
}

/**
 * The emails this stack's sender has sent so far, oldest first, from our moto launcher's
 * `/plinth-api/ses/sent` (scripts/emulators/moto_server.py), which lists SES's sent mail only.
 */
export async function readSentEmails(stack: TestStack): Promise<SentEmail[]> {
  const response = await fetch(
    `${stack.endpoint}/plinth-api/ses/sent?source=${encodeURIComponent(stack.mailFrom)}`,
  );
  if (!response.ok) throw new Error(`moto sent mail: HTTP ${response.status}`);
  const data = (await response.json()) as {
    messages: { id: string; subject?: string; body?: string; to?: string[] }[];
  };
  return data.messages.map((message) => ({
    id: message.id,
    to: message.to ?? [],
    subject: message.subject ?? '',
    body: message.body ?? '',
  }));
}
