import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Builds the document client; call once per container (module scope) and pass it down. */
export function createDocumentClient(options: { region: string; endpoint?: string | undefined }) {
  const client = new DynamoDBClient({ region: options.region, endpoint: options.endpoint });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
}

export type DocumentClient = ReturnType<typeof createDocumentClient>;

/** Everything a repository needs to reach the table. */
export interface Db {
  readonly client: DocumentClient;
  readonly tableName: string;
}
