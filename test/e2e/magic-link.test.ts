import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createTestStack,
  type LocalServer,
  readSentEmails,
  signUpUser,
  startTestServer,
  type TestStack,
  uniqueEmail,
} from '../support/harness.ts';

/**
 * A magic link over HTTP, as a client sees it: request a link, read it from the emulator's SES
 * outbox, exchange it on the session route (the local server runs the pool's custom auth triggers
 * in process around the emulator), call the API with the access token; a second use is refused.
 */

let stack: TestStack;
let server: LocalServer;

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
});
afterAll(() => server.close());

/** Moto's SES outbox is shared by the run: reading it back is slow late in a full run. */
const READS_MAIL = { timeout: 60_000 };

/** The link mailed to `email`, as the user's mail client would open it. */
async function mailedLink(email: string): Promise<URL> {
  const mail = (await readSentEmails(stack)).filter((m) => m.to.includes(email)).at(-1);
  const link = /https:\/\/app\.plinth\.test\/sign-in\/magic\?[^\s"<]+/.exec(mail?.body ?? '')?.[0];
  if (!link) throw new Error(`no magic link mailed to ${email}`);
  return new URL(link.replaceAll('&#38;', '&').replaceAll('&amp;', '&'));
}

describe('signing in with a magic link', () => {
  it('mails a link that signs the user in once, with tokens the API accepts', READS_MAIL, async () => {
    const user = await signUpUser(stack);
    const anonymous = api(server);

    const requested = await anonymous.post('/v1/auth/magic-link', { email: user.email });
    expect(requested.status).toBe(202);
    expect(requested.headers.get('ratelimit-policy')).toContain('"magic-links-per-email";q=5;w=3600');

    const link = await mailedLink(user.email);
    const body = { email: link.searchParams.get('email'), token: link.searchParams.get('token') };
    const session = await anonymous.post('/v1/auth/magic-link/session', body);
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 3600 });
    expect(session.headers.get('cache-control')).toBe('no-store');

    const me = await api(server, session.body.accessToken).get('/v1/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ userId: user.userId, email: user.email });

    const again = await anonymous.post('/v1/auth/magic-link/session', body);
    expect(again.status).toBe(401);
    expect(again.headers.get('content-type')).toContain('application/problem+json');
    expect(again.body.detail).toBe(
      'This sign-in link is invalid, expired or already used: request a new one.',
    );
  });

  it('answers an address without an account exactly as one with an account', async () => {
    const user = await signUpUser(stack);
    const anonymous = api(server);
    const known = await anonymous.post('/v1/auth/magic-link', { email: user.email });
    const unknown = await anonymous.post('/v1/auth/magic-link', { email: uniqueEmail('nobody') });
    expect(unknown.status).toBe(known.status);
    expect(unknown.body).toEqual(known.body);
    expect(unknown.headers.get('content-type')).toBe(known.headers.get('content-type'));
  });

  it('refuses a malformed address with a field error, before counting or sending anything', async () => {
    const refused = await api(server).post('/v1/auth/magic-link', { email: 'not-an-address' });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'body.email' })]);
    expect(refused.headers.get('ratelimit')).toBeNull();
  });
});
