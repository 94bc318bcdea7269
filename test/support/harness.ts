/**
 * The test harness for the integration and e2e tiers, in one import:
 *
 * ```ts
 * let stack: TestStack; let server: LocalServer;
 * beforeAll(async () => { stack = await createTestStack(); server = await startTestServer(stack); });
 * afterAll(() => server.close());
 * it('…', async () => {
 *   const owner = await signUpUser(stack);
 *   const res = await api(server, owner.accessToken).post('/v1/tenants', { name: 'Acme', slug: 'acme' });
 *   expect(res.status).toBe(201);
 * });
 * ```
 */
export type { LocalServer } from '../../scripts/local/server.ts';
export { type ApiClient, type ApiResponse, api, type RequestOptions } from './api.ts';
export { startTestServer, type TestServerOptions } from './server.ts';
export {
  createTestStack,
  readSentEmails,
  type SentEmail,
  TEST_APP_URL,
  type TestStack,
  type TestStackOptions,
} from './stack.ts';
export {
  addMembership,
  signUpOperator,
  signUpUser,
  type TestOperator,
  type TestUser,
  uniqueEmail,
} from './users.ts';
