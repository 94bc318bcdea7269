import { AsyncLocalStorage } from 'node:async_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { logger } from '../observability/logger.ts';
import { traceClient } from '../observability/tracer.ts';
import { addCapacityAccounting } from './capacity.ts';
import type { TenantCredentials } from './tenant-credentials.ts';
import { currentTenantScope, TenantIsolationError, tenantScopeDecision } from './tenant-scope.ts';

/**
 * Builds the document client; call once per container (module scope) and pass it down. Its calls
 * are X-Ray subsegments where tracing is active (shared/observability/tracer.ts), and every call asks
 * DynamoDB for the capacity it consumed, for whoever observes it (shared/db/capacity.ts).
 */
export function createDocumentClient(options: {
  region: string;
  endpoint?: string | undefined;
  /** Only for scripts pointed at the emulator; functions use the runtime's credentials. */
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
  /**
   * Credentials scoped to one tenant (shared/db/tenant-credentials.ts): commands of a tenant-scoped
   * request that touch only that tenant's partition are signed with them. Without it those commands
   * use the function's role; the in-process tenant check applies either way.
   */
  tenantCredentials?: TenantCredentials | undefined;
}) {
  const raw = new DynamoDBClient({
    region: options.region,
    endpoint: options.endpoint,
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  if (options.tenantCredentials) signTenantCommandsWith(raw, options.tenantCredentials);
  const client = traceClient(raw);
  const documents = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  addCapacityAccounting(documents.middlewareStack);
  addTenantIsolation(documents.middlewareStack, options.tenantCredentials !== undefined);
  return documents;
}

export type DocumentClient = ReturnType<typeof createDocumentClient>;

/** Everything a repository needs to reach the table. */
export interface Db {
  readonly client: DocumentClient;
  readonly tableName: string;
}

/** The tenant whose credentials sign the command being sent, for the client's credential provider. */
const signingTenant = new AsyncLocalStorage<string>();

type Stack = DynamoDBDocumentClient['middlewareStack'];

/**
 * Holds every command of a tenant-scoped request to its tenant (shared/db/tenant-scope.ts): refuses
 * another tenant's key before anything is sent (a 500 and an error log), and sends commands that
 * stay in the tenant's own partition under the tenant's credentials. The check runs at `initialize`
 * (native values, once per call, retries included).
 */
function addTenantIsolation(stack: Stack, signAsTenant: boolean): void {
  stack.add(
    (next, context) => async (args) => {
      const tenantId = currentTenantScope();
      if (tenantId === undefined) return next(args);
      const command = context.commandName ?? 'DynamoDB command';
      const decision = tenantScopeDecision(tenantId, args.input);
      if (decision.kind === 'refuse') {
        logger.error("tenant isolation: refused a command on another tenant's partition", {
          tenantId,
          foreignPartition: decision.foreignPartition,
          command,
        });
        throw new TenantIsolationError(tenantId, decision.foreignPartition, command);
      }
      return decision.kind === 'tenant' && signAsTenant
        ? signingTenant.run(tenantId, () => next(args))
        : next(args);
    },
    { step: 'initialize', name: 'plinthTenantIsolation', override: true },
  );
}

/**
 * Replaces the client's credentials with a provider that answers the tenant's credentials while a
 * command runs for a tenant ({@link signingTenant}) and the client's own (the function's role)
 * otherwise. Marked `memoized` so the SDK asks it on every request instead of caching one answer;
 * both underlying providers cache their own.
 */
function signTenantCommandsWith(client: DynamoDBClient, tenantCredentials: TenantCredentials): void {
  const own = client.config.credentials;
  const provider = Object.assign(
    async (options?: Parameters<typeof own>[0]) => {
      const tenantId = signingTenant.getStore();
      return tenantId === undefined ? own(options) : tenantCredentials.forTenant(tenantId);
    },
    { memoized: true },
  );
  client.config.credentials = provider;
}
