import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { toWarehouseLine, type WarehouseEvent } from '#shared/analytics/product/warehouse.ts';
import { isGzip, mentions, redactLines } from '#shared/erasure/warehouse-redaction.ts';

const event = (tenant: string, user: string, id: string, properties = {}): WarehouseEvent => ({
  tenant_id: tenant,
  user_id: user,
  event_id: id,
  name: 'report_exported',
  source: 'client',
  occurred_at: '2026-12-01T10:00:00.000Z',
  received_at: '2026-12-01T10:00:01.000Z',
  properties,
});

const ada = event('t-1', 'user-ada', 'e1');
const bob = event('t-1', 'user-bob', 'e2', { note: 'Grüße, café ✓' });
const carl = event('t-2', 'user-carl', 'e3');
const adaElsewhere = event('t-2', 'user-ada', 'e4');
// Another person's event whose properties happen to hold Ada's id: not hers.
const mentionsAda = event('t-1', 'user-bob', 'e5', { sharedWith: 'user-ada' });

const text = (...events: WarehouseEvent[]) => events.map(toWarehouseLine).join('');

describe('redactLines', () => {
  it("removes a user's lines from a gzipped object and writes gzip back", async () => {
    const body = gzipSync(text(ada, bob, adaElsewhere, carl));

    const result = await redactLines(body, { field: 'user_id', value: 'user-ada' });

    expect(isGzip(result.body)).toBe(true);
    expect(gunzipSync(result.body).toString('utf8')).toBe(text(bob, carl));
    expect(result).toMatchObject({ removed: 2, kept: 2 });
  });

  it('keeps an uncompressed object (moto) uncompressed', async () => {
    const body = Buffer.from(text(ada, carl));

    const result = await redactLines(body, { field: 'user_id', value: 'user-ada' });

    expect(isGzip(result.body)).toBe(false);
    expect(Buffer.from(result.body).toString('utf8')).toBe(text(carl));
  });

  it("removes a tenant's lines by tenant_id, whoever made them", async () => {
    const body = gzipSync(text(ada, carl, bob, adaElsewhere));

    const result = await redactLines(body, { field: 'tenant_id', value: 't-1' });

    expect(gunzipSync(result.body).toString('utf8')).toBe(text(carl, adaElsewhere));
    expect(result.removed).toBe(2);
  });

  it("keeps another person's line that only mentions the id in its properties, byte for byte", async () => {
    const body = gzipSync(text(mentionsAda, bob));

    const result = await redactLines(body, { field: 'user_id', value: 'user-ada' });

    expect(result.removed).toBe(0);
    expect(gunzipSync(result.body).toString('utf8')).toBe(text(mentionsAda, bob));
  });

  it('removes a malformed line that holds the id and keeps one that does not', async () => {
    const body = Buffer.from(`{"tenant_id":"t-1","user_id":"user-ada","ev\nnot json at all\n${text(bob)}`);

    const result = await redactLines(body, { field: 'user_id', value: 'user-ada' });

    expect(Buffer.from(result.body).toString('utf8')).toBe(`not json at all\n${text(bob)}`);
    expect(result.removed).toBe(1);
  });

  it('handles a last line without a newline', async () => {
    const body = gzipSync(`${text(bob)}${toWarehouseLine(ada).trimEnd()}`);

    const result = await redactLines(body, { field: 'user_id', value: 'user-ada' });

    expect(gunzipSync(result.body).toString('utf8')).toBe(text(bob));
    expect(result.removed).toBe(1);
  });

  it('leaves a valid, empty gzip object when every line was the subject’s', async () => {
    const result = await redactLines(gzipSync(text(ada, adaElsewhere)), {
      field: 'user_id',
      value: 'user-ada',
    });

    expect(gunzipSync(result.body).toString('utf8')).toBe('');
    expect(result).toMatchObject({ removed: 2, kept: 0 });
  });

  it('reads an object made of several gzip members (concatenated deliveries)', async () => {
    const body = Buffer.concat([gzipSync(text(ada)), gzipSync(text(bob))]);

    const result = await redactLines(body, { field: 'user_id', value: 'user-ada' });

    expect(gunzipSync(result.body).toString('utf8')).toBe(text(bob));
  });

  it('filters an object larger than one decompressed chunk, keeping every other line in order', async () => {
    const many = Array.from({ length: 3000 }, (_, i) =>
      event('t-1', i % 3 === 0 ? 'user-ada' : 'user-bob', `e${i}`),
    );
    const body = gzipSync(text(...many));

    const result = await redactLines(body, { field: 'user_id', value: 'user-ada' });

    expect(gunzipSync(result.body).toString('utf8')).toBe(
      text(...many.filter((e) => e.user_id !== 'user-ada')),
    );
    expect(result.removed).toBe(1000);
  });
});

describe('mentions', () => {
  it('finds the id in a gzipped object, across decompressed chunk boundaries', async () => {
    const filler = Array.from({ length: 2000 }, (_, i) => event('t-1', 'user-bob', `f${i}`));
    const body = gzipSync(text(...filler, ada));

    expect(await mentions(body, 'user-ada')).toBe(true);
  });

  it('answers false for an object without the id, so it is not rewritten', async () => {
    expect(await mentions(gzipSync(text(bob, carl)), 'user-ada')).toBe(false);
    expect(await mentions(Buffer.from(text(bob)), 'user-ada')).toBe(false);
  });
});
