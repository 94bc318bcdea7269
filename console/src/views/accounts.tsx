/**
 * Tenants and users: search as you type, detail pages, and the admin API's actions (each with its
 * reason; destructive ones confirmed). Actions the operator's role does not allow are not shown.
 */
import { useState } from 'preact/hooks';
import { must } from '../api/client.ts';
import { may } from '../auth/session.ts';
import { dateTime, money } from '../charts/format.ts';
import { ActionForm, Section, Status } from '../components.tsx';
import { useConsole } from '../context.ts';
import { useDebounced, useLoad } from '../hooks.ts';

export function Search() {
  const { api } = useConsole();
  const [kind, setKind] = useState<'tenants' | 'users'>('tenants');
  const [q, setQ] = useState('');
  const query = useDebounced(q.trim(), 250);
  const results = useLoad(async () => {
    if (!query) return undefined;
    if (kind === 'tenants') {
      const page = await must(api.GET('/admin/tenants', { params: { query: { q: query, limit: 20 } } }));
      // A tenant whose name and slug both start with `q` matches twice: list it once.
      const seen = new Set<string>();
      const items = page.items.filter((t) => !seen.has(t.tenantId) && seen.add(t.tenantId));
      return { kind: 'tenants' as const, items };
    }
    const page = await must(api.GET('/admin/users', { params: { query: { q: query, limit: 20 } } }));
    return { kind: 'users' as const, items: page.items };
  }, [kind, query]);

  return (
    <div class="view">
      <h1>Tenants and users</h1>
      <form class="search" aria-label="Search" onSubmit={(e) => e.preventDefault()}>
        <fieldset class="segmented">
          <legend class="visually-hidden">Search in</legend>
          {(['tenants', 'users'] as const).map((k) => (
            <label key={k}>
              <input type="radio" name="kind" value={k} checked={kind === k} onChange={() => setKind(k)} />
              <span>{k === 'tenants' ? 'Tenants' : 'Users'}</span>
            </label>
          ))}
        </fieldset>
        <label class="grow">
          <span>{kind === 'tenants' ? 'Name, slug, owner email or tenant id' : 'Email or user id'}</span>
          <input type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} autoComplete="off" />
        </label>
      </form>
      {query ? <Status loading={results.loading} error={results.error} /> : null}
      <div aria-live="polite">
        {results.data?.kind === 'tenants' ? (
          <table>
            <caption class="visually-hidden">Matching tenants</caption>
            <thead>
              <tr>
                <th scope="col">Tenant</th>
                <th scope="col">Slug</th>
                <th scope="col">Plan</th>
                <th scope="col">Status</th>
                <th scope="col">Matched on</th>
              </tr>
            </thead>
            <tbody>
              {results.data.items.map((t) => (
                <tr key={t.tenantId}>
                  <td>
                    <a href={`#/tenants/${encodeURIComponent(t.tenantId)}`}>{t.name}</a>
                  </td>
                  <td>{t.slug}</td>
                  <td>{t.plan}</td>
                  <td>{t.status}</td>
                  <td>{t.matchedOn === 'ownerEmail' ? `owner ${t.ownerEmail ?? ''}` : t.matchedOn}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        {results.data?.kind === 'users' ? (
          <table>
            <caption class="visually-hidden">Matching users</caption>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Status</th>
                <th scope="col">Last sign-in</th>
              </tr>
            </thead>
            <tbody>
              {results.data.items.map((u) => (
                <tr key={u.userId}>
                  <td>
                    <a href={`#/users/${encodeURIComponent(u.userId)}`}>{u.email ?? u.userId}</a>
                  </td>
                  <td>{u.status}</td>
                  <td>{dateTime(u.lastSignInAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        {results.data && results.data.items.length === 0 ? <p>No matches.</p> : null}
      </div>
    </div>
  );
}

export function TenantDetail(props: { tenantId: string }) {
  const { api, identity } = useConsole();
  const path = { params: { path: { tenantId: props.tenantId } } };
  const tenant = useLoad(() => must(api.GET('/admin/tenants/{tenantId}', path)), [props.tenantId]);
  const comms = useLoad(
    () =>
      must(
        api.GET('/admin/tenants/{tenantId}/communications', {
          params: { path: { tenantId: props.tenantId }, query: { limit: 20 } },
        }),
      ),
    [props.tenantId],
  );
  const t = tenant.data;
  if (!t) return <Status loading={tenant.loading} error={tenant.error} />;
  const b = t.billing;
  return (
    <div class="view">
      <h1>
        {t.name} <span class={`badge ${t.status}`}>{t.status}</span>
      </h1>
      <p class="muted">
        {t.slug} · {t.tenantId} · created {dateTime(t.createdAt)}
      </p>
      {t.suspension ? (
        <p class="error">
          Suspended {dateTime(t.suspension.at)}: {t.suspension.reason}
        </p>
      ) : null}
      <div class="grid">
        <Section title="Plan and billing">
          <dl class="facts">
            <dt>Plan</dt>
            <dd>
              {b.plan} {b.effectivePlan !== b.plan ? `(effective ${b.effectivePlan})` : ''}
            </dd>
            <dt>Status</dt>
            <dd>{b.status}</dd>
            <dt>MRR</dt>
            <dd>{money(b.monthlyAmount.amount, b.monthlyAmount.currency)}</dd>
            <dt>Period ends</dt>
            <dd>
              {dateTime(b.currentPeriodEnd)} {b.cancelAtPeriodEnd ? '(cancels)' : ''}
            </dd>
            <dt>Usage</dt>
            <dd>
              {t.usage.members}/{t.entitlements.seats} seats · {t.usage.projects}/{t.entitlements.projects}{' '}
              projects
            </dd>
          </dl>
        </Section>
        <Section title="Members">
          <table>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {t.members.map((m) => (
                <tr key={m.userId}>
                  <td>
                    <a href={`#/users/${encodeURIComponent(m.userId)}`}>{m.email}</a>
                  </td>
                  <td>{m.role}</td>
                  <td>{m.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
        <Section title="Invoices">
          {t.invoices.length === 0 ? <p class="muted">None.</p> : null}
          <ul>
            {t.invoices.map((i) => (
              <li key={i.invoiceId}>
                {i.number ?? i.invoiceId}: {money(i.total, i.currency)} {i.status} ({dateTime(i.createdAt)})
              </li>
            ))}
          </ul>
        </Section>
        <Section title="Open tickets">
          {t.openTickets.length === 0 ? <p class="muted">None.</p> : null}
          <ul>
            {t.openTickets.map((k) => (
              <li key={k.ticketId}>
                <a href={`#/support/${encodeURIComponent(k.ticketId)}`}>{k.subject}</a> ({k.status},{' '}
                {k.priority})
              </li>
            ))}
          </ul>
        </Section>
        <Section title="Audit (newest)">
          <ul class="log">
            {t.recentAudit.map((a) => (
              <li key={a.entryId}>
                {dateTime(a.at)} {a.action} {a.target.type}:{a.target.id} {a.reason ? `— ${a.reason}` : ''}
              </li>
            ))}
          </ul>
        </Section>
        <Section title="Communication history">
          <Status loading={comms.loading} error={comms.error} />
          <ul class="log">
            {comms.data?.items.map((c) => (
              <li key={c.communicationId}>
                {dateTime(c.at)} {c.direction === 'inbound' ? '←' : '→'} {c.kind}: {c.subject} ({c.status}
                {c.suppressed?.length ? `, suppressed ${c.suppressed.join(', ')}` : ''})
              </li>
            ))}
            {comms.data && comms.data.items.length === 0 ? <li class="muted">None.</li> : null}
          </ul>
        </Section>
      </div>
      <h2>Actions</h2>
      <div class="actions">
        {may(identity, 'accounts:suspend') ? (
          t.status === 'suspended' ? (
            <ActionForm
              title="Reactivate tenant"
              submitLabel="Reactivate"
              onSubmit={async ({ reason = '' }) => {
                await must(api.POST('/admin/tenants/{tenantId}/reactivation', { ...path, body: { reason } }));
                tenant.reload();
                return 'Tenant reactivated.';
              }}
            />
          ) : (
            <ActionForm
              title="Suspend tenant"
              submitLabel="Suspend"
              destructive
              confirmText={`Suspend ${t.name}? Its members lose access to it until it is reactivated.`}
              onSubmit={async ({ reason = '' }) => {
                await must(api.POST('/admin/tenants/{tenantId}/suspension', { ...path, body: { reason } }));
                tenant.reload();
                return 'Tenant suspended.';
              }}
            />
          )
        ) : null}
        {may(identity, 'billing:adjust') ? (
          <>
            <ActionForm
              title="Give a credit"
              submitLabel="Give credit"
              fields={[{ name: 'amount', label: 'Amount (cents)', type: 'number', required: true }]}
              onSubmit={async ({ amount = '', reason = '' }) => {
                const credit = await must(
                  api.POST('/admin/tenants/{tenantId}/credits', {
                    ...path,
                    body: { amount: Number(amount), reason },
                  }),
                );
                return `Credit of ${money(credit.amount, credit.currency)} given.`;
              }}
            />
            <ActionForm
              title="Comp the subscription"
              submitLabel="Comp"
              fields={[
                { name: 'plan', label: 'Plan', type: 'select', options: ['', 'team', 'business'] },
                { name: 'until', label: 'Until', type: 'date', required: true },
              ]}
              onSubmit={async ({ plan = '', until = '', reason = '' }) => {
                const comp = await must(
                  api.POST('/admin/tenants/{tenantId}/comps', {
                    ...path,
                    body: { until, reason, ...(plan ? { plan: plan as 'team' | 'business' } : {}) },
                  }),
                );
                return `Comped ${comp.plan} for ${comp.months} month(s).`;
              }}
            />
            <ActionForm
              title="Cancel the subscription"
              submitLabel="Cancel subscription"
              destructive
              confirmText={`Cancel ${t.name}'s subscription?`}
              fields={[
                {
                  name: 'atPeriodEnd',
                  label: 'At the end of the paid period',
                  type: 'checkbox',
                  initial: 'true',
                },
              ]}
              onSubmit={async ({ atPeriodEnd = 'true', reason = '' }) => {
                const done = await must(
                  api.POST('/admin/tenants/{tenantId}/cancellation', {
                    ...path,
                    body: { atPeriodEnd: atPeriodEnd === 'true', reason },
                  }),
                );
                return `Subscription ${done.status}.`;
              }}
            />
            <ActionForm
              title="Refund a charge"
              submitLabel="Refund"
              destructive
              confirmText="Refund this charge? Stripe returns the money to the customer."
              fields={[
                { name: 'chargeId', label: 'Charge id (ch_…)', required: true },
                { name: 'amount', label: 'Amount (cents; empty: all that remains)', type: 'number' },
              ]}
              onSubmit={async ({ chargeId = '', amount = '', reason = '' }) => {
                const refund = await must(
                  api.POST('/admin/tenants/{tenantId}/refunds', {
                    ...path,
                    body: { chargeId, reason, ...(amount ? { amount: Number(amount) } : {}) },
                  }),
                );
                return `Refunded ${money(refund.amount, refund.currency)} (${refund.status}).`;
              }}
            />
          </>
        ) : null}
      </div>
    </div>
  );
}

export function UserDetail(props: { userId: string }) {
  const { api, identity } = useConsole();
  const path = { params: { path: { userId: props.userId } } };
  const user = useLoad(() => must(api.GET('/admin/users/{userId}', path)), [props.userId]);
  const u = user.data;
  if (!u) return <Status loading={user.loading} error={user.error} />;
  return (
    <div class="view">
      <h1>
        {u.email ?? u.userId} <span class={`badge ${u.status}`}>{u.status}</span>
      </h1>
      <p class="muted">
        {u.userId} · {u.cognitoStatus} · MFA {u.mfaEnabled ? 'on' : 'off'} · last sign-in{' '}
        {dateTime(u.lastSignInAt)}
      </p>
      {u.suspension ? (
        <p class="error">
          Suspended {dateTime(u.suspension.at)}: {u.suspension.reason}
        </p>
      ) : null}
      <div class="grid">
        <Section title="Memberships">
          <ul>
            {u.memberships.map((m) => (
              <li key={m.tenantId}>
                <a href={`#/tenants/${encodeURIComponent(m.tenantId)}`}>{m.tenantName ?? m.tenantId}</a> —{' '}
                {m.role} ({m.status})
              </li>
            ))}
          </ul>
        </Section>
        <Section title="Recent activity">
          <ul class="log">
            {u.recentActivity.map((a) => (
              <li key={a.entryId}>
                {dateTime(a.at)} {a.action} {a.target.type}:{a.target.id}
              </li>
            ))}
          </ul>
        </Section>
      </div>
      <h2>Actions</h2>
      <div class="actions">
        {may(identity, 'accounts:suspend') ? (
          u.status === 'suspended' ? (
            <ActionForm
              title="Reactivate user"
              submitLabel="Reactivate"
              onSubmit={async ({ reason = '' }) => {
                await must(api.POST('/admin/users/{userId}/reactivation', { ...path, body: { reason } }));
                user.reload();
                return 'User reactivated.';
              }}
            />
          ) : (
            <ActionForm
              title="Suspend user"
              submitLabel="Suspend"
              destructive
              confirmText={`Suspend ${u.email ?? u.userId}? They are signed out everywhere and the API refuses them.`}
              onSubmit={async ({ reason = '' }) => {
                await must(api.POST('/admin/users/{userId}/suspension', { ...path, body: { reason } }));
                user.reload();
                return 'User suspended.';
              }}
            />
          )
        ) : null}
        {may(identity, 'accounts:reset-password') ? (
          <ActionForm
            title="Reset password"
            submitLabel="Reset password"
            destructive
            confirmText="Reset this user's password? Their next sign-in must set a new one."
            onSubmit={async ({ reason = '' }) => {
              const done = await must(
                api.POST('/admin/users/{userId}/password-reset', { ...path, body: { reason } }),
              );
              user.reload();
              return `Password reset (${done.cognitoStatus}).`;
            }}
          />
        ) : null}
        {may(identity, 'impersonation:open') ? (
          <ActionForm
            title="Open an impersonation session"
            submitLabel="Open session"
            fields={[
              { name: 'minutes', label: 'Minutes (1–60)', type: 'number', required: true, initial: '15' },
              {
                name: 'tenantId',
                label: 'Limit to tenant',
                type: 'select',
                options: ['', ...u.memberships.map((m) => m.tenantId)],
              },
            ]}
            onSubmit={async ({ minutes = '15', tenantId = '', reason = '' }) => {
              const session = await must(
                api.POST('/admin/impersonations', {
                  body: {
                    userId: u.userId,
                    reason,
                    minutes: Number(minutes),
                    ...(tenantId ? { tenantId } : {}),
                  },
                }),
              );
              return `Session ${session.sessionId} open until ${dateTime(session.expiresAt)}: send it as the Plinth-Impersonation header from the product's client.`;
            }}
          />
        ) : null}
      </div>
    </div>
  );
}
