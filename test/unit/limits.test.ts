import { describe, expect, it } from 'vitest';
import {
  assertProjectRoom,
  counterStep,
  hasRoom,
  limitMessage,
  limitReached,
  NEW_TENANT_COUNTERS,
  noSeatToJoin,
  PlanLimitError,
  seatLimit,
  upgradeFor,
  usageOf,
} from '#shared/billing/limits.ts';
import { plans } from '#shared/billing/plans.ts';
import type { Db } from '#shared/db/client.ts';
import { PaymentRequiredError } from '#shared/http/errors.ts';
import { fakeTenantContext } from '../support/tenant-context.ts';

const db = { client: undefined, tableName: 'plinth-test' } as unknown as Db;
const TENANT_ID = '01jf00000000000000000000tt';

describe('limit messages', () => {
  it('names the project limit and the plan that lifts it', () => {
    expect(limitMessage('projects', 'free', 3)).toBe(
      'The Free plan allows 3 projects; upgrade to Team for up to 25.',
    );
  });

  it('names the seat limit, says what counts against it and the plan that lifts it', () => {
    expect(limitMessage('seats', 'free', 3)).toBe(
      'The Free plan allows 3 seats (members and pending invitations); upgrade to Team for up to 10.',
    );
  });

  it('names the usage when a downgrade left the tenant above the limit', () => {
    expect(limitMessage('projects', 'free', 7)).toBe(
      'The Free plan allows 3 projects and this tenant has 7; upgrade to Team for up to 25.',
    );
  });

  it('skips to the plan that holds the usage when the next plan is too small', () => {
    expect(limitMessage('seats', 'free', 12)).toMatch(
      /and this tenant has 12; upgrade to Business for up to 50\.$/,
    );
  });

  it('tells how to make room when no plan allows more', () => {
    expect(limitMessage('projects', 'business', 250)).toBe(
      'The Business plan allows 250 projects, the most any plan offers; delete a project to make room.',
    );
  });

  it('tells the invitee who can make room when the tenant has no seat left', () => {
    expect(noSeatToJoin('Acme', 'free', 3).message).toBe(
      'Acme has no seat left: the Free plan allows 3 seats; an admin of Acme can upgrade to Team for up to 10.',
    );
  });

  it('answers 402 with the limit, the plan and the upgrade as facts', () => {
    const error = limitReached('projects', 'team', 25);
    expect(error).toBeInstanceOf(PaymentRequiredError);
    expect(error).toMatchObject({ status: 402, limit: 'projects', plan: 'team', upgradeTo: 'business' });
  });
});

describe('limit decisions', () => {
  it('offers no upgrade from the largest plan', () => {
    expect(upgradeFor('seats', 'business', 50)).toBeUndefined();
  });

  it('counts pending invitations against the seats', () => {
    const usage = usageOf({ memberCount: 2, pendingInvitationCount: 1, reservedSeats: 3 });
    expect(hasRoom('seats', usage, plans.free.entitlements)).toBe(false);
  });

  it('has room for a project below the limit', () => {
    expect(hasRoom('projects', usageOf({ projectCount: 2 }), plans.free.entitlements)).toBe(true);
  });

  it('has no room for a project at the limit', () => {
    expect(hasRoom('projects', usageOf({ projectCount: 3 }), plans.free.entitlements)).toBe(false);
  });

  it('reads absent counters as zero', () => {
    expect(usageOf({})).toEqual({ members: 0, pendingInvitations: 0, reservedSeats: 0, projects: 0 });
  });

  it('starts a new tenant with its owner as the one seat in use', () => {
    expect(usageOf(NEW_TENANT_COUNTERS)).toEqual({
      members: 1,
      pendingInvitations: 0,
      reservedSeats: 1,
      projects: 0,
    });
  });

  it('refuses a project at the Free limit with a 402 naming the Free plan', () => {
    const ctx = fakeTenantContext({ role: 'owner', tenant: { projectCount: 3 } });
    expect(() => assertProjectRoom(ctx)).toThrowError(/^The Free plan allows 3 projects; upgrade to Team/);
  });

  it('allows a fourth project on an active Team subscription', () => {
    const ctx = fakeTenantContext({
      role: 'owner',
      tenant: { projectCount: 3 },
      billing: { plan: 'team', status: 'active' },
    });
    expect(() => assertProjectRoom(ctx)).not.toThrow();
  });

  it.each(['canceled', 'unpaid', 'incomplete_expired'] as const)(
    'holds a %s Team subscription to the Free limits',
    (status) => {
      const ctx = fakeTenantContext({
        role: 'owner',
        tenant: { projectCount: 3 },
        billing: { plan: 'team', status },
      });
      expect(() => assertProjectRoom(ctx)).toThrowError(PlanLimitError);
    },
  );

  it("takes the seat limit from the request's entitlements", () => {
    const ctx = fakeTenantContext({ role: 'owner', billing: { plan: 'business', status: 'past_due' } });
    expect(seatLimit(ctx).max).toBe(50);
  });
});

describe('counter step', () => {
  it('conditions an addition on the counter being below the limit, an absent counter counting as 0', () => {
    const step = counterStep(
      db,
      TENANT_ID,
      { projects: 1 },
      {
        conditions: [{ kind: 'below', counter: 'projectCount', max: 3 }],
      },
    );
    expect(step.item.Update).toMatchObject({
      Key: { pk: `TENANT#${TENANT_ID}`, sk: 'TENANT' },
      UpdateExpression: 'SET #projectCount = if_not_exists(#projectCount, :zero) + :projectCountDelta',
      ConditionExpression:
        'attribute_exists(pk) AND (attribute_not_exists(#projectCount) OR #projectCount < :projectCountMax)',
      ExpressionAttributeValues: { ':zero': 0, ':projectCountDelta': 1, ':projectCountMax': 3 },
    });
  });

  it('moves reserved seats with members and pending invitations', () => {
    const step = counterStep(db, TENANT_ID, { pendingInvitations: 1 });
    expect(step.item.Update?.ExpressionAttributeValues).toMatchObject({
      ':pendingInvitationCountDelta': 1,
      ':reservedSeatsDelta': 1,
    });
  });

  it('leaves reserved seats alone when an invitation becomes a member', () => {
    const step = counterStep(db, TENANT_ID, { members: 1, pendingInvitations: -1 });
    expect(step.item.Update?.UpdateExpression).not.toContain('reservedSeats');
  });

  it('never creates a tenant item that does not exist', () => {
    const step = counterStep(db, TENANT_ID, { members: -1 });
    expect(step.item.Update?.ConditionExpression).toBe('attribute_exists(pk)');
  });
});
