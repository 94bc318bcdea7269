import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../http/errors.ts';
import type { Db } from './client.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** One item of a transaction, with the error to throw when its condition is what failed. */
export interface TransactStep {
  readonly item: TransactItem;
  readonly onConditionFailed?: () => Error;
}

/**
 * Writes all steps atomically (TransactWriteItems). When a condition fails, throws the
 * error of the first step whose condition failed, so callers get a typed 404/409 instead of a
 * generic cancellation; any other failure is rethrown as is.
 */
export async function transactWrite(db: Db, steps: readonly TransactStep[]): Promise<void> {
  try {
    await db.client.send(new TransactWriteCommand({ TransactItems: steps.map((s) => s.item) }));
  } catch (error) {
    if (error instanceof TransactionCanceledException) {
      const reasons = error.CancellationReasons ?? [];
      const index = reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed');
      const toThrow = index >= 0 ? steps[index]?.onConditionFailed?.() : undefined;
      if (toThrow) throw toThrow;
      // Another transaction touched the same items at the same moment: a retryable conflict, not a fault.
      if (reasons.some((r) => r.Code === 'TransactionConflict')) {
        throw new ConflictError('Another request changed the same data at the same time; retry.');
      }
    }
    throw error;
  }
}
