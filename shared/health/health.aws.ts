import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { MetricSums } from './health.rules.ts';
import type { MetricReader, QueueReader } from './health.sources.ts';

/** Five-minute sums: the last hour is told from the rest to within five minutes. */
const PERIOD_SECONDS = 300;
/** GetMetricData takes at most 500 queries per call. */
const QUERIES_PER_CALL = 500;

/**
 * Metric sums from CloudWatch GetMetricData (moto's locally): one MetricStat `Sum` query per
 * metric, five-minute periods, paged with NextToken; the datapoints are added up here, so the same
 * code runs against AWS and the emulator (no metric math, which moto only partly evaluates).
 */
export function createCloudWatchMetricReader(client: CloudWatchClient): MetricReader {
  return {
    async sums(queries, { start, end }) {
      const totals: { last24Hours: number; lastHour: number }[] = queries.map(() => ({
        last24Hours: 0,
        lastHour: 0,
      }));
      const lastHourFrom = end.getTime() - 3600_000;
      for (let offset = 0; offset < queries.length; offset += QUERIES_PER_CALL) {
        const chunk = queries.slice(offset, offset + QUERIES_PER_CALL);
        const dataQueries: MetricDataQuery[] = chunk.map((query, index) => ({
          Id: `m${offset + index}`,
          MetricStat: {
            Metric: {
              Namespace: query.namespace,
              MetricName: query.metricName,
              Dimensions: Object.entries(query.dimensions).map(([Name, Value]) => ({ Name, Value })),
            },
            Period: PERIOD_SECONDS,
            Stat: 'Sum',
          },
          ReturnData: true,
        }));
        let nextToken: string | undefined;
        do {
          const page = await client.send(
            new GetMetricDataCommand({
              StartTime: start,
              EndTime: end,
              MetricDataQueries: dataQueries,
              ScanBy: 'TimestampAscending',
              NextToken: nextToken,
            }),
          );
          for (const result of page.MetricDataResults ?? []) {
            const total = totals[Number(result.Id?.slice(1))];
            if (!total) continue;
            const values = result.Values ?? [];
            const timestamps = result.Timestamps ?? [];
            values.forEach((value, i) => {
              total.last24Hours += value;
              const at = timestamps[i];
              if (at && at.getTime() >= lastHourFrom) total.lastHour += value;
            });
          }
          nextToken = page.NextToken;
        } while (nextToken);
      }
      return totals.map((t): MetricSums => ({ last24Hours: t.last24Hours, lastHour: t.lastHour }));
    },
  };
}

/** Queue depths from SQS GetQueueAttributes. */
export function createSqsQueueReader(client: SQSClient): QueueReader {
  return {
    async depth(queueUrl) {
      const { Attributes } = await client.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return {
        visible: Number(Attributes?.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
      };
    },
  };
}
