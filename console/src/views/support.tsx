/** The support inbox: tickets by status and priority; a ticket's conversation, reply, note, assign, close. */
import { useState } from 'preact/hooks';
import { must } from '../api/client.ts';
import { may } from '../auth/session.ts';
import { dateTime } from '../charts/format.ts';
import { ActionForm, Status } from '../components.tsx';
import { useConsole } from '../context.ts';
import { useLoad } from '../hooks.ts';

const statuses = ['open', 'pending_customer', 'resolved', 'closed'] as const;
const priorities = ['urgent', 'high', 'normal', 'low'] as const;
type TicketStatus = (typeof statuses)[number];
type TicketPriority = (typeof priorities)[number];

export function Inbox() {
  const { api } = useConsole();
  const [status, setStatus] = useState<TicketStatus | ''>('open');
  const [priority, setPriority] = useState<TicketPriority | ''>('');
  const [mine, setMine] = useState(false);
  const { identity } = useConsole();
  const list = useLoad(
    () =>
      must(
        api.GET('/admin/support/tickets', {
          params: {
            query: {
              limit: 50,
              ...(status ? { status } : {}),
              ...(priority ? { priority } : {}),
              ...(mine ? { assignee: identity.userId } : {}),
            },
          },
        }),
      ),
    [status, priority, mine],
  );
  return (
    <div class="view">
      <h1>Support inbox</h1>
      <div class="filters">
        <label>
          <span>Status</span>
          <select value={status} onChange={(e) => setStatus(e.currentTarget.value as TicketStatus | '')}>
            <option value="">any</option>
            {statuses.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          <span>Priority</span>
          <select
            value={priority}
            onChange={(e) => setPriority(e.currentTarget.value as TicketPriority | '')}
          >
            <option value="">any</option>
            {priorities.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </label>
        <label class="check">
          <input type="checkbox" checked={mine} onChange={(e) => setMine(e.currentTarget.checked)} />
          <span>Assigned to me</span>
        </label>
      </div>
      <Status loading={list.loading && !list.data} error={list.error} />
      {list.data && list.data.items.length === 0 ? <p>No tickets.</p> : null}
      {list.data && list.data.items.length > 0 ? (
        <table>
          <caption class="visually-hidden">Tickets</caption>
          <thead>
            <tr>
              <th scope="col">Subject</th>
              <th scope="col">Priority</th>
              <th scope="col">Status</th>
              <th scope="col">Requester</th>
              <th scope="col">First reply due</th>
              <th scope="col">Assignee</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((t) => (
              <tr key={t.ticketId}>
                <td>
                  <a href={`#/support/${encodeURIComponent(t.ticketId)}`}>{t.subject}</a>
                </td>
                <td>
                  <span class={`badge ${t.priority}`}>{t.priority}</span>
                </td>
                <td>{t.status}</td>
                <td>{t.requester.email}</td>
                <td>{t.firstResponseAt ? 'answered' : dateTime(t.firstResponseDueAt)}</td>
                <td>{t.assigneeId === identity.userId ? 'me' : (t.assigneeId ?? '—')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}

export function Ticket(props: { ticketId: string }) {
  const { api, identity } = useConsole();
  const path = { params: { path: { ticketId: props.ticketId } } };
  const ticket = useLoad(() => must(api.GET('/admin/support/tickets/{ticketId}', path)), [props.ticketId]);
  const t = ticket.data;
  if (!t) return <Status loading={ticket.loading} error={ticket.error} />;
  const manage = may(identity, 'tickets:manage');
  return (
    <div class="view">
      <h1>{t.subject}</h1>
      <p class="muted">
        <span class={`badge ${t.priority}`}>{t.priority}</span> · {t.status} · from {t.requester.email} ·{' '}
        <a href={`#/tenants/${encodeURIComponent(t.tenantId)}`}>tenant</a> · assignee{' '}
        {t.assigneeId === identity.userId ? 'me' : (t.assigneeId ?? 'nobody')}
        {t.requesterDelivery.status === 'suppressed' ? ' · requester address suppressed (no email)' : ''}
      </p>
      <ol class="conversation" aria-label="Conversation">
        {t.messages.map((m) => (
          <li key={m.messageId} class={m.internal ? 'note' : m.author.kind}>
            <p class="muted">
              {m.internal
                ? 'Internal note'
                : m.author.kind === 'customer'
                  ? (m.author.email ?? 'Customer')
                  : 'Support'}{' '}
              · {dateTime(m.at)}
            </p>
            <p class="message-body">{m.body}</p>
          </li>
        ))}
      </ol>
      {manage ? (
        <div class="actions">
          <ActionForm
            title="Reply to the customer"
            submitLabel="Send reply"
            reason={false}
            fields={[
              { name: 'body', label: 'Reply', type: 'textarea', required: true },
              {
                name: 'status',
                label: 'Then',
                type: 'select',
                options: ['pending_customer', 'open', 'resolved'],
                initial: 'pending_customer',
              },
            ]}
            onSubmit={async ({ body = '', status = 'pending_customer' }) => {
              const done = await must(
                api.POST('/admin/support/tickets/{ticketId}/replies', {
                  ...path,
                  body: { body, status: status as 'open' | 'pending_customer' | 'resolved' },
                }),
              );
              ticket.reload();
              return `Reply sent (email ${done.email.status}).`;
            }}
          />
          <ActionForm
            title="Internal note"
            submitLabel="Add note"
            reason={false}
            fields={[{ name: 'body', label: 'Note (operators only)', type: 'textarea', required: true }]}
            onSubmit={async ({ body = '' }) => {
              await must(api.POST('/admin/support/tickets/{ticketId}/notes', { ...path, body: { body } }));
              ticket.reload();
              return 'Note added.';
            }}
          />
          <ActionForm
            title={t.assigneeId === identity.userId ? 'Unassign' : 'Assign to me'}
            submitLabel={t.assigneeId === identity.userId ? 'Unassign' : 'Assign to me'}
            reason={false}
            onSubmit={async () => {
              const assigneeId = t.assigneeId === identity.userId ? null : identity.userId;
              await must(
                api.PUT('/admin/support/tickets/{ticketId}/assignee', { ...path, body: { assigneeId } }),
              );
              ticket.reload();
              return assigneeId ? 'Assigned to you.' : 'Unassigned.';
            }}
          />
          {t.status !== 'closed' ? (
            <ActionForm
              title="Close ticket"
              submitLabel="Close"
              destructive
              confirmText="Close this ticket? The customer can no longer reply to it."
              onSubmit={async ({ reason = '' }) => {
                await must(
                  api.PUT('/admin/support/tickets/{ticketId}/status', {
                    ...path,
                    body: { status: 'closed', reason },
                  }),
                );
                ticket.reload();
                return 'Ticket closed.';
              }}
            />
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
