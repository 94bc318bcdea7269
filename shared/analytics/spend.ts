import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type * as z from 'zod';
import { requireOperatorPermission } from '../admin/operators.ts';
import { platformAuditSteps } from '../admin/platform-audit.ts';
import type { Caller } from '../auth/caller.ts';
import type { Db } from '../db/client.ts';
import { keys } from '../db/keys.ts';
import { transactWrite } from '../db/transact.ts';
import type { RequestMeta } from '../http/api-handler.ts';
import { BadRequestError } from '../http/errors.ts';
import type { Clock, IdGenerator } from '../ids.ts';
import type { spendBody, spendResponse } from './metrics-api.schema.ts';
import { METRICS_CURRENCY } from './snapshot.ts';

/**
 * Acquisition spend per month and channel, entered by operators: what CAC divides by the month's
 * new customers. Setting a month replaces its channels; the change and its audit entry (who, from
 * what to what) are written in one transaction.
 */

export type SpendInput = z.infer<ReturnType<typeof spendBody>>;
export type SpendView = z.infer<ReturnType<typeof spendResponse>>;

export interface SpendDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly newId: IdGenerator;
}

function viewOf(item: Record<string, unknown>): SpendView {
  return {
    month: String(item.month),
    currency: String(item.currency),
    total: Number(item.total),
    channels: item.channels as SpendView['channels'],
    updatedAt: String(item.updatedAt),
    updatedBy: String(item.updatedBy),
  };
}

/** A month's recorded spend, or undefined when none was entered. */
export async function readSpend(db: Db, month: string): Promise<SpendView | undefined> {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.tableName, Key: keys.metricsSpend(month) }),
  );
  return Item ? viewOf(Item) : undefined;
}

export function createSpendService({ db, clock, newId }: SpendDeps) {
  return {
    /** `PUT /admin/metrics/spend/{month}`: replaces the month's spend, audited. */
    async setSpend(
      caller: Caller,
      month: string,
      input: SpendInput,
      request: RequestMeta,
    ): Promise<SpendView> {
      requireOperatorPermission(caller, 'spend:manage');
      if (input.currency.toLowerCase() !== METRICS_CURRENCY) {
        throw new BadRequestError(`Spend is recorded in the catalogue currency (${METRICS_CURRENCY}).`, [
          { field: 'body.currency', message: `must be ${METRICS_CURRENCY}` },
        ]);
      }
      const previous = await readSpend(db, month);
      const now = clock();
      const at = now.toISOString();
      const view: SpendView = {
        month,
        currency: METRICS_CURRENCY,
        total: input.channels.reduce((sum, channel) => sum + channel.amount, 0),
        channels: [...input.channels].sort((a, b) => a.channel.localeCompare(b.channel)),
        updatedAt: at,
        updatedBy: caller.userId,
      };
      await transactWrite(db, [
        {
          item: {
            Put: {
              TableName: db.tableName,
              Item: { ...keys.metricsSpend(month), type: 'metrics-spend', ...view },
            },
          },
        },
        ...platformAuditSteps(
          db,
          {
            operatorId: caller.userId,
            action: 'metrics.spend-set',
            target: { type: 'spend-month', id: month },
            before: previous ? { total: previous.total, channels: previous.channels } : null,
            after: { total: view.total, channels: view.channels },
            reason: null,
            request,
          },
          { clock: () => now, newId },
        ),
      ]);
      return view;
    },
  };
}
