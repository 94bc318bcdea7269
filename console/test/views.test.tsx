import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import type { ComponentChildren } from 'preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App, NOT_AN_OPERATOR } from '../src/app.tsx';
import type { Cognito } from '../src/auth/cognito.ts';
import { createSession } from '../src/auth/session.ts';
import { toCsv } from '../src/charts/csv.ts';
import { Console, type ConsoleContext } from '../src/context.ts';
import { Search, TenantDetail, UserDetail } from '../src/views/accounts.tsx';
import { Announcements } from '../src/views/announcements.tsx';
import { Dashboard } from '../src/views/dashboard.tsx';
import { Health } from '../src/views/health.tsx';
import { Impersonations, timeLeft } from '../src/views/impersonations.tsx';
import { Ticket } from '../src/views/support.tsx';
import { metricsRoutes, tenant } from './fixtures.ts';
import { type Answer, consoleContext, tokensFor } from './support.ts';

afterEach(() => {
  cleanup();
  location.hash = '';
});

function withConsole(value: ConsoleContext, children: ComponentChildren) {
  return render(<Console.Provider value={value}>{children}</Console.Provider>);
}

function setup(groups: string[], routes: Record<string, Answer>, view: ComponentChildren) {
  const { value, requests } = consoleContext(groups, routes);
  withConsole(value, view);
  return requests;
}

describe('signing in', () => {
  function signInWith(groups: string[]) {
    const cognito = {
      signIn: async () => ({ kind: 'signed-in' as const, tokens: tokensFor(groups) }),
    } as unknown as Cognito;
    const session = createSession({ cognito, setTimer: () => undefined, clearTimer: () => undefined });
    render(
      <App
        cognito={cognito}
        session={session}
        apiUrl="http://console.test"
        fetch={async () => new Response('{}')}
      />,
    );
    fireEvent.input(screen.getByLabelText('Email'), { target: { value: 'someone@example.com' } });
    fireEvent.input(screen.getByLabelText('Password'), { target: { value: 'pw' } });
    fireEvent.submit(screen.getByRole('form', { name: 'Sign in' }));
    return session;
  }

  it('refuses a user in no operator group, saying why, and keeps no tokens', async () => {
    const session = signInWith(['beta-testers']);
    expect((await screen.findByRole('alert')).textContent).toBe(NOT_AN_OPERATOR);
    expect(session.accessToken()).toBeUndefined();
  });

  it('offers a support operator the views their role allows, without the metrics dashboard', async () => {
    signInWith(['support']);
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    const links = [...nav.querySelectorAll('a')].map((a) => a.textContent);
    expect(links).not.toContain('Dashboard');
    expect(links).toContain('Support inbox');
  });
});

describe('the dashboard', () => {
  it('shows MRR, ARR and the month’s ratios from the metrics API', async () => {
    const requests = setup(['platform-admin'], metricsRoutes, <Dashboard />);
    expect((await screen.findByTestId('kpi-mrr')).textContent).toBe('$128.00');
    expect(screen.getByTestId('kpi-arr').textContent).toBe('$1,536');
    expect(screen.getByTestId('kpi-quick-ratio').textContent).toBe('3.41');
    expect(screen.getByTestId('kpi-ltv-cac').textContent).toBe('2.56');
    expect(requests.find((r) => r.path === '/admin/metrics/summary')?.query.get('date')).toBe('2026-12-02');
  });

  it('asks for the MRR series of the chosen range by month', async () => {
    const requests = setup(['platform-admin'], metricsRoutes, <Dashboard />);
    await screen.findByTestId('kpi-mrr');
    fireEvent.change(screen.getByLabelText('Range'), { target: { value: '12 months' } });
    await waitFor(() =>
      expect(
        requests
          .filter((r) => r.path === '/admin/metrics/mrr')
          .at(-1)
          ?.query.toString(),
      ).toBe('from=2026-01-01&to=2026-12-02&interval=month'),
    );
  });

  it('reveals a chart’s numbers as a table on request', async () => {
    setup(['platform-admin'], metricsRoutes, <Dashboard />);
    const card = (await screen.findByRole('heading', { name: 'MRR movements in 2026-12' })).closest(
      'section',
    ) as HTMLElement;
    const toggle = card.querySelector('button') as HTMLButtonElement;
    expect(card.querySelector('[id$="-table"]')?.hasAttribute('hidden')).toBe(true);
    fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    expect(card.querySelector('[id$="-table"]')?.hasAttribute('hidden')).toBe(false);
    expect(card.textContent).toContain('-$29.00');
  });

  it('names the latest DAU, WAU and MAU', async () => {
    setup(['platform-admin'], metricsRoutes, <Dashboard />);
    expect(
      await screen.findByRole('heading', { name: 'Active users (DAU 5, WAU 8, MAU 13)' }),
    ).not.toBeNull();
  });

  it('shows the retention cohorts as a heatmap with each week’s rate', async () => {
    setup(['platform-admin'], metricsRoutes, <Dashboard />);
    const row = (await screen.findByRole('rowheader', { name: '2026-W48' })).closest('tr') as HTMLElement;
    expect(row.textContent).toBe('2026-W484100%25%');
  });
});

describe('CSV downloads', () => {
  it('quote cells with commas, quotes and line breaks', () => {
    expect(
      toCsv(
        ['name', 'value'],
        [
          ['a,b', 1],
          ['say "hi"', null],
        ],
      ),
    ).toBe('name,value\r\n"a,b",1\r\n"say ""hi""",\r\n');
  });
});

describe('tenants and users', () => {
  it('searches tenants as the operator types, listing a tenant matched twice once', async () => {
    const match = {
      tenantId: 't-1',
      name: 'Acme',
      slug: 'acme',
      status: 'active',
      plan: 'team',
      createdAt: '2026-01-01T00:00:00.000Z',
    };
    const requests = setup(
      ['support'],
      {
        'GET /admin/tenants': {
          body: {
            items: [
              { ...match, matchedOn: 'name' },
              { ...match, matchedOn: 'slug' },
            ],
          },
        },
      },
      <Search />,
    );
    fireEvent.input(screen.getByLabelText('Name, slug, owner email or tenant id'), {
      target: { value: 'ac' },
    });
    expect((await screen.findAllByRole('link', { name: 'Acme' })).length).toBe(1);
    expect(requests.at(-1)?.query.get('q')).toBe('ac');
  });

  it('offers a finance operator the billing actions and not suspension', async () => {
    setup(
      ['finance'],
      {
        'GET /admin/tenants/t-1': { body: tenant },
        'GET /admin/tenants/t-1/communications': { body: { items: [], addresses: [] } },
      },
      <TenantDetail tenantId="t-1" />,
    );
    await screen.findByRole('heading', { name: /Acme/ });
    expect(screen.queryByRole('form', { name: 'Give a credit' })).not.toBeNull();
    expect(screen.queryByRole('form', { name: 'Refund a charge' })).not.toBeNull();
    expect(screen.queryByRole('form', { name: 'Suspend tenant' })).toBeNull();
  });

  it('offers a support operator suspension and not the billing actions', async () => {
    setup(
      ['support'],
      {
        'GET /admin/tenants/t-1': { body: tenant },
        'GET /admin/tenants/t-1/communications': { body: { items: [], addresses: [] } },
      },
      <TenantDetail tenantId="t-1" />,
    );
    await screen.findByRole('heading', { name: /Acme/ });
    expect(screen.queryByRole('form', { name: 'Suspend tenant' })).not.toBeNull();
    expect(screen.queryByRole('form', { name: 'Give a credit' })).toBeNull();
  });

  it('lists the tenant’s communication history', async () => {
    const mail = {
      communicationId: 'c-1',
      tenantId: 't-1',
      at: '2026-12-01T09:00:00.000Z',
      kind: 'announcement',
      direction: 'outbound',
      subject: 'Maintenance on Sunday',
      status: 'sent',
    };
    setup(
      ['support'],
      {
        'GET /admin/tenants/t-1': { body: tenant },
        'GET /admin/tenants/t-1/communications': { body: { items: [mail], addresses: [] } },
      },
      <TenantDetail tenantId="t-1" />,
    );
    const history = (await screen.findByRole('heading', { name: 'Communication history' })).closest(
      'section',
    ) as HTMLElement;
    await waitFor(() =>
      expect(history.textContent).toContain('→ announcement: Maintenance on Sunday (sent)'),
    );
  });

  it('suspends a user only after the confirmation, sending the reason', async () => {
    const user = {
      userId: 'u-1',
      email: 'user@acme.test',
      emailVerified: true,
      status: 'active',
      cognitoStatus: 'CONFIRMED',
      enabled: true,
      mfaEnabled: false,
      createdAt: null,
      lastSignInAt: null,
      lastActiveOn: null,
      suspension: null,
      memberships: [],
      recentActivity: [],
      emailDelivery: null,
    };
    const requests = setup(
      ['support'],
      {
        'GET /admin/users/u-1': { body: user },
        'POST /admin/users/u-1/suspension': {
          body: { userId: 'u-1', status: 'suspended', suspension: null },
        },
      },
      <UserDetail userId="u-1" />,
    );
    const form = await screen.findByRole('form', { name: 'Suspend user' });
    fireEvent.input(form.querySelector('input[name="reason"]') as HTMLInputElement, {
      target: { value: 'Fraud case 7' },
    });
    fireEvent.submit(form);
    await screen.findByRole('alertdialog');
    expect(requests.some((r) => r.method === 'POST')).toBe(false);
    fireEvent.submit(form);
    await screen.findByText('User suspended.');
    expect(requests.find((r) => r.method === 'POST')?.body).toEqual({ reason: 'Fraud case 7' });
  });
});

describe('impersonation sessions', () => {
  it('show the time left in minutes and seconds', () => {
    expect([timeLeft(754), timeLeft(0)]).toEqual(['12 min 34 s', 'expired']);
  });

  it('end one with DELETE and list the rest', async () => {
    const operatorId = '11111111-1111-4111-8111-111111111111';
    const session = {
      sessionId: 's-1',
      operatorId,
      userId: 'u-1',
      reason: 'Ticket 1',
      openedAt: '2026-12-03T10:00:00.000Z',
      expiresAt: '2026-12-03T10:15:00.000Z',
      secondsLeft: 600,
    };
    let open = [session];
    const requests = setup(
      ['support'],
      {
        'GET /admin/impersonations': () => ({ body: { items: open } }),
        'DELETE /admin/impersonations/s-1': () => {
          open = [];
          return { status: 204, body: undefined };
        },
      },
      <Impersonations />,
    );
    fireEvent.click(await screen.findByRole('button', { name: /End session s-1/ }));
    await screen.findByText('No open sessions.');
    expect(requests.some((r) => r.method === 'DELETE' && r.path === '/admin/impersonations/s-1')).toBe(true);
  });
});

const ticket = {
  ticketId: 'k-1',
  tenantId: 't-1',
  subject: 'Broken export',
  status: 'open',
  priority: 'normal',
  prioritySupport: false,
  firstResponseDueAt: '2026-12-04T10:00:00.000Z',
  firstResponseAt: null,
  requester: { userId: 'u-1', email: 'user@acme.test' },
  createdAt: '2026-12-03T10:00:00.000Z',
  updatedAt: '2026-12-03T10:00:00.000Z',
  assigneeId: null,
  messageCount: 1,
  version: 1,
  messages: [
    {
      messageId: 'm-1',
      seq: 1,
      author: { kind: 'customer', userId: 'u-1', email: 'user@acme.test' },
      body: 'Nothing happens',
      internal: false,
      at: '2026-12-03T10:00:00.000Z',
    },
  ],
  requesterDelivery: { email: 'user@acme.test', status: 'deliverable' },
};

describe('the support inbox', () => {
  it('sends a reply with the status chosen after it', async () => {
    const requests = setup(
      ['support'],
      {
        'GET /admin/support/tickets/k-1': { body: ticket },
        'POST /admin/support/tickets/k-1/replies': { body: { ...ticket, email: { status: 'sent' } } },
      },
      <Ticket ticketId="k-1" />,
    );
    const form = await screen.findByRole('form', { name: 'Reply to the customer' });
    fireEvent.input(form.querySelector('[name="body"]') as HTMLTextAreaElement, {
      target: { value: 'Fixed now' },
    });
    fireEvent.change(form.querySelector('select[name="status"]') as HTMLSelectElement, {
      target: { value: 'resolved' },
    });
    fireEvent.submit(form);
    await screen.findByText('Reply sent (email sent).');
    expect(requests.find((r) => r.method === 'POST')?.body).toEqual({
      body: 'Fixed now',
      status: 'resolved',
    });
  });
});

describe('ticket actions', () => {
  it('add an internal note', async () => {
    const requests = setup(
      ['support'],
      {
        'GET /admin/support/tickets/k-1': { body: ticket },
        'POST /admin/support/tickets/k-1/notes': { status: 201, body: ticket },
      },
      <Ticket ticketId="k-1" />,
    );
    const form = await screen.findByRole('form', { name: 'Internal note' });
    fireEvent.input(form.querySelector('[name="body"]') as HTMLTextAreaElement, {
      target: { value: 'Known bug 12' },
    });
    fireEvent.submit(form);
    await screen.findByText('Note added.');
    expect(requests.find((r) => r.method === 'POST')?.body).toEqual({ body: 'Known bug 12' });
  });

  it('assign the ticket to the signed-in operator', async () => {
    const requests = setup(
      ['support'],
      {
        'GET /admin/support/tickets/k-1': { body: ticket },
        'PUT /admin/support/tickets/k-1/assignee': { body: ticket },
      },
      <Ticket ticketId="k-1" />,
    );
    fireEvent.submit(await screen.findByRole('form', { name: 'Assign to me' }));
    await screen.findByText('Assigned to you.');
    expect(requests.find((r) => r.method === 'PUT')?.body).toEqual({
      assigneeId: '11111111-1111-4111-8111-111111111111',
    });
  });

  it('close the ticket with a reason, after the confirmation', async () => {
    const requests = setup(
      ['support'],
      {
        'GET /admin/support/tickets/k-1': { body: ticket },
        'PUT /admin/support/tickets/k-1/status': { body: ticket },
      },
      <Ticket ticketId="k-1" />,
    );
    const form = await screen.findByRole('form', { name: 'Close ticket' });
    fireEvent.input(form.querySelector('input[name="reason"]') as HTMLInputElement, {
      target: { value: 'Duplicate of 12' },
    });
    fireEvent.submit(form);
    await screen.findByRole('alertdialog');
    fireEvent.submit(form);
    await screen.findByText('Ticket closed.');
    expect(requests.filter((r) => r.method === 'PUT').map((r) => r.body)).toEqual([
      { status: 'closed', reason: 'Duplicate of 12' },
    ]);
  });

  it('are not offered to a finance operator, who may only read tickets', async () => {
    setup(['finance'], { 'GET /admin/support/tickets/k-1': { body: ticket } }, <Ticket ticketId="k-1" />);
    await screen.findByRole('heading', { name: 'Broken export' });
    expect(screen.queryByRole('form', { name: 'Reply to the customer' })).toBeNull();
  });
});

describe('announcements', () => {
  it('publish to the chosen plans and roles, from now for a week by default', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-12-03T12:00:00.000Z'), toFake: ['Date'] });
    const requests = setup(
      ['support'],
      {
        'GET /admin/announcements': { body: { items: [] } },
        'POST /admin/announcements': (r) => ({
          status: 201,
          body: { ...(r.body as object), status: 'active' },
        }),
      },
      <Announcements />,
    );
    fireEvent.input(await screen.findByLabelText('Title'), { target: { value: 'Maintenance' } });
    fireEvent.input(screen.getByLabelText('Body (markdown)'), { target: { value: 'Read-only **Sunday**' } });
    fireEvent.click(screen.getByLabelText('Everyone'));
    fireEvent.click(screen.getByLabelText('Plan team'));
    fireEvent.click(screen.getByLabelText('Role owner'));
    fireEvent.input(screen.getByLabelText('Reason (recorded in the audit log)'), {
      target: { value: 'Change 2231' },
    });
    fireEvent.submit(screen.getByRole('button', { name: 'Publish' }).closest('form') as HTMLFormElement);
    await screen.findByText('"Maintenance" is active.');
    vi.useRealTimers();
    expect(requests.find((r) => r.method === 'POST')?.body).toEqual({
      title: 'Maintenance',
      body: 'Read-only **Sunday**',
      severity: 'info',
      audience: { plans: ['team'], roles: ['owner'] },
      publishAt: '2026-12-03T12:00:00.000Z',
      expiresAt: '2026-12-10T12:00:00.000Z',
      email: false,
      reason: 'Change 2231',
    });
  });

  it('preview the body as the API renders it', async () => {
    setup(
      ['support'],
      {
        'GET /admin/announcements': { body: { items: [] } },
        'POST /admin/announcements/preview': { body: { html: '<p>Read-only <strong>Sunday</strong></p>' } },
      },
      <Announcements />,
    );
    fireEvent.input(await screen.findByLabelText('Body (markdown)'), {
      target: { value: 'Read-only **Sunday**' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Preview' }));
    const preview = await screen.findByRole('region', { name: 'Preview' });
    expect(preview.querySelector('strong')?.textContent).toBe('Sunday');
  });
});

describe('health', () => {
  it('lists what needs attention before the figures', async () => {
    const health = {
      status: 'failing',
      checkedAt: '2026-12-03T12:00:00.000Z',
      window: { from: '2026-12-02T12:00:00.000Z', to: '2026-12-03T12:00:00.000Z' },
      attention: [{ status: 'failing', dependency: 'queues', summary: '3 messages in dead-letter queues' }],
      dependencies: {
        table: { status: 'ok', tableName: 't', readThrottles: 0, writeThrottles: 0 },
        bus: {
          status: 'ok',
          unpublishedOutboxItems: 0,
          unpublishedAtLeast: false,
          oldestUnpublishedAgeSeconds: null,
          publishFailures: 0,
        },
        queues: { status: 'failing', queues: [{ name: 'mail', waiting: 0, inFlight: 0, deadLetters: 3 }] },
        webhook: { status: 'ok', failures: null, deferred: null, serverErrors: null },
        functions: { status: 'ok', functions: [] },
      },
    };
    setup(['support'], { 'GET /admin/health': { body: health } }, <Health />);
    const attention = (await screen.findByRole('heading', { name: 'Needs attention' })).closest(
      'section',
    ) as HTMLElement;
    expect(attention.textContent).toContain('queues: 3 messages in dead-letter queues');
    const headings = screen.getAllByRole('heading', { level: 2 }).map((h) => h.textContent);
    expect(headings[0]).toBe('Needs attention');
  });
});
