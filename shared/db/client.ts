import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { traceClient } from '../observability/tracer.ts';
import { addCapacityAccounting } from './capacity.ts';

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
}) {
  const client = traceClient(
    new DynamoDBClient({
      region: options.region,
      endpoint: options.endpoint,
      ...(options.credentials ? { credentials: options.credentials } : {}),
    }),
  );
  const documents = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  addCapacityAccounting(documents.middlewareStack);
  return documents;
}

export type DocumentClient = ReturnType<typeof createDocumentClient>;

/** Everything a repository needs to reach the table. */
export interface Db {
  readonly client: DocumentClient;
  readonly tableName: string;
}
