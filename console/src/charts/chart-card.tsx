import type { ComponentChildren } from 'preact';
import { useId, useState } from 'preact/hooks';
import { type Cell, downloadCsv, toCsv } from './csv.ts';

export interface ChartTable {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
  /** How a cell is shown in the table (the CSV keeps the raw number). */
  readonly format?: (cell: Cell, column: number) => string;
}

/**
 * A chart with its numbers one click away: "Show numbers" reveals the same data as a table (for
 * screen readers too), "Download CSV" saves it.
 */
export function ChartCard(props: {
  title: string;
  /** The CSV file's name, without `.csv`. */
  name: string;
  table: ChartTable;
  description?: string;
  children: ComponentChildren;
}) {
  const [open, setOpen] = useState(false);
  const id = useId();
  const { columns, rows, format } = props.table;
  return (
    <section class="card chart" aria-labelledby={`${id}-title`}>
      <header class="card-head">
        <h2 id={`${id}-title`}>{props.title}</h2>
        <div class="card-actions">
          <button
            type="button"
            aria-expanded={open}
            aria-controls={`${id}-table`}
            onClick={() => setOpen(!open)}
          >
            {open ? 'Hide numbers' : 'Show numbers'}
          </button>
          <button type="button" onClick={() => downloadCsv(`${props.name}.csv`, toCsv(columns, rows))}>
            Download CSV<span class="visually-hidden"> of {props.title}</span>
          </button>
        </div>
      </header>
      {props.description ? <p class="muted">{props.description}</p> : null}
      <div class="chart-body">{props.children}</div>
      <div id={`${id}-table`} hidden={!open} class="table-wrap">
        <table>
          <caption class="visually-hidden">{props.title}</caption>
          <thead>
            <tr>
              {columns.map((c) => (
                <th scope="col" key={c}>
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row, r) => (
              <tr key={String(row[0] ?? r)}>
                {row.map((cell, c) => (
                  <td key={columns[c]}>{format ? format(cell, c) : cell === null ? '—' : String(cell)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
