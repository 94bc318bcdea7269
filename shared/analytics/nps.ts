import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { lazyValue } from '../app/deferred.ts';
import type { Caller } from '../auth/caller.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { transactWrite } from '../db/transact.ts';
import { ConflictError } from '../http/errors.ts';
import type { Clock, IdGenerator } from '../ids.ts';
import type { TenantContext } from '../tenancy/tenant-context.ts';
import { type NpsCounts, noNpsAnswers, npsKindOf } from './metrics.ts';

/**
 * NPS survey answers: any member answers for themself, in a tenant they belong to, at most once per
 * {@link NPS_WINDOW_DAYS} days (across tenants). The answer, the user's last-answer marker
 * (conditioned on the previous answer being older than the window) and the day's counters are
 * written in one transaction, so two answers at once leave one. NPS for a date is computed from the
 * counters of the window's days: never from every answer.
 */

/** How long an answer counts for NPS, and how long a user waits before answering again. */
export const NPS_WINDOW_DAYS = 90;
const DAY_MS = 86_400_000;

export const npsBody = /* @__PURE__ */ lazyValue(() =>
  z.strictObject({
    score: z.number().int().min(0).max(10),
    comment: z.string().trim().max(1000).optional(),
  }),
);
export const npsAnswerResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({
    answerId: z.string(),
    tenantId: z.string(),
    score: z.number().int(),
    comment: z.string().nullable(),
    answeredAt: z.iso.datetime(),
    /** When this user may answer again. */
    nextDueAt: z.iso.datetime(),
  }),
);
export const npsStatusResponse = /* @__PURE__ */ lazyValue(() =>
  z.object({
    /** Whether the survey should be shown: never answered, or the last answer is 90 days old. */
    due: z.boolean(),
    lastAnsweredAt: z.iso.datetime().nullable(),
    /** When the survey is due (null: due now). */
    dueAt: z.iso.datetime().nullable(),
  }),
);

export type NpsInput = z.infer<ReturnType<typeof npsBody>>;

export interface NpsDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly newId: IdGenerator;
}

const plusDays = (iso: string, days: number) => new Date(Date.parse(iso) + days * DAY_MS).toISOString();

/** The answer counts of the {@link NPS_WINDOW_DAYS} days ending with `day` (inclusive). */
export async function npsCountsThrough(db: Db, day: string): Promise<NpsCounts> {
  const from = new Date(Date.parse(`${day}T00:00:00.000Z`) - (NPS_WINDOW_DAYS - 1) * DAY_MS)
    .toISOString()
    .slice(0, 10);
  const { Items = [] } = await db.client.send(
    new QueryCommand({
      TableName: db.tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': keys.npsDays().pk, ':from': from, ':to': day },
    }),
  );
  const counts = { ...noNpsAnswers };
  for (const item of Items) {
    counts.promoters += Number(item.promoters ?? 0);
    counts.passives += Number(item.passives ?? 0);
    counts.detractors += Number(item.detractors ?? 0);
  }
  return counts;
}

export function createNpsService({ db, clock, newId }: NpsDeps) {
  async function lastAnswer(userId: string) {
    const { Item } = await db.client.send(
      new GetCommand({ TableName: db.tableName, Key: keys.npsLastAnswer(userId), ConsistentRead: true }),
    );
    return typeof Item?.answeredAt === 'string' ? Item.answeredAt : null;
  }

  return {
    /** `POST /v1/tenants/{tenantId}/nps`: records the caller's answer; 409 within 90 days of the last. */
    async answer(
      ctx: TenantContext,
      input: NpsInput,
    ): Promise<z.infer<ReturnType<typeof npsAnswerResponse>>> {
      const answeredAt = clock().toISOString();
      const answerId = newId();
      const userId = ctx.caller.userId;
      const comment = input.comment ? input.comment : null;
      const cutoff = plusDays(answeredAt, -NPS_WINDOW_DAYS);
      await transactWrite(db, [
        {
          item: {
            Put: {
              TableName: db.tableName,
              Item: { ...keys.npsLastAnswer(userId), type: 'nps-last', userId, answeredAt, answerId },
              ConditionExpression: 'attribute_not_exists(pk) OR answeredAt <= :cutoff',
              ExpressionAttributeValues: { ':cutoff': cutoff },
            },
          },
          onConditionFailed: () =>
            new ConflictError(
              `You answered the survey in the last ${NPS_WINDOW_DAYS} days; it is not due yet.`,
            ),
        },
        {
          item: {
            Put: {
              TableName: db.tableName,
              Item: {
                ...keys.npsAnswer(answeredAt, answerId),
                type: 'nps-answer',
                answerId,
                tenantId: ctx.tenantId,
                userId,
                score: input.score,
                comment,
                answeredAt,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        },
        {
          item: {
            Update: {
              TableName: db.tableName,
              Key: keys.npsDay(answeredAt.slice(0, 10)),
              UpdateExpression: 'SET #type = :type, #day = :day ADD #kind :one',
              ExpressionAttributeNames: { '#type': 'type', '#day': 'day', '#kind': npsKindOf(input.score) },
              ExpressionAttributeValues: { ':type': 'nps-day', ':day': answeredAt.slice(0, 10), ':one': 1 },
            },
          },
        },
      ]);
      return {
        answerId,
        tenantId: ctx.tenantId,
        score: input.score,
        comment,
        answeredAt,
        nextDueAt: plusDays(answeredAt, NPS_WINDOW_DAYS),
      };
    },

    /** `GET /v1/me/nps`: whether the survey is due for the caller. */
    async status(caller: Caller): Promise<z.infer<ReturnType<typeof npsStatusResponse>>> {
      const last = await lastAnswer(caller.userId);
      if (!last) return { due: true, lastAnsweredAt: null, dueAt: null };
      const dueAt = plusDays(last, NPS_WINDOW_DAYS);
      const due = dueAt <= clock().toISOString();
      return { due, lastAnsweredAt: last, dueAt: due ? null : dueAt };
    },
  };
}
