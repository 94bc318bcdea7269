import type { App, Environment } from 'aws-cdk-lib';
import { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import * as z from 'zod';
import { eventsWatchOf } from './constructs/health-watch.ts';
import { AlertsStack } from './stacks/alerts-stack.ts';
import { ApiStack } from './stacks/api-stack.ts';
import { AuthStack, mailConfigurationSetNameFor } from './stacks/auth-stack.ts';
import { ConsoleStack } from './stacks/console-stack.ts';
import { DashboardStack } from './stacks/dashboard-stack.ts';
import { DataStack } from './stacks/data-stack.ts';
import { EventsStack } from './stacks/events-stack.ts';
import {
  assertStageReady,
  auditDigestRetentionDaysFor,
  consoleDomainFor,
  opsEmailFor,
  productEventTtlDaysFor,
  redirectOriginsFor,
  type StageConfig,
  stageConfigFor,
  stageNames,
} from './stage.ts';
import { type StripeConfig, stripeConfigFor } from './stripe-config.ts';

/** `-c key=value` arrives as a string; cdk.json may hold an object. */
const jsonObject = z.preprocess(
  (value) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  },
  z.record(z.string(), z.unknown()),
);

/** CDK context the app reads (`cdk synth -c stage=prod -c appUrl=https://app.acme.com`). */
const contextSchema = z.object({
  stage: z.enum(stageNames).default('dev'),
  appUrl: z.url().default('https://app.example.com'),
  mailFrom: z.email().default('no-reply@example.com'),
  /** Stage → Stripe price id map (`STRIPE_PRICE_IDS`); cdk.json holds placeholders for `dev`. */
  stripePriceIds: jsonObject.default({}),
  /** Days of full access after a failed payment before writes are restricted. */
  billingGraceDays: z.coerce.number().int().min(0).max(60).default(7),
  /** Stage → origins that billing redirect URLs may point to besides `appUrl` (lib/stage.ts). */
  allowedRedirectOrigins: jsonObject.default({}),
  /** The operators' address, per stage (`lib/stage.ts` `opsEmailFor` reads it). */
  opsEmail: z.unknown(),
  /** Stage → days a raw product event stays in the table (lib/stage.ts `productEventTtlDaysFor`). */
  productEventTtlDays: jsonObject.default({}),
  /** Stage → days each audit digest stays locked (lib/stage.ts `auditDigestRetentionDaysFor`). */
  auditDigestRetentionDays: jsonObject.default({}),
  /** Stage → the console's custom domain and certificate (lib/stage.ts `consoleDomainFor`); optional. */
  consoleDomain: jsonObject.default({}),
});

export type PlinthContext = z.infer<typeof contextSchema>;

/** Reads and validates the app's context; fails with every bad key at once. */
export function readPlinthContext(app: App): PlinthContext {
  const parsed = contextSchema.safeParse({
    stage: app.node.tryGetContext('stage'),
    appUrl: app.node.tryGetContext('appUrl'),
    mailFrom: app.node.tryGetContext('mailFrom'),
    stripePriceIds: app.node.tryGetContext('stripePriceIds'),
    billingGraceDays: app.node.tryGetContext('billingGraceDays'),
    allowedRedirectOrigins: app.node.tryGetContext('allowedRedirectOrigins'),
    opsEmail: app.node.tryGetContext('opsEmail'),
    productEventTtlDays: app.node.tryGetContext('productEventTtlDays'),
    auditDigestRetentionDays: app.node.tryGetContext('auditDigestRetentionDays'),
    consoleDomain: app.node.tryGetContext('consoleDomain'),
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid CDK context: ${problems.join('; ')}`, { cause: parsed.error });
  }
  return parsed.data;
}

export interface PlinthOptions {
  /**
   * The built admin console deployed by the console stack (`console/dist` after
   * `npm run console:build`); synth fails, saying so, when its index.html is missing.
   */
  readonly consoleAssetPath: string;
  /** @default - environment-agnostic stacks */
  readonly env?: Environment;
  /** @default defaultFunctionEntry (functions/<name>/handler.ts) */
  readonly functionEntry?: (name: string) => string;
}

export interface PlinthStacks {
  readonly stage: StageConfig;
  readonly stripe: StripeConfig;
  readonly data: DataStack;
  readonly auth: AuthStack;
  readonly events: EventsStack;
  readonly api: ApiStack;
  /** The alarm topic that mails the operators. */
  readonly alerts: AlertsStack;
  readonly dashboard: DashboardStack;
  /** The admin console and the API on one CloudFront distribution. */
  readonly console: ConsoleStack;
}

/** Adds the stage's stacks (named `plinth-<stage>-<part>`) to the app. */
export function addPlinthStacks(app: App, options: PlinthOptions): PlinthStacks {
  const context = readPlinthContext(app);
  const baseStage = stageConfigFor(context.stage);
  const stage: StageConfig = {
    ...baseStage,
    auditDigestRetentionDays: auditDigestRetentionDaysFor(baseStage, context.auditDigestRetentionDays),
  };
  assertStageReady(stage, context);
  const stripe = stripeConfigFor(stage.name, context);
  const productEventTtlDays = productEventTtlDaysFor(stage, context.productEventTtlDays);
  const functionEntry = options.functionEntry ? { functionEntry: options.functionEntry } : {};
  const common = {
    stage,
    env: options.env,
    // Stack tags propagate to every resource CloudFormation creates in the stack.
    tags: { project: 'plinth', stage: stage.name },
  };
  const name = (part: string) => `plinth-${stage.name}-${part}`;

  const opsEmail = opsEmailFor(stage.name, context.opsEmail);
  const alerts = new AlertsStack(app, name('alerts'), {
    ...common,
    description: 'Plinth: the alarm topic that mails the operators',
    opsEmail,
  });
  const data = new DataStack(app, name('data'), {
    ...common,
    description: 'Plinth: the DynamoDB table and the audit digest bucket',
  });
  const auth = new AuthStack(app, name('auth'), {
    ...common,
    description: 'Plinth: Cognito user pool and the SES configuration set',
    mailFrom: context.mailFrom,
    appUrl: context.appUrl,
    table: data.table,
    ...functionEntry,
  });
  const events = new EventsStack(app, name('events'), {
    ...common,
    description: 'Plinth: EventBridge bus, outbox publisher, rule consumers and schedules',
    table: data.table,
    userPool: auth.userPool,
    appUrl: context.appUrl,
    mailFrom: context.mailFrom,
    // The literal name, not a cross-stack reference: it is known before synthesis.
    mailConfigurationSetName: mailConfigurationSetNameFor(stage.name),
    mailFeedbackTopic: auth.mailFeedbackTopic,
    billingGraceDays: stripe.graceDays,
    stripeSecretKeyParameter: stripe.secretKeyParameter,
    erasurePseudonymKey: data.erasurePseudonymKey,
    ssoClientId: auth.sso.client.userPoolClientId,
    opsEmail,
    productEventTtlDays,
    ...functionEntry,
  });
  const api = new ApiStack(app, name('api'), {
    ...common,
    description: 'Plinth: HTTP API and its functions, Stripe webhook',
    table: data.table,
    userPool: auth.userPool,
    userPoolClient: auth.userPoolClient,
    sso: auth.sso,
    eventBus: events.eventBus,
    appUrl: context.appUrl,
    mailFrom: context.mailFrom,
    // The literal name, not a cross-stack reference: it is known before synthesis.
    mailConfigurationSetName: mailConfigurationSetNameFor(stage.name),
    stripe,
    allowedRedirectOrigins: redirectOriginsFor(stage, context.allowedRedirectOrigins),
    productEventTtlDays,
    erasurePseudonymKey: data.erasurePseudonymKey,
    watched: eventsWatchOf(events),
    ...functionEntry,
  });

  const adminConsole = new ConsoleStack(app, name('console'), {
    ...common,
    description: 'Plinth: the admin console (S3 + CloudFront) and the API on its origin',
    assetPath: options.consoleAssetPath,
    httpApi: api.httpApi,
    userPool: auth.userPool,
    userPoolClient: auth.userPoolClient,
    domain: consoleDomainFor(stage, context.consoleDomain),
  });

  const dashboard = new DashboardStack(app, name('dashboard'), {
    ...common,
    description: 'Plinth: the CloudWatch dashboard',
    api,
    events,
    table: data.table,
  });
  // Every alarm of every stack, whoever added it, notifies the operators.
  alerts.notifyOperators(
    [data, auth, events, api, dashboard].flatMap((stack) =>
      stack.node.findAll().filter((construct): construct is Alarm => construct instanceof Alarm),
    ),
  );

  return { stage, stripe, data, auth, events, api, alerts, dashboard, console: adminConsole };
}
