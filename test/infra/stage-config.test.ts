import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  auditDigestRetentionDaysFor,
  consoleDomainFor,
  productEventTtlDaysFor,
  redirectOriginsFor,
  stageConfigFor,
} from '../../lib/stage.ts';
import { buildPlinth } from './plinth-app.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The billing function's environment variables in the api stack's template. */
function billingEnvironment(plinth: ReturnType<typeof buildPlinth>): Record<string, string> {
  const template = Template.fromStack(plinth.api);
  const id = plinth.api.getLogicalId(plinth.api.functions.billing.function.node.defaultChild as never);
  const resource = template.toJSON().Resources[id] as {
    Properties: { Environment: { Variables: Record<string, string> } };
  };
  return resource.Properties.Environment.Variables;
}

describe('prod configuration guards', () => {
  it('fails synth for prod while appUrl is the example default, saying how to set it', () => {
    expect(() => buildPlinth({ stage: 'prod', context: { appUrl: 'https://app.example.com' } })).toThrow(
      /The prod stage is not configured: appUrl is the example default \(https:\/\/app\.example\.com\): pass your web app's URL with -c appUrl=/,
    );
  });

  it('fails synth for prod while mailFrom is the example default, saying how to set it', () => {
    expect(() => buildPlinth({ stage: 'prod', context: { mailFrom: 'no-reply@example.com' } })).toThrow(
      /mailFrom is the example default \(no-reply@example\.com\): pass an SES-verified sender with -c mailFrom=/,
    );
  });

  it('synthesizes prod with its own app URL and sender', () => {
    expect(() =>
      buildPlinth({ stage: 'prod', context: { appUrl: 'https://app.acme.test', mailFrom: 'hi@acme.test' } }),
    ).not.toThrow();
  });

  it('lets dev keep the example defaults, so a clean clone synthesizes', () => {
    expect(() =>
      buildPlinth({
        stage: 'dev',
        context: { appUrl: 'https://app.example.com', mailFrom: 'no-reply@example.com' },
      }),
    ).not.toThrow();
  });

  it('makes `cdk synth -c stage=prod` fail with that message', () => {
    let output = '';
    try {
      execFileSync(process.execPath, ['bin/plinth.ts'], {
        cwd: repoRoot,
        env: {
          ...process.env,
          CDK_CONTEXT_JSON: JSON.stringify({
            stage: 'prod',
            stripePriceIds: {
              prod: {
                team: { month: 'price_t_m', year: 'price_t_y' },
                business: { month: 'price_b_m', year: 'price_b_y' },
              },
            },
          }),
          CDK_OUTDIR: '/tmp/plinth-prod-guard-cdk.out',
        },
        stdio: 'pipe',
      });
    } catch (error) {
      output = String((error as { stderr?: Buffer }).stderr ?? '');
    }
    expect(output).toContain('The prod stage is not configured: appUrl is the example default');
  });
});

describe('allowed redirect origins', () => {
  it('passes the stage’s list from cdk.json to the billing function', () => {
    const env = billingEnvironment(buildPlinth({ stage: 'dev' }));
    expect(env.ALLOWED_REDIRECT_ORIGINS).toBe('http://localhost:3000,http://localhost:5173');
  });

  it('takes a stage’s list from the CDK context', () => {
    const env = billingEnvironment(
      buildPlinth({
        stage: 'prod',
        context: { allowedRedirectOrigins: { prod: ['https://www.acme.test', 'https://admin.acme.test'] } },
      }),
    );
    expect(env.ALLOWED_REDIRECT_ORIGINS).toBe('https://www.acme.test,https://admin.acme.test');
  });

  it('accepts the map as a JSON string, as `-c allowedRedirectOrigins=…` passes it', () => {
    const env = billingEnvironment(
      buildPlinth({
        stage: 'prod',
        context: { allowedRedirectOrigins: '{"prod":["https://www.acme.test"]}' },
      }),
    );
    expect(env.ALLOWED_REDIRECT_ORIGINS).toBe('https://www.acme.test');
  });

  it('refuses an entry with a path, naming it', () => {
    expect(() =>
      redirectOriginsFor(stageConfigFor('prod'), { prod: ['https://www.acme.test/billing'] }),
    ).toThrow('context allowedRedirectOrigins.prod: "https://www.acme.test/billing" is not an origin');
  });

  it('refuses a plain-http origin in prod', () => {
    expect(() => redirectOriginsFor(stageConfigFor('prod'), { prod: ['http://www.acme.test'] })).toThrow(
      'must use https in prod',
    );
  });

  it('uses the stage’s own list when the context has none for it', () => {
    expect(redirectOriginsFor(stageConfigFor('prod'), {})).toEqual([]);
  });
});

/** PRODUCT_EVENT_TTL_DAYS of the two functions that write raw product events. */
function productEventTtlDays(plinth: ReturnType<typeof buildPlinth>) {
  const variables = (
    stack: typeof plinth.api | typeof plinth.events,
    fn: { node: { defaultChild?: unknown } },
  ) => {
    const resource = Template.fromStack(stack).toJSON().Resources[
      stack.getLogicalId(fn.node.defaultChild as never)
    ] as {
      Properties: { Environment: { Variables: Record<string, unknown> } };
    };
    return resource.Properties.Environment.Variables.PRODUCT_EVENT_TTL_DAYS;
  };
  return {
    tracking: variables(plinth.api, plinth.api.functions['product-analytics'].function),
    serverSide: variables(plinth.events, plinth.events.productActivity.fn.function),
  };
}

describe('raw product event TTL per stage', () => {
  it('gives both functions that write raw events the dev stage’s 30 days from cdk.json', () => {
    expect(productEventTtlDays(buildPlinth({ stage: 'dev' }))).toEqual({ tracking: '30', serverSide: '30' });
  });

  it('gives both functions prod’s 90 days', () => {
    expect(productEventTtlDays(buildPlinth({ stage: 'prod' }))).toEqual({ tracking: '90', serverSide: '90' });
  });

  it('takes a stage’s days from the CDK context, as a JSON string from -c productEventTtlDays=…', () => {
    const plinth = buildPlinth({ stage: 'prod', context: { productEventTtlDays: '{"prod":180}' } });
    expect(productEventTtlDays(plinth)).toEqual({ tracking: '180', serverSide: '180' });
  });

  it('uses the stage’s own days when the context has none for it', () => {
    expect(productEventTtlDaysFor(stageConfigFor('prod'), { dev: 14 })).toBe(90);
  });

  it('refuses fewer days than an event may be backdated, naming the entry', () => {
    expect(() => productEventTtlDaysFor(stageConfigFor('prod'), { prod: 7 })).toThrow(
      'context productEventTtlDays.prod: 7 is not a number of days from 8 to 3650',
    );
  });

  it('refuses a value that is not a whole number of days', () => {
    expect(() => productEventTtlDaysFor(stageConfigFor('dev'), { dev: 'ninety' })).toThrow(
      'context productEventTtlDays.dev: "ninety"',
    );
  });
});

describe('audit digest retention', () => {
  const retentionOf = (plinth: ReturnType<typeof buildPlinth>) => {
    const buckets = Object.values(Template.fromStack(plinth.data).findResources('AWS::S3::Bucket')) as {
      Properties: { ObjectLockConfiguration: { Rule: { DefaultRetention: { Days: number } } } };
    }[];
    return buckets[0]?.Properties.ObjectLockConfiguration.Rule.DefaultRetention.Days;
  };

  it('takes a stage’s days from the CDK context, as a JSON string from -c auditDigestRetentionDays=…', () => {
    const plinth = buildPlinth({ stage: 'prod', context: { auditDigestRetentionDays: '{"prod":2555}' } });
    expect(retentionOf(plinth)).toBe(2555);
  });

  it('uses the stage’s own days when the context has none for it', () => {
    expect(auditDigestRetentionDaysFor(stageConfigFor('prod'), { dev: 3 })).toBe(400);
  });

  it('refuses a value that is not a whole number of days from 1, naming the entry', () => {
    expect(() => auditDigestRetentionDaysFor(stageConfigFor('dev'), { dev: 0 })).toThrow(
      'context auditDigestRetentionDays.dev: 0 is not a number of days from 1 to 36500',
    );
  });
});

describe('console domain per stage', () => {
  const prod = stageConfigFor('prod');
  const certificateArn =
    'arn:aws:acm:us-east-1:123456789012:certificate/5a1b2c3d-0000-4000-8000-00000000c0de';

  it('has none unless the context names one, so the console is served at its cloudfront.net name', () => {
    expect(consoleDomainFor(prod)).toBeUndefined();
    expect(
      consoleDomainFor(prod, { dev: { domainName: 'console.dev.acme.com', certificateArn } }),
    ).toBeUndefined();
  });

  it("takes the stage's domain name and certificate from the context", () => {
    expect(consoleDomainFor(prod, { prod: { domainName: 'console.acme.com', certificateArn } })).toEqual({
      domainName: 'console.acme.com',
      certificateArn,
    });
  });

  it('rejects a domain name that is not a host name, naming the entry', () => {
    expect(() =>
      consoleDomainFor(prod, { prod: { domainName: 'https://console.acme.com', certificateArn } }),
    ).toThrow(
      /context consoleDomain\.prod\.domainName: "https:\/\/console\.acme\.com" is not a lower-case host name/,
    );
  });

  it('rejects a certificate outside us-east-1, where CloudFront cannot use it', () => {
    expect(() =>
      consoleDomainFor(prod, {
        prod: {
          domainName: 'console.acme.com',
          certificateArn: certificateArn.replace('us-east-1', 'eu-west-1'),
        },
      }),
    ).toThrow(/context consoleDomain\.prod\.certificateArn: .* is not an ACM certificate ARN in us-east-1/);
  });

  it('rejects an entry without a certificate', () => {
    expect(() => consoleDomainFor(prod, { prod: { domainName: 'console.acme.com' } })).toThrow(
      /consoleDomain\.prod\.certificateArn: null/,
    );
  });

  it('reads the map from -c consoleDomain as a JSON string', () => {
    const plinth = buildPlinth({
      stage: 'dev',
      context: {
        consoleDomain: JSON.stringify({ dev: { domainName: 'console.dev.acme.test', certificateArn } }),
      },
    });

    expect(plinth.console.url).toBe('https://console.dev.acme.test');
  });
});
