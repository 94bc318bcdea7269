import * as z from 'zod';
import { createDocumentClient, type Db } from '../db/client.ts';
import { lazyValue } from './deferred.ts';

/** What a worker (queue or stream consumer, schedule target) needs of its environment to reach the table. */
const workerTableEnv = /* @__PURE__ */ lazyValue(() =>
  z.object({
    TABLE_NAME: z.string().min(1),
    AWS_REGION: z.string().min(1).default('us-east-1'),
    AWS_ENDPOINT_URL: z.url().optional(),
  }),
);

/**
 * The table of a worker function, from its environment, read once per container and failing fast
 * (API functions get theirs from `createRuntime`, which reads the API's wider environment).
 */
export function createWorkerDb(environment: NodeJS.ProcessEnv = process.env): Db {
  const env = workerTableEnv().parse(environment);
  return {
    client: createDocumentClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL }),
    tableName: env.TABLE_NAME,
  };
}
