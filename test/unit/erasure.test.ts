import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '#shared/audit/audit.schema.ts';
import { chainDay, personalHashOf } from '#shared/audit/audit-chain.ts';
import {
  isLastStepUsingEmail,
  plannedSteps,
  remainingSteps,
  stepsOf,
  stepsUsingEmail,
} from '#shared/erasure/erasure.plan.ts';
import { monthsBetween } from '#shared/erasure/erasure.runner.ts';
import { tenantPurgeSteps, userErasureSteps } from '#shared/erasure/erasure.schema.ts';
import { pseudonymOf, replacePersonal } from '#shared/erasure/pseudonym.ts';

const userId = '0b5c1a52-7a1b-4f4e-9c1e-1f3c7b0e2a11';
const email = 'ada@example.com';

describe('pseudonymOf', () => {
  it('gives the same pseudonym for the same user every time', () => {
    expect(pseudonymOf('key-1', 'user', userId)).toBe(pseudonymOf('key-1', 'user', userId));
  });

  it('gives different pseudonyms to different users and under different keys', () => {
    const base = pseudonymOf('key-1', 'user', userId);
    expect(pseudonymOf('key-1', 'user', '1b5c1a52-7a1b-4f4e-9c1e-1f3c7b0e2a11')).not.toBe(base);
    expect(pseudonymOf('key-2', 'user', userId)).not.toBe(base);
    expect(pseudonymOf('key-1', 'tenant', userId)).not.toBe(base);
  });

  it('reveals nothing of the id: erased- and 16 hex digits', () => {
    expect(pseudonymOf('key-1', 'user', userId)).toMatch(/^erased-[0-9a-f]{16}$/);
  });
});

describe('replacePersonal', () => {
  const personal = { userId, email, pseudonym: 'erased-0123456789abcdef' };

  it('replaces the id and the email (any case, inside text) wherever they appear', () => {
    const value = {
      actor: { userId, email: 'Ada@Example.com' },
      to: [email, 'bob@example.com'],
      body: `Mail ${email.toUpperCase()} please`,
      nested: [{ invitedBy: userId }],
    };
    expect(replacePersonal(value, personal)).toEqual({
      actor: { userId: personal.pseudonym, email: personal.pseudonym },
      to: [personal.pseudonym, 'bob@example.com'],
      body: `Mail ${personal.pseudonym} please`,
      nested: [{ invitedBy: personal.pseudonym }],
    });
  });

  it('returns the very same value when nothing names the person', () => {
    const value = { actor: { userId: 'someone-else' }, n: 3, list: ['a'] };
    expect(replacePersonal(value, personal)).toBe(value);
  });
});

describe('the step planner', () => {
  it("plans a user's erasure with the step that may be refused (memberships) first and their own items last in the table", () => {
    expect(plannedSteps('user').slice(0, 2)).toEqual(['memberships', 'cognito-user']);
    expect(plannedSteps('user').at(-2)).toBe('user-items');
  });

  it("plans a tenant's purge with Stripe first (it may refuse) and the tenant's items last in the table", () => {
    expect(plannedSteps('tenant')).toEqual(tenantPurgeSteps);
    expect(plannedSteps('tenant')[0]).toBe('stripe-customer');
    expect(plannedSteps('tenant').at(-2)).toBe('tenant-items');
  });

  it('plans the warehouse last in both, after the step that deletes the table copies it waits on', () => {
    for (const [kind, copies] of [
      ['user', 'product-events'],
      ['tenant', 'tenant-items'],
    ] as const) {
      const steps = plannedSteps(kind);
      expect(steps.at(-1)).toBe('warehouse');
      expect(steps.indexOf(copies)).toBeLessThan(steps.indexOf('warehouse'));
    }
  });

  it('resumes after the steps a report records as finished, in order', () => {
    const finished = { memberships: { status: 'done' }, 'cognito-user': { status: 'done' } };
    expect(remainingSteps('user', finished)).toEqual(userErasureSteps.slice(2));
  });

  it('has nothing left once every step is recorded', () => {
    const finished = Object.fromEntries(userErasureSteps.map((step) => [step, { status: 'done' }]));
    expect(remainingSteps('user', finished)).toEqual([]);
  });

  it('reports every planned step with its counts, pending ones included', () => {
    const steps = stepsOf(
      'tenant',
      { 'stripe-customer': { status: 'done', at: '2026-12-01T00:00:00.000Z' } },
      { 'stripe-customer': { 'stripe-customer': 1 }, exports: {} },
    );
    expect(steps.map((step) => step.status)).toEqual(
      plannedSteps('tenant').map((_, index) => (index === 0 ? 'done' : 'pending')),
    );
    expect(steps[0]).toMatchObject({ counts: { 'stripe-customer': 1 }, action: 'deleted' });
  });
});

describe('the email of a user erasure', () => {
  it('is dropped with the last step that reads it, before the steps that do not', () => {
    const last = userErasureSteps.filter((step) => stepsUsingEmail.has(step)).at(-1);
    expect(last).toBe('tenant-records');
    expect(userErasureSteps.filter(isLastStepUsingEmail)).toEqual(['tenant-records']);
    expect(userErasureSteps.indexOf('tenant-records')).toBeLessThan(userErasureSteps.indexOf('user-items'));
  });

  it('is never dropped by a tenant purge step', () => {
    expect(tenantPurgeSteps.filter(isLastStepUsingEmail)).toEqual([]);
  });
});

describe('monthsBetween', () => {
  it('lists every month from the first to now, across a year end', () => {
    expect(monthsBetween('2025-11-30T10:00:00.000Z', new Date('2026-02-01T00:00:00.000Z'))).toEqual([
      '2025-11',
      '2025-12',
      '2026-01',
      '2026-02',
    ]);
  });
});

describe('pseudonymised audit entries', () => {
  const entry: AuditEntry = {
    entryId: '01m8xay2nwmsyfde1jh4k0j0rk',
    tenantId: '01m8xay0r7bgyx2536krgh8143',
    at: '2026-12-01T10:00:00.000Z',
    actor: { userId, email },
    action: 'member.left',
    target: { type: 'member', id: userId },
    before: { email },
    after: null,
    requestId: 'req-1',
    sourceIp: '203.0.113.7',
  };

  it('chain to the same head once the hash of the originals is kept beside them', () => {
    const pseudonym = 'erased-0123456789abcdef';
    const replaced = {
      ...replacePersonal(entry, { userId, email, pseudonym }),
      sourceIp: pseudonym,
      personalHash: personalHashOf(entry),
    };
    expect(chainDay(entry.tenantId, '2026-12-01', [replaced]).head).toBe(
      chainDay(entry.tenantId, '2026-12-01', [entry]).head,
    );
  });
});
