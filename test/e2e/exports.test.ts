import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMembership,
  api,
  createTestStack,
  type LocalServer,
  readSentEmails,
  signUpUser,
  startTestServer,
  type TestStack,
  type TestUser,
} from '../support/harness.ts';
import { startTestRunner, type TestRunner } from '../support/runner.ts';

/**
 * Exports over HTTP through the local server, with the real export worker behind the bus (the
 * runner drains its queue): request, poll, download the archive with curl from the presigned link
 * (moto's S3), and the refusals: not an owner, under impersonation.
 */

let stack: TestStack;
let server: LocalServer;
let runner: TestRunner;
let owner: TestUser;
let admin: TestUser;
let tenantId: string;

beforeAll(async () => {
  stack = await createTestStack();
  server = await startTestServer(stack);
  runner = await startTestRunner(stack);
  [owner, admin] = await Promise.all([signUpUser(stack), signUpUser(stack)]);
  tenantId = (await api(server, owner.accessToken).post('/v1/tenants', { name: 'Acme', slug: 'acme' })).body
    .tenantId;
  await addMembership(stack, tenantId, admin, 'admin');
  await api(server, owner.accessToken).post(`/v1/tenants/${tenantId}/projects`, {
    name: 'Apollo',
    slug: 'apollo',
  });
  await runner.drain();
});
afterAll(async () => {
  await runner.stop();
  await server.close();
});

/** Downloads `url` with curl and lists the archive with the system tar. */
function curlAndList(url: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'plinth-export-'));
  const file = join(dir, 'export.tar.gz');
  execFileSync('curl', ['--silent', '--show-error', '--fail', '--output', file, url]);
  return execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).trim().split('\n');
}

describe("a user's export", () => {
  let location: string;

  it('answers 202 with the job and its Location, queued', async () => {
    const response = await api(server, owner.accessToken).post('/v1/me/exports');
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ scope: 'user', status: 'queued' });
    location = response.headers.get('location') ?? '';
    expect(location).toBe(`/v1/me/exports/${response.body.exportId}`);
  });

  it('is ready once the worker ran, with a 15-minute link that curl downloads', async () => {
    await runner.drain();
    const response = await api(server, owner.accessToken).get(location);
    expect(response.body.status).toBe('ready');
    const linkLife = Date.parse(response.body.download.expiresAt) - Date.now();
    expect(linkLife).toBeGreaterThan(14 * 60 * 1000);
    expect(linkLife).toBeLessThanOrEqual(15 * 60 * 1000);
    expect(response.body.download.url.startsWith(stack.endpoint)).toBe(true);
    const listed = curlAndList(response.body.download.url);
    const root = `plinth-export-${response.body.exportId}`;
    expect(listed).toEqual(
      expect.arrayContaining([`${root}/profile.json`, `${root}/memberships.json`, `${root}/README.md`]),
    );
  });

  it('mails the user that it is ready', async () => {
    const sent = await readSentEmails(stack);
    expect(
      sent.filter(
        (mail) =>
          mail.subject === 'Your Plinth data export is ready' && mail.to.includes(owner.email.toLowerCase()),
      ),
    ).toHaveLength(1);
  });

  it('signs a fresh link on each read', async () => {
    const first = await api(server, owner.accessToken).get(location);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const second = await api(server, owner.accessToken).get(location);
    expect(second.body.download.url).not.toBe(first.body.download.url);
  });
});

describe("a tenant's export", () => {
  it("is the owner's: the archive holds the tenant's kinds", async () => {
    const response = await api(server, owner.accessToken).post(`/v1/tenants/${tenantId}/exports`);
    expect(response.status).toBe(202);
    await runner.drain();
    const status = await api(server, owner.accessToken).get(response.headers.get('location') ?? '');
    expect(status.body).toMatchObject({ scope: 'tenant', tenantId, status: 'ready' });
    const listed = curlAndList(status.body.download.url);
    const root = `plinth-export-${response.body.exportId}`;
    expect(listed).toEqual(
      expect.arrayContaining([`${root}/project.json`, `${root}/audit.json`, `${root}/tenant.json`]),
    );
  });

  it('is refused to an admin with 403, reading an export included', async () => {
    const made = await api(server, owner.accessToken).post(`/v1/tenants/${tenantId}/exports`);
    const asAdmin = api(server, admin.accessToken);
    expect((await asAdmin.post(`/v1/tenants/${tenantId}/exports`)).status).toBe(403);
    expect((await asAdmin.get(`/v1/tenants/${tenantId}/exports/${made.body.exportId}`)).status).toBe(403);
  });
});

describe('under impersonation', () => {
  it('refuses both kinds of export with 403, before anything is written', async () => {
    const headers = { 'Plinth-Impersonation': '01m8x9xb1zpy7b6qqne5zew2ks' };
    const client = api(server, owner.accessToken);
    const mine = await client.post('/v1/me/exports', undefined, { headers });
    const tenants = await client.post(`/v1/tenants/${tenantId}/exports`, undefined, { headers });
    expect([mine.status, tenants.status]).toEqual([403, 403]);
    expect(mine.body.detail).toMatch(/data exports never are/);
  });
});
