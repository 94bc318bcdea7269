/** Announcements: the list, create (audience, schedule) with a preview, withdraw. */
import { useState } from 'preact/hooks';
import { must } from '../api/client.ts';
import { may } from '../auth/session.ts';
import { dateTime } from '../charts/format.ts';
import { ActionForm, errorText, Section, Status } from '../components.tsx';
import { useConsole } from '../context.ts';
import { useLoad } from '../hooks.ts';

const plans = ['free', 'team', 'business'] as const;
const roles = ['owner', 'admin', 'manager', 'member'] as const;
type Plan = (typeof plans)[number];

/** `datetime-local` input value (local time) → ISO instant; empty → undefined. */
function instant(local: string): string | undefined {
  return local ? new Date(local).toISOString() : undefined;
}

export function Announcements() {
  const { api, identity } = useConsole();
  const list = useLoad(() => must(api.GET('/admin/announcements', { params: { query: { limit: 50 } } })), []);
  const manage = may(identity, 'announcements:manage');
  return (
    <div class="view">
      <h1>Announcements</h1>
      {manage ? <CreateAnnouncement onCreated={list.reload} /> : null}
      <Status loading={list.loading && !list.data} error={list.error} />
      {list.data?.items.map((a) => (
        <section class="card" key={a.announcementId} aria-label={a.title}>
          <h2>
            {a.title} <span class={`badge ${a.status}`}>{a.status}</span>{' '}
            <span class={`badge ${a.severity}`}>{a.severity}</span>
          </h2>
          <p class="muted">
            {dateTime(a.publishAt)} → {dateTime(a.expiresAt)} · audience{' '}
            {a.audience === 'everyone' ? 'everyone' : JSON.stringify(a.audience)}
            {a.email ? ` · email ${a.emailStatus}` : ''}
          </p>
          {/* bodyHtml: rendered by the API with every raw HTML tag escaped (safe as is). */}
          <div class="markdown" dangerouslySetInnerHTML={{ __html: a.bodyHtml }} />
          {manage && (a.status === 'scheduled' || a.status === 'active') ? (
            <ActionForm
              title="Withdraw"
              submitLabel="Withdraw"
              destructive
              confirmText={`Withdraw "${a.title}"? Users stop seeing it at once.`}
              onSubmit={async ({ reason = '' }) => {
                await must(
                  api.POST('/admin/announcements/{announcementId}/withdraw', {
                    params: { path: { announcementId: a.announcementId } },
                    body: { reason },
                  }),
                );
                list.reload();
                return 'Withdrawn.';
              }}
            />
          ) : null}
        </section>
      ))}
    </div>
  );
}

function CreateAnnouncement(props: { onCreated: () => void }) {
  const { api } = useConsole();
  const [form, setForm] = useState({
    title: '',
    body: '',
    severity: 'info' as 'info' | 'warning' | 'critical',
    everyone: true,
    plans: [] as Plan[],
    roles: [] as (typeof roles)[number][],
    publishAt: '',
    expiresAt: '',
    email: false,
    reason: '',
  });
  const [preview, setPreview] = useState<string>();
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const set = (patch: Partial<typeof form>) => setForm({ ...form, ...patch });
  const toggle = <T,>(list: readonly T[], value: T) =>
    list.includes(value) ? list.filter((v) => v !== value) : [...list, value];

  return (
    <Section title="New announcement">
      <form
        class="action wide"
        onSubmit={async (e) => {
          e.preventDefault();
          setMessage(undefined);
          try {
            const publishAt = instant(form.publishAt) ?? new Date().toISOString();
            const expiresAt =
              instant(form.expiresAt) ?? new Date(Date.parse(publishAt) + 7 * 86_400_000).toISOString();
            const audience = form.everyone
              ? ('everyone' as const)
              : {
                  ...(form.plans.length ? { plans: form.plans } : {}),
                  ...(form.roles.length ? { roles: form.roles } : {}),
                };
            const created = await must(
              api.POST('/admin/announcements', {
                body: {
                  title: form.title,
                  body: form.body,
                  severity: form.severity,
                  audience,
                  publishAt,
                  expiresAt,
                  email: form.email,
                  reason: form.reason,
                },
              }),
            );
            setMessage({ ok: true, text: `"${created.title}" is ${created.status}.` });
            setPreview(undefined);
            set({ title: '', body: '', reason: '' });
            props.onCreated();
          } catch (error) {
            setMessage({ ok: false, text: errorText(error) });
          }
        }}
      >
        <label>
          <span>Title</span>
          <input
            required
            maxLength={120}
            value={form.title}
            onInput={(e) => set({ title: e.currentTarget.value })}
          />
        </label>
        <label>
          <span>Body (markdown)</span>
          <textarea
            required
            rows={4}
            value={form.body}
            onInput={(e) => set({ body: e.currentTarget.value })}
          />
        </label>
        <label>
          <span>Severity</span>
          <select
            value={form.severity}
            onChange={(e) => set({ severity: e.currentTarget.value as typeof form.severity })}
          >
            <option>info</option>
            <option>warning</option>
            <option>critical</option>
          </select>
        </label>
        <fieldset>
          <legend>Audience</legend>
          <label class="check">
            <input
              type="checkbox"
              checked={form.everyone}
              onChange={(e) => set({ everyone: e.currentTarget.checked })}
            />
            <span>Everyone</span>
          </label>
          {!form.everyone ? (
            <>
              {plans.map((p) => (
                <label class="check" key={p}>
                  <input
                    type="checkbox"
                    checked={form.plans.includes(p)}
                    onChange={() => set({ plans: toggle(form.plans, p) })}
                  />
                  <span>Plan {p}</span>
                </label>
              ))}
              {roles.map((r) => (
                <label class="check" key={r}>
                  <input
                    type="checkbox"
                    checked={form.roles.includes(r)}
                    onChange={() => set({ roles: toggle(form.roles, r) })}
                  />
                  <span>Role {r}</span>
                </label>
              ))}
            </>
          ) : null}
        </fieldset>
        <label>
          <span>Publish at (empty: now)</span>
          <input
            type="datetime-local"
            value={form.publishAt}
            onInput={(e) => set({ publishAt: e.currentTarget.value })}
          />
        </label>
        <label>
          <span>Expires at (empty: a week later)</span>
          <input
            type="datetime-local"
            value={form.expiresAt}
            onInput={(e) => set({ expiresAt: e.currentTarget.value })}
          />
        </label>
        {form.severity === 'critical' ? (
          <label class="check">
            <input
              type="checkbox"
              checked={form.email}
              onChange={(e) => set({ email: e.currentTarget.checked })}
            />
            <span>Also email every addressed user</span>
          </label>
        ) : null}
        <label>
          <span>Reason (recorded in the audit log)</span>
          <input
            required
            minLength={3}
            value={form.reason}
            onInput={(e) => set({ reason: e.currentTarget.value })}
          />
        </label>
        <div class="buttons">
          <button
            type="button"
            disabled={!form.body.trim()}
            onClick={async () => {
              try {
                const { html } = await must(
                  api.POST('/admin/announcements/preview', { body: { body: form.body } }),
                );
                setPreview(html);
              } catch (error) {
                setMessage({ ok: false, text: errorText(error) });
              }
            }}
          >
            Preview
          </button>
          <button type="submit" class="primary">
            Publish
          </button>
        </div>
        {preview !== undefined ? (
          <section aria-label="Preview" class="preview">
            <h3>{form.title || '(no title)'}</h3>
            {/* The API escapes raw HTML in the markdown: safe to insert. */}
            <div class="markdown" dangerouslySetInnerHTML={{ __html: preview }} />
          </section>
        ) : null}
        {message ? (
          <p role={message.ok ? 'status' : 'alert'} class={message.ok ? 'ok' : 'error'}>
            {message.text}
          </p>
        ) : null}
      </form>
    </Section>
  );
}
