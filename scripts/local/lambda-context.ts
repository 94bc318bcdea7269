import { randomBytes, randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** The account id the local stack reports wherever AWS would name one (ARNs, SQS sender ids). */
export const LOCAL_ACCOUNT_ID = '123456789012';

/**
 * The Lambda context the runtime would pass to `plinth-<stage>-<name>` (stage `local` unless
 * given) for one invocation, for handlers called in process (local server, event runner, tests).
 */
export function createLambdaContext(
  name: string,
  options: {
    readonly region: string;
    readonly timeoutMs: number;
    readonly memoryMb: number;
    readonly stage?: string;
  },
): Context {
  const functionName = `plinth-${options.stage ?? 'local'}-${name}`;
  const deadline = Date.now() + options.timeoutMs;
  const ignore = () => undefined;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${options.region}:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: String(options.memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: ignore,
    fail: ignore,
    succeed: ignore,
  };
}
