/**
 * The dashboard's charts as plain SVG: stacked bars (with negative values below the axis), a line,
 * and a cohort heatmap as a coloured table. Each mark has a <title> (the hover tooltip, also read by
 * screen readers); the exact numbers are in the chart card's table.
 */

const WIDTH = 640;
const HEIGHT = 220;
const PAD = { top: 12, right: 36, bottom: 28, left: 64 };

export interface Series {
  readonly name: string;
  readonly color: string;
  readonly values: readonly number[];
}

function ticks(min: number, max: number): number[] {
  if (min === max) return [min];
  const step = niceStep((max - min) / 4);
  const out: number[] = [];
  // Rounded to the step, and never −0 (which would print as "-$0.00").
  for (let v = Math.ceil(min / step) * step; v <= max + 1e-9; v += step)
    out.push(Math.round(v / step) * step + 0);
  return out;
}

function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const scaled = raw / power;
  return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power;
}

function Axis(props: { min: number; max: number; y: (v: number) => number; format: (v: number) => string }) {
  return (
    <g class="axis">
      {ticks(props.min, props.max).map((t) => (
        <g key={t}>
          <line x1={PAD.left} x2={WIDTH - PAD.right} y1={props.y(t)} y2={props.y(t)} class="grid" />
          <text x={PAD.left - 6} y={props.y(t) + 4} text-anchor="end">
            {props.format(t)}
          </text>
        </g>
      ))}
    </g>
  );
}

function Legend(props: { series: readonly Series[] }) {
  return (
    <ul class="legend" aria-hidden="true">
      {props.series.map((s) => (
        <li key={s.name}>
          <span class="swatch" style={{ background: s.color }} />
          {s.name}
        </li>
      ))}
    </ul>
  );
}

/** Bars per category, the series stacked (positive values up, negative down). */
export function StackedBars(props: {
  label: string;
  categories: readonly string[];
  series: readonly Series[];
  format: (v: number) => string;
}) {
  const { categories, series } = props;
  let max = 0;
  let min = 0;
  categories.forEach((_, i) => {
    let up = 0;
    let down = 0;
    for (const s of series) {
      const v = s.values[i] ?? 0;
      if (v >= 0) up += v;
      else down += v;
    }
    max = Math.max(max, up);
    min = Math.min(min, down);
  });
  if (max === min) max = min + 1;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const y = (v: number) => PAD.top + ((max - v) / (max - min)) * plotH;
  const band = (WIDTH - PAD.left - PAD.right) / Math.max(1, categories.length);
  const barW = Math.max(2, band * 0.6);
  return (
    <figure>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={props.label}>
        <Axis min={min} max={max} y={y} format={props.format} />
        {categories.map((category, i) => {
          let up = 0;
          let down = 0;
          const x = PAD.left + i * band + (band - barW) / 2;
          return (
            <g key={category}>
              {series.map((s) => {
                const v = s.values[i] ?? 0;
                if (v === 0) return null;
                const from = v >= 0 ? up : down;
                const to = from + v;
                if (v >= 0) up = to;
                else down = to;
                return (
                  <rect
                    key={s.name}
                    x={x}
                    width={barW}
                    y={Math.min(y(from), y(to))}
                    height={Math.max(1, Math.abs(y(from) - y(to)))}
                    fill={s.color}
                  >
                    <title>{`${category} · ${s.name}: ${props.format(v)}`}</title>
                  </rect>
                );
              })}
              {categories.length <= 6 || i % Math.ceil(categories.length / 6) === 0 ? (
                <text x={x + barW / 2} y={HEIGHT - 8} text-anchor="middle" class="tick">
                  {category}
                </text>
              ) : null}
            </g>
          );
        })}
        <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(0)} y2={y(0)} class="zero" />
      </svg>
      <Legend series={series} />
    </figure>
  );
}

/** One series over time. */
export function LineChart(props: {
  label: string;
  points: readonly { x: string; y: number | null }[];
  format: (v: number) => string;
  color?: string;
  /** The y range to show (e.g. NPS: −100…100); default: 0 and the data's extremes. */
  domain?: readonly [number, number];
}) {
  const values = props.points.map((p) => p.y).filter((v): v is number => v !== null);
  let min = props.domain?.[0] ?? Math.min(0, ...values);
  let max = props.domain?.[1] ?? Math.max(0, ...values);
  if (max === min) max = min + 1;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const plotW = WIDTH - PAD.left - PAD.right;
  const y = (v: number) => PAD.top + ((max - v) / (max - min)) * plotH;
  const x = (i: number) =>
    PAD.left + (props.points.length <= 1 ? plotW / 2 : (i / (props.points.length - 1)) * plotW);
  const path = props.points
    .map((p, i) => (p.y === null ? null : `${x(i).toFixed(1)},${y(p.y).toFixed(1)}`))
    .filter(Boolean)
    .join(' ');
  const color = props.color ?? 'var(--accent)';
  const every = Math.max(1, Math.ceil(props.points.length / 8));
  min = Math.min(min, 0);
  return (
    <figure>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={props.label}>
        <Axis min={min} max={max} y={y} format={props.format} />
        <polyline points={path} fill="none" stroke={color} stroke-width="2" />
        {props.points.map((p, i) =>
          p.y === null ? null : (
            <circle key={p.x} cx={x(i)} cy={y(p.y)} r={props.points.length > 60 ? 1.5 : 3} fill={color}>
              <title>{`${p.x}: ${props.format(p.y)}`}</title>
            </circle>
          ),
        )}
        {props.points.map((p, i) =>
          i % every === 0 ? (
            <text key={`t-${p.x}`} x={x(i)} y={HEIGHT - 8} text-anchor="middle" class="tick">
              {p.x}
            </text>
          ) : null,
        )}
      </svg>
    </figure>
  );
}

/** Horizontal bars, largest first (top features). */
export function BarList(props: { label: string; items: readonly { name: string; value: number }[] }) {
  if (props.items.length === 0) return <p class="muted">No events in this range.</p>;
  const max = Math.max(1, ...props.items.map((i) => i.value));
  return (
    <ul class="bar-list" aria-label={props.label}>
      {props.items.map((item) => (
        <li key={item.name}>
          <span class="bar-name">{item.name}</span>
          <span class="bar-track" aria-hidden="true">
            <span class="bar-fill" style={{ width: `${(item.value / max) * 100}%` }} />
          </span>
          <span class="bar-value">{item.value.toLocaleString('en-US')}</span>
        </li>
      ))}
    </ul>
  );
}

/** Cohort retention: one row per cohort, one cell per week after it, shaded by the rate. */
export function Heatmap(props: {
  label: string;
  rows: readonly { name: string; users: number; rates: readonly (number | null)[] }[];
}) {
  const weeks = Math.max(0, ...props.rows.map((r) => r.rates.length));
  return (
    <div class="table-wrap">
      <table class="heatmap">
        <caption class="visually-hidden">{props.label}</caption>
        <thead>
          <tr>
            <th scope="col">Cohort</th>
            <th scope="col">Users</th>
            {Array.from({ length: weeks }, (_, k) => (
              <th scope="col" key={k}>{`W${k}`}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr key={row.name}>
              <th scope="row">{row.name}</th>
              <td>{row.users}</td>
              {Array.from({ length: weeks }, (_, k) => {
                const rate = row.rates[k];
                if (rate === undefined || rate === null) return <td key={k} class="empty" />;
                // Light text on dark cells, dark on light: contrast stays above 4.5:1.
                const style = {
                  background: `rgba(37, 99, 235, ${0.08 + rate * 0.92})`,
                  color: rate > 0.5 ? '#fff' : '#111827',
                };
                return (
                  <td key={k} style={style} title={`${row.name} week ${k}: ${(rate * 100).toFixed(1)}%`}>
                    {`${Math.round(rate * 100)}%`}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export interface WaterfallStep {
  readonly name: string;
  /** A total (drawn from zero) or a change (drawn from the running total). */
  readonly kind: 'total' | 'change';
  readonly value: number;
  readonly color: string;
}

/** A month's MRR bridge: the start, each movement floating from the running total, the end. */
export function Waterfall(props: {
  label: string;
  steps: readonly WaterfallStep[];
  format: (v: number) => string;
}) {
  let running = 0;
  const bars = props.steps.map((step) => {
    const from = step.kind === 'total' ? 0 : running;
    const to = step.kind === 'total' ? step.value : running + step.value;
    running = to;
    return { ...step, from, to };
  });
  let min = Math.min(0, ...bars.flatMap((b) => [b.from, b.to]));
  let max = Math.max(0, ...bars.flatMap((b) => [b.from, b.to]));
  if (max === min) max = min + 1;
  min = Math.min(min, 0);
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const y = (v: number) => PAD.top + ((max - v) / (max - min)) * plotH;
  const band = (WIDTH - PAD.left - PAD.right) / Math.max(1, bars.length);
  const barW = Math.max(2, band * 0.6);
  return (
    <figure>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={props.label}>
        <Axis min={min} max={max} y={y} format={props.format} />
        {bars.map((bar, i) => {
          const x = PAD.left + i * band + (band - barW) / 2;
          return (
            <g key={bar.name}>
              <rect
                x={x}
                width={barW}
                y={Math.min(y(bar.from), y(bar.to))}
                height={Math.max(1, Math.abs(y(bar.from) - y(bar.to)))}
                fill={bar.color}
              >
                <title>{`${bar.name}: ${bar.kind === 'change' && bar.value > 0 ? '+' : ''}${props.format(bar.value)}`}</title>
              </rect>
              <text x={x + barW / 2} y={HEIGHT - 8} text-anchor="middle" class="tick">
                {bar.name}
              </text>
            </g>
          );
        })}
        <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(0)} y2={y(0)} class="zero" />
      </svg>
    </figure>
  );
}
