import { environmentReader, readAwsClientSettings } from '../config/env-rules.ts';
import { createDocumentClient, type Db } from '../db/client.ts';

/**
 * The table of a worker function (queue or stream consumer, schedule target), from its
 * environment, read once per container and failing fast (API functions get theirs from
 * `createRuntime`, which reads the API's wider environment).
 */
export function createWorkerDb(environment: NodeJS.ProcessEnv = process.env): Db {
  const read = environmentReader(environment, 'worker');
  const env = read.done({
    TABLE_NAME: read.required('TABLE_NAME'),
    ...readAwsClientSettings(read),
  });
  return {
    client: createDocumentClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL }),
    tableName: env.TABLE_NAME,
  };
}
