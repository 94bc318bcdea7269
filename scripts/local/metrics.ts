/**
 * Metrics for the local stack, so the health check's figures are real there too: moto's CloudWatch
 * receives no Lambda metrics and reads no logs, so
 * - the functions' EMF lines (what Powertools metrics prints for CloudWatch Logs to extract) are
 *   turned into PutMetricData calls against the emulator, namespace and dimensions as written;
 * - the local API server and event runner count what Lambda itself would report in `AWS/Lambda`
 *   (`Errors` when a handler throws or times out, the webhook URL's `Url4xxCount`/`Url5xxCount`),
 *   with the dimension `FunctionName` = `plinth-<stage>-<name>`, the local function name.
 * The health reader (shared/health) then runs the same GetMetricData queries as in AWS. What
 * differs from AWS: nothing locally is ever throttled (Throttles stay 0), DynamoDB publishes no
 * throttle metrics, and `Errors` counts only what the local process saw fail.
 */
import { Console } from 'node:console';
import { Writable } from 'node:stream';
import {
  type CloudWatchClient,
  type MetricDatum,
  PutMetricDataCommand,
  type StandardUnit,
} from '@aws-sdk/client-cloudwatch';

/** The local name of a function (`plinth-local-projects` in `npm run dev`), as Lambda contexts carry it. */
export function localFunctionName(stage: string, name: string): string {
  return `plinth-${stage}-${name}`;
}

export interface LocalMetrics {
  /** One line a handler printed for CloudWatch Logs: forwarded when it is EMF, ignored otherwise. */
  emf(line: string): void;
  /** A metric Lambda itself would publish for `functionName` (namespace AWS/Lambda). */
  lambda(metricName: string, functionName: string, value?: number): void;
  /** Waits until every metric recorded so far has reached the emulator. */
  flush(): Promise<void>;
}

/** A PutMetricData call: one namespace, its data. */
export interface MetricBatch {
  readonly namespace: string;
  readonly data: MetricDatum[];
}

interface EmfDirective {
  readonly Namespace: string;
  readonly Dimensions: readonly (readonly string[])[];
  readonly Metrics: readonly { readonly Name: string; readonly Unit?: string }[];
}

/**
 * The PutMetricData batches an EMF line stands for, as CloudWatch Logs extracts them: each metric
 * of each directive under each of its dimension sets, with the line's timestamp. `undefined` for a
 * line that is not EMF (an ordinary log line).
 */
export function metricBatchesOfEmf(line: string): MetricBatch[] | undefined {
  if (!line.startsWith('{') || !line.includes('"CloudWatchMetrics"')) return undefined;
  let document: Record<string, unknown>;
  try {
    document = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const aws = document._aws as { Timestamp?: number; CloudWatchMetrics?: EmfDirective[] } | undefined;
  if (!aws || !Array.isArray(aws.CloudWatchMetrics)) return undefined;
  const timestamp = new Date(typeof aws.Timestamp === 'number' ? aws.Timestamp : Date.now());
  return aws.CloudWatchMetrics.map((directive) => ({
    namespace: directive.Namespace,
    data: directive.Dimensions.flatMap((names) => {
      const dimensions = names.map((name) => ({ Name: name, Value: String(document[name] ?? '') }));
      return directive.Metrics.flatMap((metric): MetricDatum[] => {
        const raw = document[metric.Name];
        const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is number => typeof v === 'number');
        if (values.length === 0) return [];
        return [
          {
            MetricName: metric.Name,
            Dimensions: dimensions,
            Timestamp: timestamp,
            Values: values,
            ...(metric.Unit ? { Unit: metric.Unit as StandardUnit } : {}),
          },
        ];
      });
    }),
  }));
}

/** Forwards metrics to the emulator's CloudWatch, one PutMetricData call per batch, in the background. */
export function createLocalMetrics(
  client: CloudWatchClient,
  onError: (error: unknown) => void = (error) => console.error('[local metrics]', error),
): LocalMetrics {
  const pending = new Set<Promise<void>>();
  const put = (batch: MetricBatch) => {
    if (batch.data.length === 0) return;
    const sent = client
      .send(new PutMetricDataCommand({ Namespace: batch.namespace, MetricData: batch.data }))
      .then(() => undefined, onError)
      .finally(() => pending.delete(sent));
    pending.add(sent);
  };
  return {
    emf(line) {
      for (const batch of metricBatchesOfEmf(line) ?? []) put(batch);
    },
    lambda(metricName, functionName, value = 1) {
      put({
        namespace: 'AWS/Lambda',
        data: [
          {
            MetricName: metricName,
            Dimensions: [{ Name: 'FunctionName', Value: functionName }],
            Timestamp: new Date(),
            Values: [value],
            Unit: 'Count',
          },
        ],
      });
    },
    async flush() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}

/** What captureEmf needs of a Powertools `Metrics` (its console and disabled flag are private). */
type EmfEmitter = object;

/**
 * Sends what a Powertools metrics instance prints to `sink` instead of stdout, line by line, and
 * turns it on (locally POWERTOOLS_METRICS_DISABLED keeps it quiet otherwise). Powertools writes its
 * EMF lines through a `Console` over stdout (to CloudWatch Logs in Lambda); this gives it a
 * `Console` over a stream of our own. Returns a function that undoes it.
 */
export function captureEmf(metrics: EmfEmitter, sink: (line: string) => void): () => void {
  const target = metrics as { console: Console; disabled: boolean };
  const previous = { console: target.console, disabled: target.disabled };
  let buffered = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      buffered += String(chunk);
      let newline = buffered.indexOf('\n');
      while (newline !== -1) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line) sink(line);
        newline = buffered.indexOf('\n');
      }
      done();
    },
  });
  target.console = new Console({ stdout: stream, stderr: process.stderr });
  target.disabled = false;
  return () => {
    target.console = previous.console;
    target.disabled = previous.disabled;
  };
}
