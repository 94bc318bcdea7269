/** `/admin/health`, refreshed every 30 seconds, what needs attention first. */
import { useEffect } from 'preact/hooks';
import { must } from '../api/client.ts';
import { dateTime } from '../charts/format.ts';
import { Section, Status } from '../components.tsx';
import { useConsole } from '../context.ts';
import { useLoad } from '../hooks.ts';

export const HEALTH_REFRESH_MS = 30_000;

export function Health() {
  const { api } = useConsole();
  const health = useLoad(() => must(api.GET('/admin/health')), []);
  useEffect(() => {
    const timer = setInterval(health.reload, HEALTH_REFRESH_MS);
    return () => clearInterval(timer);
  }, [health.reload]);
  const h = health.data;
  return (
    <div class="view">
      <div class="view-head">
        <h1>Health</h1>
        <button type="button" onClick={health.reload}>
          Refresh now
        </button>
      </div>
      <Status loading={health.loading && !h} error={health.error} />
      {h ? (
        <>
          <p aria-live="polite">
            Overall: <span class={`badge ${h.status}`}>{h.status}</span> · checked {dateTime(h.checkedAt)}
          </p>
          <Section title="Needs attention">
            {h.attention.length === 0 ? <p class="ok">Nothing needs attention.</p> : null}
            <ul>
              {h.attention.map((a) => (
                <li key={`${a.dependency}-${a.summary}`}>
                  <span class={`badge ${a.status}`}>{a.status}</span> <strong>{a.dependency}</strong>:{' '}
                  {a.summary}
                </li>
              ))}
            </ul>
          </Section>
          <div class="grid">
            <Section title={`Table (${h.dependencies.table.status})`}>
              <p>
                Read throttles {h.dependencies.table.readThrottles ?? '—'}, write throttles{' '}
                {h.dependencies.table.writeThrottles ?? '—'}
              </p>
            </Section>
            <Section title={`Event bus (${h.dependencies.bus.status})`}>
              <p>
                Unpublished outbox items {h.dependencies.bus.unpublishedOutboxItems ?? '—'}
                {h.dependencies.bus.unpublishedAtLeast ? '+' : ''}, oldest{' '}
                {h.dependencies.bus.oldestUnpublishedAgeSeconds ?? '—'} s, publish failures{' '}
                {h.dependencies.bus.publishFailures ?? '—'}
              </p>
            </Section>
            <Section title={`Queues (${h.dependencies.queues.status})`}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Queue</th>
                    <th scope="col">Waiting</th>
                    <th scope="col">In flight</th>
                    <th scope="col">Dead letters</th>
                  </tr>
                </thead>
                <tbody>
                  {[...(h.dependencies.queues.queues ?? [])]
                    .sort((a, b) => b.deadLetters - a.deadLetters)
                    .map((q) => (
                      <tr key={q.name}>
                        <td>{q.name}</td>
                        <td>{q.waiting ?? '—'}</td>
                        <td>{q.inFlight ?? '—'}</td>
                        <td>{q.deadLetters}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </Section>
            <Section title={`Stripe webhook (${h.dependencies.webhook.status})`}>
              <p>
                Failures (24 h) {h.dependencies.webhook.failures?.last24Hours ?? '—'}, deferred{' '}
                {h.dependencies.webhook.deferred ?? '—'}, 5xx {h.dependencies.webhook.serverErrors ?? '—'}
              </p>
            </Section>
            <Section title={`Functions (${h.dependencies.functions.status})`}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Function</th>
                    <th scope="col">Errors (24 h)</th>
                    <th scope="col">Errors (1 h)</th>
                    <th scope="col">Throttles</th>
                  </tr>
                </thead>
                <tbody>
                  {[...(h.dependencies.functions.functions ?? [])]
                    .sort((a, b) => (b.errors?.last24Hours ?? 0) - (a.errors?.last24Hours ?? 0))
                    .map((f) => (
                      <tr key={f.name}>
                        <td>{f.name}</td>
                        <td>{f.errors?.last24Hours ?? '—'}</td>
                        <td>{f.errors?.lastHour ?? '—'}</td>
                        <td>{f.throttles ?? '—'}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </Section>
          </div>
        </>
      ) : null}
    </div>
  );
}
