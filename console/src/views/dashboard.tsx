/**
 * The business at a glance, from the metrics API: MRR/ARR and the month's movements, the MRR series
 * over a chosen range, churn/NRR/quick ratio/ARPA/LTV/CAC, NPS and its trend, DAU/WAU/MAU,
 * retention cohorts and top features. Every chart's numbers are in its table and CSV.
 */
import { useState } from 'preact/hooks';
import { must, mustJson } from '../api/client.ts';
import { ChartCard } from '../charts/chart-card.tsx';
import type { Cell } from '../charts/csv.ts';
import { count, money, percent, ratio } from '../charts/format.ts';
import { BarList, Heatmap, LineChart, StackedBars, Waterfall } from '../charts/svg-charts.tsx';
import { Status } from '../components.tsx';
import { useConsole } from '../context.ts';
import { useLoad } from '../hooks.ts';

export const movementSeries = [
  { key: 'new', name: 'New', color: '#2563eb' },
  { key: 'expansion', name: 'Expansion', color: '#059669' },
  { key: 'reactivation', name: 'Reactivation', color: '#7c3aed' },
  { key: 'contraction', name: 'Contraction', color: '#d97706' },
  { key: 'churn', name: 'Churn', color: '#dc2626' },
] as const;

export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

export function addMonths(month: string, months: number): string {
  const index = Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1 + months;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

const ranges = { '3 months': 3, '6 months': 6, '12 months': 12 } as const;

export function Dashboard() {
  const { api, today } = useConsole();
  // The last complete day: the daily rollup runs just after midnight UTC.
  const [date, setDate] = useState(() => addDays(today(), -1));
  const [range, setRange] = useState<keyof typeof ranges>('6 months');
  const months = ranges[range];
  const month = date.slice(0, 7);
  const fromMonth = addMonths(month, -(months - 1));
  const fromDay = `${fromMonth}-01`;
  const productFrom = addDays(date, -90);

  const summary = useLoad(
    () => must(api.GET('/admin/metrics/summary', { params: { query: { date } } })),
    [date],
  );
  const mrr = useLoad(
    () =>
      mustJson(
        api.GET('/admin/metrics/mrr', { params: { query: { from: fromDay, to: date, interval: 'month' } } }),
      ),
    [date, months],
  );
  const churn = useLoad(
    () => mustJson(api.GET('/admin/metrics/churn', { params: { query: { from: fromMonth, to: month } } })),
    [date, months],
  );
  const nps = useLoad(
    () => mustJson(api.GET('/admin/metrics/nps', { params: { query: { from: fromDay, to: date } } })),
    [date, months],
  );
  const features = useLoad(
    () =>
      must(api.GET('/admin/metrics/features', { params: { query: { from: addDays(date, -29), to: date } } })),
    [date],
  );
  const retention = useLoad(
    () => must(api.GET('/admin/metrics/retention', { params: { query: { from: productFrom, to: date } } })),
    [date],
  );

  const s = summary.data;
  const currency = s?.currency ?? mrr.data?.currency ?? 'usd';
  const m = s?.monthToDate;
  const fmt = (v: number) => money(v, currency);
  const moneyCell = (cell: Cell) => (typeof cell === 'number' ? money(cell, currency) : String(cell ?? '—'));

  return (
    <div class="view">
      <div class="view-head">
        <h1>Dashboard</h1>
        <div class="filters">
          <label>
            <span>As of</span>
            <input
              type="date"
              value={date}
              max={today()}
              onChange={(e) => setDate(e.currentTarget.value || date)}
            />
          </label>
          <label>
            <span>Range</span>
            <select value={range} onChange={(e) => setRange(e.currentTarget.value as keyof typeof ranges)}>
              {Object.keys(ranges).map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </label>
        </div>
      </div>
      <Status loading={summary.loading && !s} error={summary.error} />
      {s && m ? (
        <dl class="kpis" aria-label="Key figures">
          <Kpi label="MRR" value={fmt(s.day.mrr)} testId="kpi-mrr" />
          <Kpi label="ARR" value={fmt(s.day.arr)} testId="kpi-arr" />
          <Kpi label="Customers" value={count(s.day.customers)} testId="kpi-customers" />
          <Kpi label="Net new MRR (month)" value={fmt(m.netNewMrr)} testId="kpi-net-new" />
          <Kpi label="Logo churn" value={percent(m.logoChurnRate)} testId="kpi-logo-churn" />
          <Kpi label="Revenue churn (net)" value={percent(m.netMrrChurnRate)} testId="kpi-revenue-churn" />
          <Kpi label="NRR" value={percent(m.nrr)} testId="kpi-nrr" />
          <Kpi label="Quick ratio" value={ratio(m.quickRatio)} testId="kpi-quick-ratio" />
          <Kpi label="ARPA" value={money(m.arpa, currency)} testId="kpi-arpa" />
          <Kpi label="LTV" value={money(m.ltv, currency)} testId="kpi-ltv" />
          <Kpi label="CAC" value={money(m.cac, currency)} testId="kpi-cac" />
          <Kpi label="LTV:CAC" value={ratio(m.ltvToCac)} testId="kpi-ltv-cac" />
          <Kpi
            label="NPS (month)"
            value={m.nps === null ? '—' : String(Math.round(m.nps))}
            testId="kpi-nps"
          />
        </dl>
      ) : null}
      <div class="grid">
        {m ? (
          <ChartCard
            title={`MRR movements in ${m.month}`}
            name={`movements-${m.month}`}
            table={{
              columns: ['Movement', 'MRR'],
              rows: [
                ['MRR at start', m.mrrStart],
                ...movementSeries.map((t) => [t.name, m.movements[t.key]] as Cell[]),
                ['Comps', m.movements.comp + m.movements.comp_end],
                ['MRR now', m.mrrEnd],
              ],
              format: (cell, c) => (c === 0 ? String(cell) : moneyCell(cell)),
            }}
          >
            <Waterfall
              label={`MRR bridge for ${m.month}: from ${fmt(m.mrrStart)} to ${fmt(m.mrrEnd)}`}
              steps={[
                { name: 'Start', kind: 'total', value: m.mrrStart, color: '#64748b' },
                ...movementSeries.map((t) => ({
                  name: t.name,
                  kind: 'change' as const,
                  value: m.movements[t.key],
                  color: t.color,
                })),
                {
                  name: 'Comps',
                  kind: 'change',
                  value: m.movements.comp + m.movements.comp_end,
                  color: '#0891b2',
                },
                { name: 'Now', kind: 'total', value: m.mrrEnd, color: '#334155' },
              ]}
              format={fmt}
            />
          </ChartCard>
        ) : null}
        {mrr.data ? (
          <ChartCard
            title="MRR"
            name="mrr"
            table={{
              columns: ['Month', 'MRR', 'ARR', 'Customers', 'Net new MRR'],
              rows: mrr.data.points.map((p) => [p.period, p.mrr, p.arr, p.customers, p.netNewMrr]),
              format: (cell, c) => (c === 0 || c === 3 ? String(cell) : moneyCell(cell)),
            }}
          >
            <LineChart
              label={`MRR by month from ${fromMonth} to ${month}`}
              points={mrr.data.points.map((p) => ({ x: p.period, y: p.mrr }))}
              format={fmt}
            />
          </ChartCard>
        ) : (
          <Status loading={mrr.loading} error={mrr.error} />
        )}
        {mrr.data ? (
          <ChartCard
            title="Movements by month"
            name="movements-by-month"
            table={{
              columns: ['Month', ...movementSeries.map((t) => t.name)],
              rows: mrr.data.points.map((p) => [p.period, ...movementSeries.map((t) => p.movements[t.key])]),
              format: (cell, c) => (c === 0 ? String(cell) : moneyCell(cell)),
            }}
          >
            <StackedBars
              label="MRR movements by month, stacked"
              categories={mrr.data.points.map((p) => p.period)}
              series={movementSeries.map((t) => ({
                name: t.name,
                color: t.color,
                values: mrr.data?.points.map((p) => p.movements[t.key]) ?? [],
              }))}
              format={fmt}
            />
          </ChartCard>
        ) : null}
        {churn.data ? (
          <ChartCard
            title="Churn, NRR and unit economics"
            name="churn"
            table={{
              columns: [
                'Month',
                'Logo churn',
                'Revenue churn',
                'NRR',
                'Quick ratio',
                'ARPA',
                'LTV',
                'CAC',
                'LTV:CAC',
              ],
              rows: churn.data.months.map((c) => [
                c.month,
                c.logoChurnRate,
                c.netMrrChurnRate,
                c.nrr,
                c.quickRatio,
                c.arpa,
                c.ltv,
                c.cac,
                c.ltvToCac,
              ]),
              format: (cell, c) =>
                c === 0
                  ? String(cell)
                  : typeof cell !== 'number'
                    ? '—'
                    : c <= 3
                      ? percent(cell)
                      : c === 4 || c === 8
                        ? ratio(cell)
                        : money(cell, currency),
            }}
          >
            <LineChart
              label="Logo churn by month"
              points={churn.data.months.map((c) => ({ x: c.month, y: c.logoChurnRate }))}
              format={percent}
              color="#dc2626"
            />
          </ChartCard>
        ) : (
          <Status loading={churn.loading} error={churn.error} />
        )}
        {nps.data ? (
          <ChartCard
            title={`NPS (range: ${nps.data.range.nps === null ? '—' : Math.round(nps.data.range.nps)})`}
            name="nps"
            description={`Each day's NPS over the ${nps.data.windowDays} days ending with it.`}
            table={{
              columns: ['Day', 'NPS', 'Promoters', 'Passives', 'Detractors'],
              rows: nps.data.points.map((p) => [
                p.day,
                p.nps === null ? null : Math.round(p.nps),
                p.window.promoters,
                p.window.passives,
                p.window.detractors,
              ]),
            }}
          >
            <LineChart
              label="NPS trend"
              points={nps.data.points.map((p) => ({ x: p.day, y: p.nps }))}
              format={(v) => String(Math.round(v))}
              domain={[-100, 100]}
              color="#059669"
            />
          </ChartCard>
        ) : (
          <Status loading={nps.loading} error={nps.error} />
        )}
        {features.data ? (
          <ChartCard
            title={`Active users (DAU ${count(features.data.days.at(-1)?.activeUsers)}, WAU ${count(features.data.weeks.at(-1)?.activeUsers)}, MAU ${count(features.data.months.at(-1)?.activeUsers)})`}
            name="active-users"
            table={{
              columns: ['Period', 'Active users'],
              rows: [
                ...features.data.days.map((d) => [d.date, d.activeUsers] as Cell[]),
                ...features.data.weeks.map((w) => [w.week, w.activeUsers] as Cell[]),
                ...features.data.months.map((mo) => [mo.month, mo.activeUsers] as Cell[]),
              ],
            }}
          >
            <LineChart
              label="Daily active users"
              points={features.data.days.map((d) => ({ x: d.date, y: d.activeUsers }))}
              format={(v) => count(v)}
            />
          </ChartCard>
        ) : (
          <Status loading={features.loading} error={features.error} />
        )}
        {features.data ? (
          <ChartCard
            title="Top features (30 days)"
            name="features"
            table={{
              columns: ['Event', 'Events'],
              rows: features.data.features.map((f) => [f.name, f.events]),
            }}
          >
            <BarList
              label="Events per feature"
              items={features.data.features.slice(0, 10).map((f) => ({ name: f.name, value: f.events }))}
            />
          </ChartCard>
        ) : null}
        {retention.data ? (
          <ChartCard
            title="Retention cohorts"
            name="retention"
            table={{
              columns: ['Cohort', 'Users', 'Week', 'Active users', 'Rate'],
              rows: retention.data.cohorts.flatMap((c) =>
                c.weeks.map((w) => [c.cohortWeek, c.users, w.k, w.activeUsers, w.rate] as Cell[]),
              ),
              format: (cell, c) =>
                c === 4 ? percent(typeof cell === 'number' ? cell : null) : String(cell ?? '—'),
            }}
          >
            <Heatmap
              label="Weekly retention by cohort"
              rows={retention.data.cohorts.map((c) => ({
                name: c.cohortWeek,
                users: c.users,
                rates: c.weeks.map((w) => w.rate),
              }))}
            />
          </ChartCard>
        ) : (
          <Status loading={retention.loading} error={retention.error} />
        )}
      </div>
    </div>
  );
}

function Kpi(props: { label: string; value: string; testId: string }) {
  return (
    <div class="kpi">
      <dt>{props.label}</dt>
      <dd data-testid={props.testId}>{props.value}</dd>
    </div>
  );
}
