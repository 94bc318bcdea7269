import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initFiles, inputsOf } from '../../lib/bundling/init-files.ts';
import { defaultFunctionEntry } from '../../lib/constructs/app-function.ts';
import { esbuildBuildOptions } from '../../lib/constructs/bundling.ts';

const stripeNode = /node_modules\/stripe\//;
const ssmClient = /node_modules\/@aws-sdk\/client-ssm\//;
const sesClient = /node_modules\/@aws-sdk\/client-sesv2\//;
const cognitoClient = /node_modules\/@aws-sdk\/client-cognito-identity-provider\//;
const firehoseClient = /node_modules\/@aws-sdk\/client-firehose\//;
const stsClient = /node_modules\/@aws-sdk\/client-sts\//;
const s3Client = /node_modules\/@aws-sdk\/client-s3\//;
const eventBridgeClient = /node_modules\/@aws-sdk\/client-eventbridge\//;

/** What a function's cold start reads, and what it reads only on first use. */
interface Split {
  readonly init: string[];
  readonly deferred: string[];
  /** The minified code a cold start reads (index.mjs and its static chunks). */
  readonly initCode: string;
}

async function split(root: string, name: string): Promise<Split> {
  const result = await build({
    ...esbuildBuildOptions(),
    entryPoints: [defaultFunctionEntry(name)],
    outdir: join(root, name),
    metafile: true,
    logLevel: 'silent',
  });
  const metafile = result.metafile as Metafile;
  const code = Object.keys(metafile.outputs).filter((file) => file.endsWith('.mjs'));
  // A chunk reached by `await import()` of a source file has an `entryPoint` too: pick the handler's.
  const entry = code.find((file) =>
    metafile.outputs[file]?.entryPoint?.endsWith(`functions/${name}/handler.ts`),
  ) as string;
  const init = initFiles(metafile, entry);
  const initCode = (await Promise.all(init.map((file) => readFile(file, 'utf8')))).join('\n');
  return {
    initCode,
    init: inputsOf(metafile, init),
    deferred: inputsOf(
      metafile,
      code.filter((file) => !init.includes(file)),
    ),
  };
}

const matching = (inputs: readonly string[], pattern: RegExp) =>
  inputs.filter((input) => pattern.test(input));

describe('what Lambda functions load at cold start', () => {
  let root: string;
  const splits = new Map<string, Split>();
  const of = (name: string) => splits.get(name) as Split;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'plinth-deferred-'));
    for (const name of [
      'billing',
      'admin',
      'admin-billing',
      'stripe-webhook',
      'invitations',
      'tenants',
      'me',
      'notifications',
      'analytics-movements',
      'dunning-sweep',
      'product-activity',
      'product-analytics',
      'exports',
      'export-worker',
      'support',
      'magic-link',
      'announcement-mail',
      'announcements',
    ]) {
      splits.set(name, await split(root, name));
    }
  }, 120_000);

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it.each(['billing', 'admin', 'invitations', 'tenants', 'me', 'product-analytics'])(
    '%s loads the STS client on its first tenant-scoped request, not at init',
    (name) => {
      expect(matching(of(name).init, stsClient)).toEqual([]);
      expect(matching(of(name).deferred, stsClient)).not.toEqual([]);
    },
  );

  it.each(['billing', 'admin-billing', 'stripe-webhook'])('%s does not load stripe-node at init', (name) => {
    expect(matching(of(name).init, stripeNode)).toEqual([]);
  });

  it.each(['billing', 'admin-billing', 'stripe-webhook'])(
    '%s keeps stripe-node in a chunk it loads on first use',
    (name) => {
      expect(matching(of(name).deferred, stripeNode)).not.toEqual([]);
    },
  );

  it.each(['billing', 'admin-billing', 'stripe-webhook'])(
    '%s does not load the SSM client at init (secrets are read on first use)',
    (name) => {
      expect(matching(of(name).init, ssmClient)).toEqual([]);
      expect(matching(of(name).deferred, ssmClient)).not.toEqual([]);
    },
  );

  it('billing serves its read-only routes from init code: the use cases and the repository', () => {
    expect(of('billing').init).toEqual(
      expect.arrayContaining(['shared/billing/billing.service.ts', 'shared/billing/billing.repository.ts']),
    );
  });

  it('invitations does not load the SES client at init, only when it sends mail', () => {
    expect(matching(of('invitations').init, sesClient)).toEqual([]);
    expect(matching(of('invitations').deferred, sesClient)).not.toEqual([]);
  });

  it('invitations loads the Cognito client on the paths that look a user up, not at init', () => {
    expect(matching(of('invitations').init, cognitoClient)).toEqual([]);
    expect(matching(of('invitations').deferred, cognitoClient)).not.toEqual([]);
  });

  it('me loads the Cognito client on its first request, not at init', () => {
    expect(matching(of('me').init, cognitoClient)).toEqual([]);
    expect(matching(of('me').deferred, cognitoClient)).not.toEqual([]);
  });

  it('tenants loads the Cognito client on the first tenant creation, not at init', () => {
    expect(matching(of('tenants').init, cognitoClient)).toEqual([]);
    expect(matching(of('tenants').deferred, cognitoClient)).not.toEqual([]);
  });

  it('admin loads the Cognito client and its account adapter on first use (guard, suspension, reset), not at init', () => {
    expect(matching(of('admin').init, cognitoClient)).toEqual([]);
    expect(of('admin').init).not.toContain('shared/admin/user-admin.ts');
    expect(of('admin').deferred).toContain('shared/admin/user-admin.ts');
    expect(matching(of('admin').deferred, cognitoClient)).not.toEqual([]);
  });

  it('notifications loads the SES client on its first mail, not at init', () => {
    expect(matching(of('notifications').init, sesClient)).toEqual([]);
    expect(matching(of('notifications').deferred, sesClient)).not.toEqual([]);
  });

  it.each(['notifications', 'analytics-movements', 'dunning-sweep'])(
    "%s parses subscription events without building billing's route schemas at init",
    (name) => {
      expect(of(name).init).toContain('shared/events/subscription-events.ts');
      expect(of(name).init).not.toContain('shared/billing/billing.schema.ts');
      expect(of(name).init).not.toContain('shared/http/common.schema.ts');
    },
  );

  it.each(['product-activity', 'product-analytics'])(
    "%s builds the product analytics schemas without the metrics API's at init",
    (name) => {
      expect(of(name).init).toContain('shared/analytics/product/product.schema.ts');
      expect(of(name).init).not.toContain('shared/analytics/metrics-api.schema.ts');
    },
  );

  it.each(['billing', 'admin-billing'])(
    '%s loads the Stripe gateway with stripe-node on first use, not at init',
    (name) => {
      expect(of(name).init).not.toContain('shared/billing/stripe-gateway.ts');
      expect(of(name).deferred).toContain('shared/billing/stripe-gateway.ts');
    },
  );

  it('product-activity loads the Firehose client with its first raw events, not at init', () => {
    expect(matching(of('product-activity').init, firehoseClient)).toEqual([]);
    expect(matching(of('product-activity').deferred, firehoseClient)).not.toEqual([]);
  });

  it('product-analytics (the tracking API) never loads the Firehose client: the stream delivers', () => {
    expect(
      matching([...of('product-analytics').init, ...of('product-analytics').deferred], firehoseClient),
    ).toEqual([]);
  });

  it('exports loads the S3 client (presigned links) on the first ready export it shows, not at init', () => {
    expect(matching(of('exports').init, s3Client)).toEqual([]);
    expect(of('exports').init).not.toContain('shared/exports/export-storage.ts');
    expect(matching(of('exports').deferred, s3Client)).not.toEqual([]);
  });

  it('export-worker loads the S3 client on its first message, not at init', () => {
    expect(matching(of('export-worker').init, s3Client)).toEqual([]);
    expect(matching(of('export-worker').deferred, s3Client)).not.toEqual([]);
  });

  it('export-worker loads the SES client on its first "export ready" email, not at init', () => {
    expect(matching(of('export-worker').init, sesClient)).toEqual([]);
    expect(matching(of('export-worker').deferred, sesClient)).not.toEqual([]);
  });

  it("support builds the admin path parameters without the operators' accounts schemas at init", () => {
    expect(of('support').init).toContain('shared/admin/admin-params.schema.ts');
    expect(of('support').init).not.toContain('shared/admin/accounts.schema.ts');
  });

  it("admin builds the ticket schemas its tenant view shows without the rest of support's at init", () => {
    expect(of('admin').init).toContain('shared/support/ticket.schema.ts');
    expect(of('admin').init).not.toContain('shared/support/support.schema.ts');
  });

  it('exports loads the EventBridge client on the first export requested, not at init', () => {
    expect(matching(of('exports').init, eventBridgeClient)).toEqual([]);
    expect(matching(of('exports').deferred, eventBridgeClient)).not.toEqual([]);
  });

  it('magic-link loads the Cognito client (directory and custom auth) on first use, not at init', () => {
    expect(matching(of('magic-link').init, cognitoClient)).toEqual([]);
    expect(matching(of('magic-link').deferred, cognitoClient)).not.toEqual([]);
  });

  it('announcement-mail loads the Cognito client on its first page of users, not at init', () => {
    expect(matching(of('announcement-mail').init, cognitoClient)).toEqual([]);
    expect(matching(of('announcement-mail').deferred, cognitoClient)).not.toEqual([]);
  });

  it.each(['announcements', 'export-worker', 'announcement-mail'])(
    '%s writes communication history items without building the history schemas at init',
    (name) => {
      expect(of(name).initCode).not.toContain('ticket-message');
    },
  );

  it('support builds the communication history schemas its route answers with', () => {
    expect(of('support').initCode).toContain('ticket-message');
  });
});

describe('what the erasure functions load at cold start', () => {
  const s3Client = /node_modules\/@aws-sdk\/client-s3\//;
  const secretsClient = /node_modules\/@aws-sdk\/client-secrets-manager\//;
  let root: string;
  const splits = new Map<string, Split>();
  const of = (name: string) => splits.get(name) as Split;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'plinth-deferred-erasure-'));
    for (const name of ['erasure', 'erasure-run', 'tenant-purge']) {
      splits.set(name, await split(root, name));
    }
  }, 120_000);

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it.each([
    ['S3', s3Client],
    ['Cognito', cognitoClient],
    ['Secrets Manager', secretsClient],
    ['Stripe', stripeNode],
  ] as const)('erasure-run and tenant-purge load the %s client on first use, not at init', (_, client) => {
    for (const name of ['erasure-run', 'tenant-purge']) {
      expect(matching(of(name).init, client)).toEqual([]);
      expect(matching(of(name).deferred, client)).not.toEqual([]);
    }
  });

  it.each(['erasure-run', 'tenant-purge'])(
    '%s loads the warehouse redactor (zlib, streams) with its first warehouse step, not at init',
    (name) => {
      expect(of(name).init).not.toContain('shared/erasure/warehouse-redaction.ts');
      expect(of(name).deferred).toContain('shared/erasure/warehouse-redaction.ts');
    },
  );

  it.each(['erasure-run', 'tenant-purge'])(
    '%s loads the erasure steps with the first pending erasure, not at init (most runs find none)',
    (name) => {
      expect(of(name).init).toContain('shared/erasure/erasure.store.ts');
      expect(of(name).init).not.toContain('shared/erasure/erasure.runner.ts');
      expect(of(name).deferred).toContain('shared/erasure/erasure.runner.ts');
    },
  );

  it("erasure-run builds neither the requesting service nor the report's route schemas", () => {
    expect(of('erasure-run').init).not.toContain('shared/erasure/erasure.service.ts');
    expect(of('erasure-run').init).not.toContain('shared/http/common.schema.ts');
  });

  it("erasure (the API) loads the Cognito client on first use and no worker's client or environment schema", () => {
    expect(matching(of('erasure').init, cognitoClient)).toEqual([]);
    for (const client of [s3Client, secretsClient, stripeNode]) {
      expect(matching([...of('erasure').init, ...of('erasure').deferred], client)).toEqual([]);
    }
    expect(of('erasure').init).not.toContain('shared/erasure/erasure.env.ts');
    expect(of('erasure').init).not.toContain('shared/admin/accounts.schema.ts');
  });
});
