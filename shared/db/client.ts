import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { addCapacityAccounting } from './capacity.ts';

/**
 * Builds the document client; call once per container (module scope) and pass it down. Every call
 * asks DynamoDB for the capacity it consumed, for whoever observes it (shared/db/capacity.ts).
 */
export function createDocumentClient(options: { region: string; endpoint?: string | undefined }) {
  const client = new DynamoDBClient({ region: options.region, endpoint: options.endpoint });
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
