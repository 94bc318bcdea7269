import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '#shared/observability/logger.ts';
import {
  api,
  createTestStack,
  type LocalServer,
  signUpUser,
  startTestServer,
  type TestStack,
  uniqueEmail,
} from '../support/harness.ts';

/**
 * What the handlers log over a whole team journey (sign-up, tenant, invitation, acceptance, refused
 * requests whose problem details name a person's email) holds no email or IP address.
 */

let stack: TestStack;
let server: LocalServer;

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
});
afterAll(() => server.close());

/** Runs `journey` with the handlers' logger at INFO, returning the JSON log lines it wrote. */
async function logsOf(journey: () => Promise<void>): Promise<string[]> {
  const written: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const level = logger.getLevelName();
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    written.push(String(chunk));
    return write(chunk as never, ...(rest as []));
  }) as typeof process.stdout.write;
  logger.setLogLevel('INFO');
  try {
    await journey();
  } finally {
    process.stdout.write = write;
    logger.setLogLevel(level);
  }
  return written
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{"level"'));
}

describe("the handlers' logs", () => {
  it('carry no email or IP address over a team journey, refusals included', async () => {
    const owner = await signUpUser(stack);
    const colleagueEmail = uniqueEmail('colleague');
    const lines = await logsOf(async () => {
      const asOwner = api(server, owner.accessToken);
      const tenant = await asOwner.post('/v1/tenants', { name: 'Private Ltd', slug: 'private' });
      const base = `/v1/tenants/${tenant.body.tenantId}`;
      const invitation = await asOwner.post(`${base}/invitations`, { email: colleagueEmail, role: 'member' });
      const colleague = await signUpUser(stack, colleagueEmail);
      await api(server, colleague.accessToken).post(`/v1/invitations/${invitation.body.invitationId}/accept`);
      // Refused, with the colleague's email in the problem detail.
      const again = await asOwner.post(`${base}/invitations`, { email: colleagueEmail, role: 'admin' });
      expect(again.status).toBe(409);
      expect(again.body.detail).toContain(colleagueEmail);
      expect((await api(server, colleague.accessToken).delete(base)).status).toBe(403);
    });

    const text = lines.join('\n');
    expect(lines.some((line) => line.includes('"request refused"'))).toBe(true);
    expect(text).toContain('[email]');
    expect(text).not.toContain(colleagueEmail);
    expect(text).not.toContain(owner.email);
    expect(text).not.toMatch(/@example\.com|127\.0\.0\.1/);
  });
});
