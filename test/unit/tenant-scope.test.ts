import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keys } from '../../shared/db/keys.ts';
import {
  currentTenantScope,
  enterTenantScope,
  partitionKeysOf,
  runInRequestScope,
  tenantOfPartition,
  tenantScopeDecision,
} from '../../shared/db/tenant-scope.ts';

const A = '01jaaaaaaaaaaaaaaaaaaaaaaa';
const B = '01jbbbbbbbbbbbbbbbbbbbbbbb';

describe('tenantOfPartition', () => {
  it('reads the tenant of a tenant partition and of a partition under it', () => {
    expect(tenantOfPartition(`TENANT#${A}`)).toBe(A);
    expect(tenantOfPartition(`TENANT#${A}#ACTOR#u1`)).toBe(A);
  });

  it('gives no tenant for platform partitions', () => {
    expect(tenantOfPartition('USER#u1')).toBeUndefined();
    expect(tenantOfPartition(`RATE#api-requests#${A}`)).toBeUndefined();
  });
});

describe('partitionKeysOf', () => {
  it('finds the partition keys of a transaction, native and marshalled', () => {
    const found = partitionKeysOf({
      TransactItems: [
        { Put: { TableName: 't', Item: keys.project(A, 'p1') } },
        { Update: { TableName: 't', Key: { pk: { S: 'USER#u1' }, sk: { S: 'PROFILE' } } } },
        { ConditionCheck: { TableName: 't', Key: keys.tenant(B) } },
      ],
    }).map((p) => p.value);
    expect(found).toEqual([`TENANT#${A}`, 'USER#u1', `TENANT#${B}`]);
  });

  it('finds the keys of batch gets and batch writes', () => {
    const found = partitionKeysOf({
      RequestItems: {
        t: [{ PutRequest: { Item: keys.project(A, 'p1') } }, { DeleteRequest: { Key: keys.tenant(B) } }],
        u: { Keys: [keys.userProfile('u1')] },
      },
    }).map((p) => p.value);
    expect(found).toEqual([`TENANT#${A}`, `TENANT#${B}`, 'USER#u1']);
  });

  it("finds a query's partition key through attribute names, and marks an index query", () => {
    expect(
      partitionKeysOf({
        IndexName: 'gsi1',
        KeyConditionExpression: '#pk = :pk AND begins_with(gsi1sk, :sk)',
        ExpressionAttributeNames: { '#pk': 'gsi1pk' },
        ExpressionAttributeValues: { ':pk': `TENANT#${B}#ACTOR#u1`, ':sk': 'AUDIT#' },
      }),
    ).toEqual([{ value: `TENANT#${B}#ACTOR#u1`, onIndex: true }]);
  });

  it('ignores sort key conditions', () => {
    expect(
      partitionKeysOf({
        KeyConditionExpression: 'pk = :pk AND sk = :sk',
        ExpressionAttributeValues: { ':pk': 'USER#u1', ':sk': `TENANT#${B}` },
      }),
    ).toEqual([{ value: 'USER#u1', onIndex: false }]);
  });
});

describe('tenantScopeDecision', () => {
  it("signs a command on the tenant's own partition with the tenant's credentials", () => {
    expect(tenantScopeDecision(A, { Key: keys.project(A, 'p1') })).toEqual({ kind: 'tenant' });
  });

  it("refuses a command on another tenant's partition", () => {
    expect(tenantScopeDecision(A, { Key: keys.project(B, 'p1') })).toEqual({
      kind: 'refuse',
      foreignPartition: `TENANT#${B}`,
    });
  });

  it("refuses a transaction with one item of another tenant among the tenant's own", () => {
    const decision = tenantScopeDecision(A, {
      TransactItems: [{ Put: { Item: keys.project(A, 'p1') } }, { Put: { Item: keys.outbox(B, 'e1') } }],
    });
    expect(decision.kind).toBe('refuse');
  });

  it("refuses a query of another tenant's index partition", () => {
    const decision = tenantScopeDecision(A, {
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.auditByActor(B, 'u1').gsi1pk },
    });
    expect(decision.kind).toBe('refuse');
  });

  it("leaves a command that also touches a platform key on the function's role", () => {
    const decision = tenantScopeDecision(A, {
      TransactItems: [{ Put: { Item: keys.project(A, 'p1') } }, { Update: { Key: keys.userProfile('u1') } }],
    });
    expect(decision).toEqual({ kind: 'function-role' });
  });

  it("leaves an index query of the tenant's own partition on the function's role", () => {
    const decision = tenantScopeDecision(A, {
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.auditByActor(A, 'u1').gsi1pk },
    });
    expect(decision).toEqual({ kind: 'function-role' });
  });

  it("refuses, for any two tenants, commands on tenant B's keys under tenant A's scope", () => {
    const tenantId = fc.stringMatching(/^[0-9a-hjkmnp-tv-z]{26}$/);
    const keyOf = fc.constantFrom(
      (t: string) => ({ Key: keys.tenant(t) }),
      (t: string) => ({ Item: keys.member(t, 'u1') }),
      (t: string) => ({ TransactItems: [{ Delete: { Key: keys.project(t, 'p') } }] }),
      (t: string) => ({ RequestItems: { table: { Keys: [keys.billing(t)] } } }),
      (t: string) => ({ RequestItems: { table: [{ PutRequest: { Item: keys.outbox(t, 'e') } }] } }),
      (t: string) => ({
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.projectsPrefix(t).pk },
      }),
    );
    fc.assert(
      fc.property(tenantId, tenantId, keyOf, (a, b, build) => {
        fc.pre(a !== b);
        expect(tenantScopeDecision(a, build(b)).kind).toBe('refuse');
        expect(tenantScopeDecision(a, build(a)).kind).not.toBe('refuse');
      }),
    );
  });
});

describe('request scope', () => {
  it('binds the tenant for the rest of the request only', async () => {
    const seen = await runInRequestScope(async () => {
      const before = currentTenantScope();
      enterTenantScope(A);
      await Promise.resolve();
      return { before, after: currentTenantScope() };
    });
    expect(seen).toEqual({ before: undefined, after: A });
    expect(currentTenantScope()).toBeUndefined();
  });

  it('keeps concurrent requests apart', async () => {
    const request = (tenantId: string) =>
      runInRequestScope(async () => {
        enterTenantScope(tenantId);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return currentTenantScope();
      });
    expect(await Promise.all([request(A), request(B)])).toEqual([A, B]);
  });

  it('binds nothing outside a request scope', () => {
    enterTenantScope(A);
    expect(currentTenantScope()).toBeUndefined();
  });
});
