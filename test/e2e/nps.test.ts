import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberItem } from '#shared/members/members.records.ts';
import {
  api,
  createTestStack,
  type LocalServer,
  signUpOperator,
  signUpUser,
  startTestServer,
  type TestStack,
  type TestUser,
} from '../support/harness.ts';

/**
 * NPS answers over HTTP: members answer for themselves once per 90 days, and the admin summary's
 * NPS counts the answers of the 90 days up to its date.
 */

let stack: TestStack;
let server: LocalServer;
let owner: TestUser;
let memberA: TestUser;
let memberB: TestUser;
let memberC: TestUser;
let outsider: TestUser;
let operator: TestUser;
let tenantId: string;
const today = new Date().toISOString().slice(0, 10);

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  [owner, memberA, memberB, memberC, outsider, operator] = await Promise.all([
    signUpUser(stack),
    signUpUser(stack),
    signUpUser(stack),
    signUpUser(stack),
    signUpUser(stack),
    signUpOperator(stack),
  ]);
  const created = await api(server, owner.accessToken).post('/v1/tenants', {
    name: 'Survey',
    slug: 'survey',
  });
  tenantId = created.body.tenantId;
  const at = new Date().toISOString();
  for (const user of [memberA, memberB, memberC]) {
    await stack.db.send(
      new PutCommand({
        TableName: stack.tableName,
        Item: memberItem({
          tenantId,
          userId: user.userId,
          email: user.email,
          role: 'member',
          status: 'active',
          joinedAt: at,
          updatedAt: at,
        }),
      }),
    );
  }
});
afterAll(async () => {
  await server?.close();
});

const answer = (user: TestUser, body: unknown, tenant = tenantId) =>
  api(server, user.accessToken).post(`/v1/tenants/${tenant}/nps`, body);

describe('NPS answers', () => {
  it('says the survey is due for a user who never answered', async () => {
    const response = await api(server, memberA.accessToken).get('/v1/me/nps');
    expect(response.body).toEqual({ due: true, lastAnsweredAt: null, dueAt: null });
  });

  it("records a member's answer with its comment and says when it is due again", async () => {
    const response = await answer(memberA, { score: 10, comment: ' Love it ' });

    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ tenantId, score: 10, comment: 'Love it' });
    const dueAgain = Date.parse(response.body.answeredAt) + 90 * 86_400_000;
    expect(Date.parse(response.body.nextDueAt)).toBe(dueAgain);
  });

  it('says the survey is not due after an answer, and when it will be', async () => {
    const response = await api(server, memberA.accessToken).get('/v1/me/nps');
    expect(response.body).toMatchObject({
      due: false,
      lastAnsweredAt: expect.any(String),
      dueAt: expect.any(String),
    });
  });

  it('answers 409 to a second answer within 90 days', async () => {
    const response = await answer(memberA, { score: 0 });
    expect(response.status).toBe(409);
  });

  it('keeps one answer when the same user answers twice at once', async () => {
    const replies = await Promise.all([answer(memberC, { score: 7 }), answer(memberC, { score: 7 })]);
    expect(replies.map((reply) => reply.status).sort()).toEqual([201, 409]);
  });

  it('answers 400 with a field error for a score outside 0-10', async () => {
    const response = await answer(memberB, { score: 11 });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'body.score' })]);
  });

  it('answers 404 for a tenant the caller does not belong to', async () => {
    const response = await answer(outsider, { score: 9 });
    expect(response.status).toBe(404);
  });

  it("gives the summary's NPS from the answers of the last 90 days", async () => {
    await answer(memberB, { score: 3 });
    await answer(owner, { score: 9 });
    const { handler } = await import('#functions/metrics-rollup/handler.ts');
    await handler({ time: new Date().toISOString(), through: today });

    const response = await api(server, operator.accessToken).get(`/admin/metrics/summary?date=${today}`);

    // Answers 10, 7 (the race's one), 3 and 9: two promoters and one detractor of four, 50 − 25 = 25.
    expect(response.body.monthToDate.nps).toBe(25);
  });
});
