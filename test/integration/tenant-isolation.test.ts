import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient, type DocumentClient } from '#shared/db/client.ts';
import { keys } from '#shared/db/keys.ts';
import { createTenantCredentials, type TenantCredentials } from '#shared/db/tenant-credentials.ts';
import { enterTenantScope, runInRequestScope, TenantIsolationError } from '#shared/db/tenant-scope.ts';
import { newId } from '#shared/ids.ts';
import { LOCAL_CREDENTIALS } from '../../scripts/local/aws.ts';
import { createTestStack, type TestStack } from '../support/harness.ts';

let stack: TestStack;
let credentials: TenantCredentials;
let client: DocumentClient;
/** The access key id each request to DynamoDB was signed with, in order. */
const signedWith: string[] = [];

beforeAll(async () => {
  stack = await createTestStack();
  Object.assign(process.env, stack.env);
  credentials = createTenantCredentials({
    roleArn: stack.env.TENANT_DATA_ROLE_ARN as string,
    region: stack.region,
    endpoint: stack.endpoint,
  });
  client = createDocumentClient({
    region: stack.region,
    endpoint: stack.endpoint,
    tenantCredentials: credentials,
  });
  client.middlewareStack.addRelativeTo(
    ((next: (args: unknown) => Promise<unknown>) =>
      async (args: { request: { headers: Record<string, string> } }) => {
        const credential = /Credential=([^/]+)\//.exec(args.request.headers.authorization ?? '');
        signedWith.push(credential?.[1] ?? 'unsigned');
        return next(args);
      }) as never,
    { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'testSignedWith' },
  );
});

/** Runs `work` as a request resolved for `tenantId`. */
const asTenant = <T>(tenantId: string, work: () => Promise<T>) =>
  runInRequestScope(async () => {
    enterTenantScope(tenantId);
    return work();
  });

const project = (tenantId: string) => ({ ...keys.project(tenantId, newId()), name: 'p' });

describe('tenant-scoped credentials (moto STS)', () => {
  it("signs a command on the tenant's own partition with credentials from AssumeRole", async () => {
    const tenantId = newId();
    signedWith.length = 0;

    await asTenant(tenantId, () =>
      client.send(new PutCommand({ TableName: stack.tableName, Item: project(tenantId) })),
    );

    expect(signedWith).toHaveLength(1);
    expect(signedWith[0]).not.toBe(LOCAL_CREDENTIALS.accessKeyId);
    expect(credentials.assumeRoleCalls.get(tenantId)).toBe(1);
  });

  it('calls STS once per tenant while the credentials last', async () => {
    const tenantId = newId();

    for (let i = 0; i < 3; i++) {
      await asTenant(tenantId, () =>
        client.send(new PutCommand({ TableName: stack.tableName, Item: project(tenantId) })),
      );
    }
    await Promise.all(
      [1, 2, 3].map(() =>
        asTenant(tenantId, () =>
          client.send(new GetCommand({ TableName: stack.tableName, Key: keys.tenant(tenantId) })),
        ),
      ),
    );

    expect(credentials.assumeRoleCalls.get(tenantId)).toBe(1);
  });

  it("signs a command that also touches a platform key with the function's role", async () => {
    const tenantId = newId();
    signedWith.length = 0;

    await asTenant(tenantId, () =>
      client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: stack.tableName, Item: project(tenantId) } },
            { Put: { TableName: stack.tableName, Item: { ...keys.userProfile(newId()), n: 1 } } },
          ],
        }),
      ),
    );

    expect(signedWith).toEqual([LOCAL_CREDENTIALS.accessKeyId]);
  });

  it('signs commands outside a tenant scope with the function role', async () => {
    signedWith.length = 0;

    await client.send(new PutCommand({ TableName: stack.tableName, Item: project(newId()) }));

    expect(signedWith).toEqual([LOCAL_CREDENTIALS.accessKeyId]);
  });
});

describe("another tenant's keys under a tenant's scope", () => {
  it('are refused before anything reaches DynamoDB', async () => {
    const [a, b] = [newId(), newId()];
    const item = project(b);
    signedWith.length = 0;

    const put = asTenant(a, () => client.send(new PutCommand({ TableName: stack.tableName, Item: item })));

    await expect(put).rejects.toBeInstanceOf(TenantIsolationError);
    expect(signedWith).toEqual([]);
    const stored = await stack.db.send(
      new GetCommand({ TableName: stack.tableName, Key: keys.project(b, item.sk.slice(8)) }),
    );
    expect(stored.Item).toBeUndefined();
  });

  it('are refused inside a transaction with the tenant own items, which are not written either', async () => {
    const [a, b] = [newId(), newId()];
    const own = project(a);

    const write = asTenant(a, () =>
      client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: stack.tableName, Item: own } },
            { Put: { TableName: stack.tableName, Item: project(b) } },
          ],
        }),
      ),
    );

    await expect(write).rejects.toThrow(/another tenant/);
    const stored = await stack.db.send(
      new GetCommand({ TableName: stack.tableName, Key: { pk: own.pk, sk: own.sk } }),
    );
    expect(stored.Item).toBeUndefined();
  });
});
