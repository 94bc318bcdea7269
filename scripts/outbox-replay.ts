/**
 * `npm run outbox:replay -- --stage <local|dev|prod> [--from <iso>] [--min-age <seconds>]
 * [--table <name>] [--region <region>]`: republishes the outbox events that never reached the bus.
 *
 * The publisher marks every outbox item unpublished until EventBridge accepts its event; an event
 * whose stream batch was given up (the publisher's on-failure queue holds only stream positions, not
 * the events) stays marked. This command Queries that sparse index (never a Scan), puts the events
 * on the bus and clears their marks (shared/events/replay.ts). Consumers dedupe by
 * `detail.eventId`, so running it twice, or while the publisher works, is safe.
 *
 * - `--stage local`: the stack `npm run dev` runs (its `.plinth/local.json`: moto endpoint, table
 *   and bus names).
 * - `--stage dev|prod`: the deployed stage, with your AWS credentials and region (`--region`, or
 *   the SDK's usual `AWS_REGION`/profile). The bus is `plinth-<stage>`; the table name is read from
 *   the SSM parameter `/plinth/<stage>/table-name` that the events stack writes, or given with
 *   `--table`. Needs `dynamodb:Query` on the table's gsi1 index, `dynamodb:UpdateItem` on the table,
 *   `events:PutEvents` on the bus and `ssm:GetParameter` on that parameter.
 * - `--from`: only items written at or after this time (ISO 8601). `--min-age` (default 60): leave
 *   items younger than this many seconds to the stream publisher.
 */

import { parseArgs } from 'node:util';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { isStageName, stageNames } from '../lib/stage.ts';
import { createDocumentClient } from '../shared/db/client.ts';
import { busNameFor } from '../shared/events/bus.ts';
import {
  DEFAULT_REPLAY_MIN_AGE_SECONDS,
  type ReplayResult,
  replayUnpublishedOutbox,
  tableNameParameterFor,
} from '../shared/events/replay.ts';
import { LOCAL_CREDENTIALS } from './local/aws.ts';
import { type LocalStackFile, readLocalStackFile } from './local/env.ts';

/** A command line that cannot be run; the message says why. */
export class ReplayUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayUsageError';
  }
}

export interface ReplayArgs {
  readonly stage: string;
  readonly from: Date | undefined;
  readonly minAgeSeconds: number;
  readonly table: string | undefined;
  readonly region: string | undefined;
}

const USAGE =
  'Usage: npm run outbox:replay -- --stage <local|dev|prod> [--from <iso time>] [--min-age <seconds>] [--table <name>] [--region <region>]';

/** Parses and checks the command line; throws {@link ReplayUsageError} with the usage. */
export function parseReplayArgs(argv: readonly string[]): ReplayArgs {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        stage: { type: 'string' },
        from: { type: 'string' },
        'min-age': { type: 'string' },
        table: { type: 'string' },
        region: { type: 'string' },
      },
    }));
  } catch (error) {
    throw new ReplayUsageError(`${error instanceof Error ? error.message : error}\n${USAGE}`);
  }
  const { stage } = values;
  if (!stage) throw new ReplayUsageError(`--stage is required.\n${USAGE}`);
  if (stage !== 'local' && !isStageName(stage)) {
    throw new ReplayUsageError(`Unknown stage ${JSON.stringify(stage)}: local, ${stageNames.join(', ')}.`);
  }
  let from: Date | undefined;
  if (values.from !== undefined) {
    from = new Date(values.from);
    if (!/^\d{4}-\d{2}-\d{2}/.test(values.from) || Number.isNaN(from.getTime())) {
      throw new ReplayUsageError(`--from must be an ISO 8601 time, got ${JSON.stringify(values.from)}.`);
    }
  }
  const minAgeSeconds = Number(values['min-age'] ?? DEFAULT_REPLAY_MIN_AGE_SECONDS);
  if (!Number.isInteger(minAgeSeconds) || minAgeSeconds < 0) {
    throw new ReplayUsageError(`--min-age must be a whole number of seconds >= 0, got ${values['min-age']}.`);
  }
  return { stage, from, minAgeSeconds, table: values.table, region: values.region };
}

/** Where a replay runs: the table, the bus and how the SDK clients reach them. */
export interface ReplayTarget {
  readonly tableName: string;
  readonly eventBusName: string;
  readonly region: string | undefined;
  /** The emulator, locally; undefined for AWS. */
  readonly endpoint: string | undefined;
}

export interface ReplayCommandDeps {
  /** @default readLocalStackFile (.plinth/local.json, written by `npm run dev`) */
  readonly readLocalStackFile?: () => Promise<LocalStackFile>;
  /** Reads an SSM String parameter in the stage's account; @default GetParameter with the SDK */
  readonly readParameter?: (name: string, region: string | undefined) => Promise<string | undefined>;
  /** @default console.log */
  readonly log?: (line: string) => void;
  /** @default () => new Date() */
  readonly clock?: () => Date;
}

async function readSsmParameter(name: string, region: string | undefined): Promise<string | undefined> {
  const ssm = new SSMClient(region ? { region } : {});
  try {
    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: name }));
    return Parameter?.Value;
  } finally {
    ssm.destroy();
  }
}

/** The local stack from `.plinth/local.json`, or the deployed stage's table and bus. */
export async function resolveReplayTarget(
  args: ReplayArgs,
  deps: Pick<ReplayCommandDeps, 'readLocalStackFile' | 'readParameter'> = {},
): Promise<ReplayTarget> {
  if (args.stage === 'local') {
    const local = await (deps.readLocalStackFile ?? readLocalStackFile)();
    return {
      tableName: args.table ?? local.tableName,
      eventBusName: local.eventBusName,
      region: local.region,
      // moto serves every service on one endpoint; the file names it as Cognito's.
      endpoint: local.cognito.endpoint,
    };
  }
  const region = args.region;
  const parameter = tableNameParameterFor(args.stage);
  const tableName = args.table ?? (await (deps.readParameter ?? readSsmParameter)(parameter, region));
  if (!tableName) {
    throw new ReplayUsageError(
      `The SSM parameter ${parameter} is missing: deploy the plinth-${args.stage}-events stack, or give --table <name> (the TableName output of plinth-${args.stage}-data).`,
    );
  }
  return { tableName, eventBusName: busNameFor(args.stage), region, endpoint: undefined };
}

/** Runs the command: resolves the target, replays, prints a report. Returns the replay's result. */
export async function runOutboxReplay(
  argv: readonly string[],
  deps: ReplayCommandDeps = {},
): Promise<ReplayResult> {
  const args = parseReplayArgs(argv);
  const log = deps.log ?? ((line: string) => console.log(line));
  const target = await resolveReplayTarget(args, deps);
  const clientConfig = {
    ...(target.region ? { region: target.region } : {}),
    ...(target.endpoint ? { endpoint: target.endpoint, credentials: LOCAL_CREDENTIALS } : {}),
  };
  const client = createDocumentClient({
    region: target.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    endpoint: target.endpoint,
    credentials: target.endpoint ? LOCAL_CREDENTIALS : undefined,
  });
  const eventBridge = new EventBridgeClient(clientConfig);
  try {
    const result = await replayUnpublishedOutbox(
      {
        db: { client, tableName: target.tableName },
        eventBridge,
        eventBusName: target.eventBusName,
        clock: deps.clock ?? (() => new Date()),
      },
      { from: args.from, minAgeSeconds: args.minAgeSeconds },
    );
    const { selection } = result;
    log(
      `outbox replay: table ${target.tableName} → bus ${target.eventBusName}; items written ${selection.writtenFrom ? `from ${selection.writtenFrom}` : 'ever'} until ${selection.writtenBefore}`,
    );
    log(`found ${result.found} unpublished, published ${result.published}, failed ${result.failed.length}`);
    for (const failure of result.failed) {
      log(
        `  not published: event ${failure.eventId} (tenant ${failure.tenantId}): ${failure.errorCode}${failure.errorMessage ? ` ${failure.errorMessage}` : ''}`,
      );
    }
    if (result.failed.length > 0)
      log('The failed events stay marked: fix the cause and run the replay again.');
    return result;
  } finally {
    client.destroy();
    eventBridge.destroy();
  }
}

if (import.meta.main) {
  try {
    const result = await runOutboxReplay(process.argv.slice(2));
    if (result.failed.length > 0) process.exitCode = 1;
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = error instanceof ReplayUsageError ? 2 : 1;
  }
}
