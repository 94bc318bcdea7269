import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger } from './logger.ts';
import { metrics } from './metrics.ts';

/**
 * The middleware of the event-path functions (stream publisher, rule consumers, schedule targets):
 * the Lambda context on every log line, and the EMF metrics the invocation recorded flushed when it
 * ends, also when it throws. Each handler records at least one metric per invocation, so the flush
 * never warns about an empty set.
 */
export function workerHandler<TEvent, TResult>(
  handler: (event: TEvent, context: Context) => Promise<TResult>,
) {
  return middy(handler)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}
