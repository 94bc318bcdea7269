import { describe, expect, it } from 'vitest';
import { assertFeature, entitlementsOf, planIncluding } from '#shared/billing/entitlements.ts';
import { featureSchema, plans } from '#shared/billing/plans.ts';
import { PaymentRequiredError } from '#shared/http/errors.ts';

describe('plan features', () => {
  it('name the whole catalogue of features later work will gate', () => {
    expect(featureSchema().options).toEqual([
      'projects',
      'audit-log',
      'analytics',
      'sso',
      'mfa-policy',
      'priority-support',
    ]);
  });

  it('give Team the audit log and analytics', () => {
    expect(plans.team.entitlements.features).toEqual(['projects', 'audit-log', 'analytics']);
  });

  it('give Business everything, including SSO, the MFA policy and priority support', () => {
    expect(plans.business.entitlements.features).toEqual(featureSchema().options);
  });

  it('leave the Free plan projects only', () => {
    expect(plans.free.entitlements.features).toEqual(['projects']);
  });

  it.each([
    ['audit-log', 'team'],
    ['analytics', 'team'],
    ['sso', 'business'],
    ['mfa-policy', 'business'],
    ['priority-support', 'business'],
  ] as const)('names %s as included from %s up', (feature, plan) => {
    expect(planIncluding(feature)).toBe(plan);
  });
});

describe('assertFeature', () => {
  it('lets a plan that includes the feature through', () => {
    const billing = { plan: 'team', status: 'active' } as const;
    expect(() => assertFeature(billing, entitlementsOf(billing), 'audit-log')).not.toThrow();
  });

  it('refuses a Team tenant single sign-on with a 402 naming Business', () => {
    const billing = { plan: 'team', status: 'active' } as const;
    expect(() => assertFeature(billing, entitlementsOf(billing), 'sso')).toThrow(
      new PaymentRequiredError(
        'The Team plan does not include single sign-on; upgrade to Business to use it.',
      ),
    );
  });
});
