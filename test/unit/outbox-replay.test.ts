import { describe, expect, it } from 'vitest';
import { keys } from '#shared/db/keys.ts';
import { type ReplaySelection, replayKeyCondition, replaySelection } from '#shared/events/replay.ts';
import { parseReplayArgs, ReplayUsageError, resolveReplayTarget } from '../../scripts/outbox-replay.ts';

const now = new Date('2026-11-20T12:00:00.000Z');

/** Whether DynamoDB's key condition of the selection takes an item written at `writtenAt`. */
function selects(selection: ReplaySelection, writtenAt: string): boolean {
  const { gsi1pk, gsi1sk } = keys.outboxUnpublished(writtenAt, '01JD0000000000000000000000');
  const { ExpressionAttributeValues: values } = replayKeyCondition(selection);
  if (gsi1pk !== values[':pk']) return false;
  const from = (values as Record<string, string>)[':from'];
  return (from === undefined || gsi1sk >= from) && gsi1sk < values[':before'];
}

describe('replay selection', () => {
  it('takes every unpublished item written before now minus a minute by default', () => {
    const selection = replaySelection({ now });

    expect(selects(selection, '2020-01-01T00:00:00.000Z')).toBe(true);
    expect(selects(selection, '2026-11-20T11:58:59.999Z')).toBe(true);
    expect(selects(selection, '2026-11-20T11:59:00.000Z')).toBe(false);
  });

  it('leaves items younger than the minimum age to the stream publisher', () => {
    const selection = replaySelection({ now, minAgeSeconds: 600 });

    expect(selects(selection, '2026-11-20T11:49:59.000Z')).toBe(true);
    expect(selects(selection, '2026-11-20T11:55:00.000Z')).toBe(false);
  });

  it('starts at --from, inclusive', () => {
    const selection = replaySelection({ now, from: new Date('2026-11-20T09:00:00.000Z') });

    expect(selects(selection, '2026-11-20T08:59:59.999Z')).toBe(false);
    expect(selects(selection, '2026-11-20T09:00:00.000Z')).toBe(true);
    expect(selects(selection, '2026-11-20T10:00:00.000Z')).toBe(true);
  });

  it('queries without a lower bound when no --from is given (a key value cannot be empty)', () => {
    expect(replayKeyCondition(replaySelection({ now })).KeyConditionExpression).toBe(
      'gsi1pk = :pk AND gsi1sk < :before',
    );
  });

  it('refuses a --from that is not before now minus the minimum age', () => {
    expect(() => replaySelection({ now, from: new Date('2026-11-20T11:59:30.000Z') })).toThrow(RangeError);
  });

  it('refuses a negative minimum age', () => {
    expect(() => replaySelection({ now, minAgeSeconds: -1 })).toThrow(RangeError);
  });
});

describe('outbox:replay command line', () => {
  it('requires --stage', () => {
    expect(() => parseReplayArgs([])).toThrow(ReplayUsageError);
  });

  it('refuses an unknown stage', () => {
    expect(() => parseReplayArgs(['--stage', 'staging'])).toThrow(/Unknown stage "staging"/);
  });

  it('refuses a --from that is not an ISO time', () => {
    expect(() => parseReplayArgs(['--stage', 'local', '--from', 'yesterday'])).toThrow(/ISO 8601/);
  });

  it('reads --from and --min-age', () => {
    expect(
      parseReplayArgs(['--stage', 'prod', '--from', '2026-11-20T09:00:00Z', '--min-age', '0']),
    ).toMatchObject({ stage: 'prod', from: new Date('2026-11-20T09:00:00Z'), minAgeSeconds: 0 });
  });

  it('runs locally against the table, bus and emulator named in .plinth/local.json', async () => {
    const target = await resolveReplayTarget(parseReplayArgs(['--stage', 'local']), {
      readLocalStackFile: async () => ({
        apiUrl: 'http://localhost:3000',
        region: 'us-east-1',
        tableName: 'plinth-local',
        eventBusName: 'plinth-local',
        cognito: { endpoint: 'http://127.0.0.1:5010', userPoolId: 'pool', clientId: 'client' },
      }),
    });

    expect(target).toEqual({
      tableName: 'plinth-local',
      eventBusName: 'plinth-local',
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:5010',
    });
  });

  it('finds a deployed stage’s table through the parameter the events stack writes, and its bus by name', async () => {
    const asked: string[] = [];
    const target = await resolveReplayTarget(parseReplayArgs(['--stage', 'prod', '--region', 'eu-west-1']), {
      readParameter: async (name) => {
        asked.push(name);
        return 'plinth-prod-data-TableCD117FA1-XYZ';
      },
    });

    expect(asked).toEqual(['/plinth/prod/table-name']);
    expect(target).toEqual({
      tableName: 'plinth-prod-data-TableCD117FA1-XYZ',
      eventBusName: 'plinth-prod',
      region: 'eu-west-1',
      endpoint: undefined,
    });
  });

  it('says what to do when the stage has no table parameter', async () => {
    await expect(
      resolveReplayTarget(parseReplayArgs(['--stage', 'dev']), { readParameter: async () => undefined }),
    ).rejects.toThrow(/--table/);
  });
});
