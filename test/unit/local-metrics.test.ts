import { describe, expect, it } from 'vitest';
import { metricBatchesOfEmf } from '../../scripts/local/metrics.ts';

describe('EMF lines as PutMetricData', () => {
  const line = JSON.stringify({
    _aws: {
      Timestamp: 1_767_225_600_000,
      CloudWatchMetrics: [
        {
          Namespace: 'Plinth/test',
          Dimensions: [['service'], ['service', 'consumer']],
          Metrics: [
            { Name: 'ConsumerMessages', Unit: 'Count' },
            { Name: 'ConsumerFailures', Unit: 'Count' },
          ],
        },
      ],
    },
    service: 'plinth',
    consumer: 'notifications',
    ConsumerMessages: [2, 3],
    ConsumerFailures: 1,
  });

  it('puts each metric under each dimension set, in the namespace and at the time the line says', () => {
    const [batch] = metricBatchesOfEmf(line) ?? [];

    expect(batch?.namespace).toBe('Plinth/test');
    expect(batch?.data).toHaveLength(4);
    expect(batch?.data[0]).toEqual({
      MetricName: 'ConsumerMessages',
      Dimensions: [{ Name: 'service', Value: 'plinth' }],
      Timestamp: new Date(1_767_225_600_000),
      Values: [2, 3],
      Unit: 'Count',
    });
    expect(batch?.data[3]?.Dimensions).toEqual([
      { Name: 'service', Value: 'plinth' },
      { Name: 'consumer', Value: 'notifications' },
    ]);
  });

  it('ignores an ordinary log line and one that is not JSON', () => {
    expect(metricBatchesOfEmf('{"level":"INFO","message":"stripe event"}')).toBeUndefined();
    expect(metricBatchesOfEmf('{"CloudWatchMetrics" but broken')).toBeUndefined();
  });
});
