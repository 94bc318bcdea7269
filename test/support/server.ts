import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { localClientConfig } from '../../scripts/local/aws.ts';
import { createLocalMetrics, type LocalMetrics } from '../../scripts/local/metrics.ts';
import { type LoadHandler, type LocalServer, startLocalServer } from '../../scripts/local/server.ts';
import type { TestStack } from './stack.ts';

export interface TestServerOptions {
  /** Fake handlers; by default the real `functions/<area>/handler.ts`. */
  readonly loadHandler?: LoadHandler;
  readonly maxBodyBytes?: number;
  /** Handler faults are printed by default; pass a function to collect or silence them. */
  readonly onError?: (error: unknown) => void;
  /** Serves the admin console built in `dir` under `/console/`, as `npm run dev` does. */
  readonly console?: { readonly dir: string };
}

/**
 * Serves the API for `stack` on a free port, in this test process, with the same routing and JWT
 * checks as API Gateway. Sets `process.env` to the stack's environment first: the handlers read it
 * once, at their first import, and keep their AWS clients at module scope. That is safe because
 * vitest gives each test FILE its own module registry (`isolate`, the default): start one server
 * per file, in `beforeAll`, and close it in `afterAll`.
 */
export async function startTestServer(
  stack: TestStack,
  options: TestServerOptions = {},
): Promise<LocalServer & { readonly metrics: LocalMetrics }> {
  Object.assign(process.env, stack.env);
  // As `npm run dev`: the functions' metrics reach moto's CloudWatch under this stack's names.
  const metrics = createLocalMetrics(new CloudWatchClient(localClientConfig(stack)));
  const server = await startLocalServer({
    metrics,
    stage: stack.stage,
    port: 0,
    region: stack.region,
    userPoolId: stack.userPoolId,
    clientId: stack.clientId,
    ssoClientId: stack.ssoClientId,
    cognitoEndpoint: stack.endpoint,
    ...(options.loadHandler ? { loadHandler: options.loadHandler } : {}),
    ...(options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.console ? { console: options.console } : {}),
  });
  return { ...server, metrics };
}
