import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';
import { dependencyNames, healthStatuses } from './health.rules.ts';

const status = /* @__PURE__ */ lazyValue(() =>
  z.enum(healthStatuses).meta({
    description: '`ok`, `degraded` (look soon) or `failing` (look now); the rules are in the README.',
  }),
);
const count = /* @__PURE__ */ lazyValue(() => z.number().int().min(0));
const sums = /* @__PURE__ */ lazyValue(() =>
  z
    .object({ last24Hours: count(), lastHour: count() })
    .meta({ description: 'A count over the last 24 hours, and over the last hour of them.' }),
);

export const healthResponse = /* @__PURE__ */ lazyValue(() =>
  z
    .object({
      status: status().meta({ description: "The worst of the dependencies' statuses." }),
      checkedAt: z.iso.datetime(),
      /** The window the metric figures cover. */
      window: z.object({ from: z.iso.datetime(), to: z.iso.datetime() }),
      attention: z
        .array(
          z.object({
            status: z.enum(['degraded', 'failing']),
            dependency: z.enum(dependencyNames),
            summary: z.string(),
          }),
        )
        .meta({ description: 'What needs attention, the most pressing first (failing before degraded).' }),
      dependencies: z.object({
        table: z.object({
          status: status(),
          tableName: z.string(),
          readThrottles: count().nullable(),
          writeThrottles: count().nullable(),
        }),
        bus: z.object({
          status: status(),
          unpublishedOutboxItems: count().nullable(),
          unpublishedAtLeast: z
            .boolean()
            .meta({ description: 'The count stopped at its bound: there are at least that many.' }),
          oldestUnpublishedAgeSeconds: count().nullable(),
          publishFailures: count().nullable(),
        }),
        queues: z.object({
          status: status(),
          queues: z
            .array(
              z.object({
                name: z.string(),
                waiting: count().nullable(),
                inFlight: count().nullable(),
                deadLetters: count(),
              }),
            )
            .nullable(),
        }),
        webhook: z.object({
          status: status(),
          failures: sums().nullable(),
          deferred: count().nullable(),
          serverErrors: count().nullable().meta({ description: 'Answers with a 5xx status (Function URL).' }),
        }),
        functions: z.object({
          status: status(),
          functions: z
            .array(
              z.object({
                name: z.string(),
                errors: sums().nullable(),
                throttles: count().nullable(),
              }),
            )
            .nullable(),
        }),
      }),
    })
    .meta({ id: 'SystemHealth', description: 'The state of the dependencies, from the live services.' }),
);

export type HealthResponse = z.input<ReturnType<typeof healthResponse>>;
