import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCognito } from '../../console/src/auth/cognito.ts';
import { money } from '../../console/src/charts/format.ts';
import type { ConsoleConfig } from '../../console/src/config.ts';
import { repoRoot } from '../../scripts/emulators/paths.ts';
import { signIn, totpCode } from '../../scripts/local/cognito.ts';
import { buildConsole } from '../../scripts/local/console-build.ts';
import { localPriceIds } from '../../scripts/local/stripe.ts';
import {
  api,
  createTestStack,
  type LocalServer,
  signUpOperator,
  signUpUser,
  startTestServer,
  type TestOperator,
  type TestStack,
  type TestUser,
} from '../support/harness.ts';
import { startTestRunner, type TestRunner } from '../support/runner.ts';
import type { TestPrice } from '../support/stripe-events.ts';
import { subscriptionHistory } from '../support/subscription-history.ts';

/**
 * The admin console in a real browser: Debian's Chromium (`/usr/bin/chromium`, never a download)
 * driven by playwright-core against the local server serving the built console on the API's origin,
 * as `npm run dev` does. One browser for the file; the tests run in order on one page, as an
 * operator's session would. Screenshots of the main views go to .plinth/screenshots/.
 */

const CHROMIUM = '/usr/bin/chromium';
const screenshots = join(repoRoot, '.plinth', 'screenshots');
const team: TestPrice = { id: localPriceIds.team.month, unitAmount: 2900, interval: 'month' };
const business: TestPrice = { id: localPriceIds.business.month, unitAmount: 9900, interval: 'month' };

let stack: TestStack;
let server: LocalServer;
let runner: TestRunner;
let operator: TestOperator;
let owner: TestUser;
let member: TestUser;
let customer: TestUser;
let tenantId: string;
let context: BrowserContext;
let page: Page;
let userDataDir: string;
let consoleBuild: string;
/** What the page logged as errors (script faults, content security policy violations). */
const browserErrors: string[] = [];

const { customerFor, webhook } = subscriptionHistory(() => ({ stack, server }));
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  // Built from today's sources into a directory of this file's own.
  consoleBuild = await buildConsole(await mkdtemp(join(tmpdir(), 'plinth-console-')));
  stack = await createTestStack();
  server = await startTestServer(stack, { console: { dir: consoleBuild } });
  runner = await startTestRunner(stack);
  [operator, owner, member, customer] = await Promise.all([
    signUpOperator(stack, ['platform-admin']),
    signUpUser(stack),
    signUpUser(stack),
    signUpUser(stack),
  ]);
  const created = await api(server, owner.accessToken).post('/v1/tenants', {
    name: 'Zephyr Labs',
    slug: 'zephyr-labs',
  });
  expect(created.status).toBe(201);
  tenantId = created.body.tenantId;

  // Revenue for the dashboard: two customers, rolled up through yesterday as the schedule does.
  await customerFor('A');
  await customerFor('B');
  await webhook('A', 'customer.subscription.created', team, 'active', `${day(-20)}T09:00:00Z`);
  await webhook('B', 'customer.subscription.created', business, 'active', `${day(-2)}T09:00:00Z`);
  await runner.drain();
  await runner.triggerSchedule('metrics-rollup', new Date().toISOString());

  await mkdir(screenshots, { recursive: true });
  userDataDir = await mkdtemp(join(tmpdir(), 'plinth-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    viewport: { width: 1280, height: 900 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(10_000);
  page.on('console', (message) => {
    if (message.type() === 'error') browserErrors.push(message.text());
  });
  page.on('pageerror', (error) => browserErrors.push(error.message));
}, 120_000);

afterAll(async () => {
  await context?.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  if (consoleBuild) await rm(consoleBuild, { recursive: true, force: true });
  await runner?.stop();
  await server?.close();
});

const consoleUrl = () => `${server.url}/console/`;

async function signInWithPassword(user: { email: string; password: string }) {
  await page.goto(consoleUrl());
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function operatorToken(): Promise<string> {
  return (await signIn(stack.cognito, stack, { ...operator, totpSecret: operator.totpSecret })).accessToken;
}

describe('the admin console in Chromium', () => {
  it('refuses a user who is not an operator, saying why', async () => {
    await signInWithPassword(customer);
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toMatch(/This console is for Plinth operators/);
    expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
  });

  it('signs an operator in with the authenticator-app code and shows the MRR the metrics API reports', async () => {
    await signInWithPassword(operator);
    await page.getByLabel('Code from your authenticator app').fill(totpCode(operator.totpSecret));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();

    const summary = await api(server, await operatorToken()).get(`/admin/metrics/summary?date=${day(-1)}`);
    expect(summary.status).toBe(200);
    expect(summary.body.day.mrr).toBe(12_800);
    await expect
      .poll(() => page.getByTestId('kpi-mrr').textContent())
      .toBe(money(summary.body.day.mrr, summary.body.currency));
    expect(await page.getByTestId('kpi-arr').textContent()).toBe(
      money(summary.body.day.arr, summary.body.currency),
    );
    expect(await page.getByTestId('kpi-customers').textContent()).toBe(String(summary.body.day.customers));
    await page.getByRole('heading', { name: 'Retention cohorts' }).waitFor();
    await page.screenshot({ path: join(screenshots, 'dashboard.png'), fullPage: true });
    await page.setViewportSize({ width: 768, height: 1024 });
    await page.screenshot({ path: join(screenshots, 'dashboard-tablet.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('shows a chart’s numbers as a table on request', async () => {
    const card = page.getByRole('region', { name: 'MRR', exact: true });
    await card.getByRole('button', { name: 'Show numbers' }).click();
    expect(await card.getByRole('table').isVisible()).toBe(true);
  });

  it('finds a tenant as the operator types its name and opens its page', async () => {
    await page.getByRole('link', { name: 'Tenants and users' }).click();
    await page.getByLabel('Name, slug, owner email or tenant id').pressSequentially('Zeph');
    await page.getByRole('link', { name: 'Zephyr Labs' }).click();
    await page.getByRole('heading', { name: /Zephyr Labs/ }).waitFor();
    expect(await page.getByText(owner.email).count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(screenshots, 'tenant.png'), fullPage: true });
  });

  it('suspends a user with a reason and confirmation, and the API refuses their next call', async () => {
    expect((await api(server, member.accessToken).get('/v1/me')).status).toBe(200);
    await page.goto(`${consoleUrl()}#/users/${member.userId}`);
    const form = page.getByRole('form', { name: 'Suspend user' });
    await form.getByLabel('Reason (recorded in the audit log)').fill('Chargeback fraud, case 77');
    await form.getByRole('button', { name: 'Suspend' }).click();
    await form.getByRole('button', { name: 'Confirm suspend' }).click();
    await page.getByText('User suspended.').waitFor();
    const refused = await api(server, member.accessToken).get('/v1/me');
    expect(refused.status).toBe(403);
  });

  it('opens an impersonation session with a reason, lists it with its time left, and ends it', async () => {
    await page.goto(`${consoleUrl()}#/users/${owner.userId}`);
    const form = page.getByRole('form', { name: 'Open an impersonation session' });
    await form.getByLabel('Reason (recorded in the audit log)').fill('Ticket 4411: reproduce the bug');
    await form.getByRole('button', { name: 'Open session' }).click();
    await form.getByText(/open until/).waitFor();
    await page.getByRole('link', { name: 'Impersonation' }).click();
    const row = page.getByRole('row', { name: /Ticket 4411/ });
    await expect.poll(() => row.textContent()).toMatch(/\d+ min \d{2} s/);
    await page.screenshot({ path: join(screenshots, 'impersonations.png'), fullPage: true });
    await row.getByRole('button', { name: /End/ }).click();
    await page.getByText('No open sessions.').waitFor();
    const open = await api(server, await operatorToken()).get('/admin/impersonations');
    expect(open.body.items).toEqual([]);
  });

  it('answers a ticket, and the customer sees the reply', async () => {
    const opened = await api(server, owner.accessToken).post(`/v1/tenants/${tenantId}/support/tickets`, {
      subject: 'Export button does nothing',
      body: 'Clicking export shows no file.',
    });
    expect(opened.status).toBe(201);
    await page.getByRole('link', { name: 'Support inbox' }).click();
    await page.getByRole('link', { name: 'Export button does nothing' }).click();
    const form = page.getByRole('form', { name: 'Reply to the customer' });
    await form.getByLabel('Reply').fill('Fixed in today’s release: please try again.');
    await form.getByRole('button', { name: 'Send reply' }).click();
    await form.getByText(/Reply sent/).waitFor();
    await page.screenshot({ path: join(screenshots, 'ticket.png'), fullPage: true });
    const ticket = await api(server, owner.accessToken).get(
      `/v1/tenants/${tenantId}/support/tickets/${opened.body.ticketId}`,
    );
    expect(ticket.body.messages.map((m: { body: string }) => m.body)).toContain(
      'Fixed in today’s release: please try again.',
    );
  });

  it('publishes an announcement that users then get from GET /v1/me/announcements', async () => {
    await page.getByRole('link', { name: 'Announcements' }).click();
    await page.getByLabel('Title').fill('Scheduled maintenance');
    await page.getByLabel('Body (markdown)').fill('The API is read-only on **Sunday**.');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('region', { name: 'Preview' }).getByText('Sunday').waitFor();
    await page.getByLabel('Reason (recorded in the audit log)').fill('Database upgrade, change 2231');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText('"Scheduled maintenance" is active.').waitFor();
    await page.screenshot({ path: join(screenshots, 'announcements.png'), fullPage: true });
    const mine = await api(server, owner.accessToken).get('/v1/me/announcements');
    expect(mine.body.items.map((a: { title: string }) => a.title)).toContain('Scheduled maintenance');
  });

  it('shows the health figures with what needs attention first', async () => {
    await page.getByRole('link', { name: 'Health' }).click();
    await page.getByRole('heading', { name: 'Needs attention' }).waitFor();
    await page.screenshot({ path: join(screenshots, 'health.png'), fullPage: true });
  });

  it('refreshes the operator’s tokens with REFRESH_TOKEN_AUTH through the Cognito pass-through', async () => {
    const config = (await (await fetch(`${server.url}/console/config.json`)).json()) as ConsoleConfig;
    const cognito = createCognito({ ...config, cognitoEndpoint: `${server.url}${config.cognitoEndpoint}` });
    const tokens = await signIn(stack.cognito, stack, { ...operator, totpSecret: operator.totpSecret });
    const fresh = await cognito.refresh(tokens.refreshToken);
    expect((await api(server, fresh.accessToken).get('/admin/impersonations')).status).toBe(200);
  });

  it('signs out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });

  it('signs in with the keyboard alone', async () => {
    await page.goto(consoleUrl());
    // The form appears once config.json is read; then Tab reaches the email field first.
    await page.getByLabel('Email').waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.type(operator.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(operator.password);
    await page.keyboard.press('Enter');
    await page.getByLabel('Code from your authenticator app').waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.type(totpCode(operator.totpSecret));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  });

  it('ran without a script error or a content security policy violation', () => {
    // Chromium logs every failed request too: none is expected in these walks.
    expect(browserErrors).toEqual([]);
  });
});
