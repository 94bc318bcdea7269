import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { addPlinthStacks, type PlinthStacks } from '../../lib/plinth.ts';
import type { StageName } from '../../lib/stage.ts';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};

/** A stand-in for `console/dist` (an index.html and one hashed asset): no test needs a console build. */
export const consoleFixture = fileURLToPath(new URL('./fixtures/console-dist', import.meta.url));

/** A fixed environment so templates hold concrete regions and no test needs AWS credentials. */
export const testEnv = { account: '123456789012', region: 'eu-west-1' } as const;

/**
 * Price ids for every stage: cdk.json has placeholders for dev only (prod's must be configured),
 * so the tests give prod a map of its own.
 */
export const testStripePriceIds = {
  dev: (cdkJson.context.stripePriceIds as Record<string, unknown>).dev,
  prod: {
    team: { month: 'price_prod_team_month', year: 'price_prod_team_year' },
    business: { month: 'price_prod_business_month', year: 'price_prod_business_year' },
  },
} as const;

/** A configured prod: its own app URL and SES sender instead of the example defaults. */
export const testProdContext = {
  appUrl: 'https://app.acme.test',
  mailFrom: 'no-reply@acme.test',
} as const;

export interface BuildOptions {
  readonly stage: StageName;
  /**
   * Run CDK's built-in CloudFormation template validation on synth, as `cdk synth` does. Off by
   * default: it costs seconds per app and template assertions do not need it.
   */
  readonly validateTemplates?: boolean;
  /** @default consoleFixture */
  readonly consoleAssetPath?: string;
  /** Extra CDK context, e.g. `{ mailFrom: ... }`. */
  readonly context?: Readonly<Record<string, unknown>>;
}

export interface BuiltPlinth extends PlinthStacks {
  readonly app: App;
}

/** Builds the Plinth app as `bin/plinth.ts` does, with cdk.json's feature flags. */
export function buildPlinth(options: BuildOptions): BuiltPlinth {
  const app = new App({
    builtinCloudFormationValidation: options.validateTemplates ?? false,
    context: {
      ...cdkJson.context,
      stage: options.stage,
      // Bundle no stack: assets get a placeholder instead of an esbuild run per function. Template
      // assertions do not read bundles; app-function.test.ts bundles and runs one for real.
      'aws:cdk:bundling-stacks': [],
      stripePriceIds: testStripePriceIds,
      // prod refuses the example defaults of appUrl and mailFrom (lib/stage.ts).
      ...(options.stage === 'prod' ? testProdContext : {}),
      opsEmail: { ...(cdkJson.context.opsEmail as Record<string, unknown>), prod: 'ops@plinth.test' },
      ...options.context,
    },
  });
  return {
    app,
    ...addPlinthStacks(app, { env: testEnv, consoleAssetPath: options.consoleAssetPath ?? consoleFixture }),
  };
}
