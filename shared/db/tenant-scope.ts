import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Isolation in depth: the tenant a request was resolved for, and the rule that its DynamoDB calls
 * touch no other tenant's partition.
 *
 * The API handler opens an empty scope per request ({@link runInRequestScope}); `tenancy.resolve`
 * fills it once the caller's membership is verified ({@link enterTenantScope}). From then on every
 * command of the shared document client is checked ({@link tenantScopeDecision}):
 *
 * - a key under another tenant's partition (`TENANT#<other>` or `TENANT#<other>#...`) is refused
 *   in-process with a {@link TenantIsolationError} (a 500 and an error log): the same rule IAM's
 *   `dynamodb:LeadingKeys` enforces on AWS, checked here because moto does not evaluate IAM;
 * - a command whose every partition key is exactly the tenant's (`TENANT#<id>`, on the table, not
 *   an index) is sent with the tenant-scoped credentials (shared/db/tenant-credentials.ts), so on
 *   AWS a bug that built another tenant's key is denied by IAM as well;
 * - any other command (it also touches a user profile, a rate-limit window, a locator, platform
 *   aggregates, or queries an index) runs with the function's own role, still held to the
 *   in-process rule for its tenant keys. README "Isolation in depth" lists those keys and why.
 */

interface Scope {
  tenantId?: string;
}

const storage = new AsyncLocalStorage<Scope>();

/** Runs `work` (one request) in a scope of its own, empty until a tenant is resolved in it. */
export function runInRequestScope<T>(work: () => T): T {
  return storage.run({}, work);
}

/**
 * Binds the current request scope to `tenantId` (called by `tenancy.resolve` once the membership
 * is verified). Outside a request scope (scripts, consumers, unit tests) it does nothing.
 */
export function enterTenantScope(tenantId: string): void {
  const scope = storage.getStore();
  if (scope) scope.tenantId = tenantId;
}

/** The tenant the current request is scoped to, if any. */
export function currentTenantScope(): string | undefined {
  return storage.getStore()?.tenantId;
}

/** A tenant-scoped request built a key of another tenant: a bug, refused before it reaches DynamoDB. */
export class TenantIsolationError extends Error {
  readonly scopedTenantId: string;
  readonly foreignPartition: string;
  constructor(scopedTenantId: string, foreignPartition: string, command: string) {
    super(
      `${command} in a request scoped to tenant ${scopedTenantId} touches partition ${foreignPartition} of another tenant: refused.`,
    );
    this.name = 'TenantIsolationError';
    this.scopedTenantId = scopedTenantId;
    this.foreignPartition = foreignPartition;
  }
}

const TENANT_PREFIX = 'TENANT#';

/** The tenant a partition key value belongs to (`TENANT#<id>` or `TENANT#<id>#...`), if any. */
export function tenantOfPartition(value: string): string | undefined {
  if (!value.startsWith(TENANT_PREFIX)) return undefined;
  const rest = value.slice(TENANT_PREFIX.length);
  const end = rest.indexOf('#');
  return end === -1 ? rest : rest.slice(0, end);
}

/** A partition key value a command addresses, and whether it is the table's (`pk`) or an index's. */
export interface PartitionKeyUse {
  readonly value: string;
  readonly onIndex: boolean;
}

type Loose = Record<string, unknown>;

const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null;

/** A string attribute, native (document client) or marshalled (`{ S: '...' }`). */
function stringOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isObject(value) && typeof value.S === 'string') return value.S;
  return undefined;
}

function tablePk(keyOrItem: unknown, into: PartitionKeyUse[]): void {
  if (!isObject(keyOrItem)) return;
  const value = stringOf(keyOrItem.pk);
  if (value !== undefined) into.push({ value, onIndex: false });
}

/**
 * The partition key values of a Query's key condition: every `<attribute> = <:value>` whose
 * attribute (through ExpressionAttributeNames) is a partition key (`pk`, `gsi1pk`, `gsi2pk`, ...).
 */
function queryPartitions(input: Loose, into: PartitionKeyUse[]): void {
  const expression = input.KeyConditionExpression;
  if (typeof expression !== 'string') return;
  const names = isObject(input.ExpressionAttributeNames) ? input.ExpressionAttributeNames : {};
  const values = isObject(input.ExpressionAttributeValues) ? input.ExpressionAttributeValues : {};
  for (const match of expression.matchAll(/(#?[\w]+)\s*=\s*(:[\w]+)/g)) {
    const [, nameToken = '', valueToken = ''] = match;
    const attribute = nameToken.startsWith('#') ? names[nameToken] : nameToken;
    if (typeof attribute !== 'string' || !/^(gsi\d+)?pk$/.test(attribute)) continue;
    const value = stringOf(values[valueToken]);
    if (value !== undefined) into.push({ value, onIndex: input.IndexName !== undefined });
  }
}

/**
 * Every partition key value a DynamoDB command's input addresses: Key, Item, the items of
 * TransactWriteItems / TransactGetItems, BatchGet's keys, BatchWrite's requests, and a Query's key
 * condition. Works on the document client's native values and on marshalled ones.
 */
export function partitionKeysOf(input: unknown): PartitionKeyUse[] {
  const found: PartitionKeyUse[] = [];
  if (!isObject(input)) return found;
  tablePk(input.Key, found);
  tablePk(input.Item, found);
  if (Array.isArray(input.TransactItems)) {
    for (const entry of input.TransactItems) {
      if (!isObject(entry)) continue;
      for (const operation of Object.values(entry)) {
        if (!isObject(operation)) continue;
        tablePk(operation.Key, found);
        tablePk(operation.Item, found);
      }
    }
  }
  if (isObject(input.RequestItems)) {
    for (const request of Object.values(input.RequestItems)) {
      // BatchGetItem: { Keys: [...] }; BatchWriteItem: [{ PutRequest: { Item } } | { DeleteRequest: { Key } }].
      if (isObject(request) && Array.isArray(request.Keys)) {
        for (const key of request.Keys) tablePk(key, found);
      }
      if (Array.isArray(request)) {
        for (const write of request) {
          if (!isObject(write)) continue;
          if (isObject(write.PutRequest)) tablePk(write.PutRequest.Item, found);
          if (isObject(write.DeleteRequest)) tablePk(write.DeleteRequest.Key, found);
        }
      }
    }
  }
  queryPartitions(input, found);
  return found;
}

/** What a command in a tenant scope may do. */
export type ScopeDecision =
  /** Every partition key is the tenant's own table partition: send with the tenant's credentials. */
  | { readonly kind: 'tenant' }
  /** No tenant key of another tenant, but not only the tenant's own partition: the function's role. */
  | { readonly kind: 'function-role' }
  /** A key under another tenant's partition. */
  | { readonly kind: 'refuse'; readonly foreignPartition: string };

/**
 * The rule, for a command sent while the request is scoped to `tenantId`: the same that the
 * tenant-data role's `dynamodb:LeadingKeys` condition holds on AWS (`TENANT#<tenantId>`), applied
 * to every tenant partition the command names, on the table and on indexes alike.
 */
export function tenantScopeDecision(tenantId: string, input: unknown): ScopeDecision {
  const partitions = partitionKeysOf(input);
  for (const { value } of partitions) {
    const owner = tenantOfPartition(value);
    if (owner !== undefined && owner !== tenantId) return { kind: 'refuse', foreignPartition: value };
  }
  const own = `${TENANT_PREFIX}${tenantId}`;
  const onlyOwnTable = partitions.length > 0 && partitions.every((p) => !p.onIndex && p.value === own);
  return onlyOwnTable ? { kind: 'tenant' } : { kind: 'function-role' };
}
