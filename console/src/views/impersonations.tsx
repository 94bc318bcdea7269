/**
 * Open impersonation sessions with their time left; end one (any operator who may open sessions may
 * end any, as the API allows). Opening one is on the user's page.
 */
import { useEffect, useState } from 'preact/hooks';
import { must } from '../api/client.ts';
import { may } from '../auth/session.ts';
import { dateTime } from '../charts/format.ts';
import { errorText, Status } from '../components.tsx';
import { useConsole } from '../context.ts';
import { useLoad } from '../hooks.ts';

export function timeLeft(seconds: number): string {
  if (seconds <= 0) return 'expired';
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${m} min ${String(s).padStart(2, '0')} s`;
}

export function Impersonations() {
  const { api, identity } = useConsole();
  const list = useLoad(
    () => must(api.GET('/admin/impersonations', { params: { query: { limit: 50 } } })),
    [],
  );
  const [loadedAt, setLoadedAt] = useState(Date.now());
  const [now, setNow] = useState(Date.now());
  const [message, setMessage] = useState<string>();
  useEffect(() => setLoadedAt(Date.now()), [list.data]);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  const elapsed = Math.floor((now - loadedAt) / 1000);
  return (
    <div class="view">
      <h1>Impersonation sessions</h1>
      <p class="muted">
        Open a session from a user's page. Acting as the user happens in the product's own client, with the
        session id as the <code>Plinth-Impersonation</code> header.
      </p>
      <Status loading={list.loading && !list.data} error={list.error} />
      {message ? (
        <p role="status" class="ok">
          {message}
        </p>
      ) : null}
      {list.data && list.data.items.length === 0 ? <p>No open sessions.</p> : null}
      {list.data && list.data.items.length > 0 ? (
        <table>
          <caption class="visually-hidden">Open impersonation sessions</caption>
          <thead>
            <tr>
              <th scope="col">Session</th>
              <th scope="col">User</th>
              <th scope="col">Tenant</th>
              <th scope="col">Reason</th>
              <th scope="col">Opened</th>
              <th scope="col">Time left</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((s) => (
              <tr key={s.sessionId}>
                <td>
                  <code>{s.sessionId}</code>
                </td>
                <td>
                  <a href={`#/users/${encodeURIComponent(s.userId)}`}>{s.userId}</a>
                </td>
                <td>{s.tenantId ?? 'all theirs'}</td>
                <td>{s.reason}</td>
                <td>{dateTime(s.openedAt)}</td>
                <td>{timeLeft(s.secondsLeft - elapsed)}</td>
                <td>
                  {may(identity, 'impersonation:open') ? (
                    <button
                      type="button"
                      class="danger"
                      onClick={async () => {
                        try {
                          await must(
                            api.DELETE('/admin/impersonations/{sessionId}', {
                              params: { path: { sessionId: s.sessionId } },
                            }),
                          );
                          setMessage(`Session ${s.sessionId} ended.`);
                          list.reload();
                        } catch (error) {
                          setMessage(errorText(error));
                        }
                      }}
                    >
                      End<span class="visually-hidden"> session {s.sessionId}</span>
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
