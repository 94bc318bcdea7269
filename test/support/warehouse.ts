import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { localClientConfig } from '../../scripts/local/aws.ts';
import { warehouseLayout } from '../../shared/analytics/product/warehouse.ts';
import type { TestStack } from './stack.ts';

/** One object Firehose (moto) wrote to the stack's warehouse bucket, with its JSON lines parsed. */
export interface WarehouseObject {
  readonly key: string;
  readonly text: string;
  readonly lines: Record<string, unknown>[];
}

/** Every object under the warehouse's data prefix, oldest key first (moto writes each batch at once). */
export async function readWarehouseObjects(stack: TestStack): Promise<WarehouseObject[]> {
  const s3 = new S3Client({ ...localClientConfig(stack), forcePathStyle: true });
  try {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: stack.warehouseBucket,
          Prefix: warehouseLayout.dataRoot,
          ContinuationToken: token,
        }),
      );
      keys.push(...(page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : [])));
      token = page.NextContinuationToken;
    } while (token);
    return await Promise.all(
      keys.sort().map(async (key) => {
        const { Body } = await s3.send(new GetObjectCommand({ Bucket: stack.warehouseBucket, Key: key }));
        const text = (await Body?.transformToString('utf8')) ?? '';
        const lines = text
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as Record<string, unknown>);
        return { key, text, lines };
      }),
    );
  } finally {
    s3.destroy();
  }
}

/** The warehouse lines of one tenant, in the order they were written. */
export async function warehouseLinesOf(
  stack: TestStack,
  tenantId: string,
): Promise<Record<string, unknown>[]> {
  return (await readWarehouseObjects(stack)).flatMap((object) =>
    object.lines.filter((line) => line.tenant_id === tenantId),
  );
}
