/** Minor units (cents) as money in the metrics' currency. */
export function money(minor: number | null | undefined, currency = 'usd'): string {
  if (minor === null || minor === undefined) return '—';
  return new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency: currency.toUpperCase(),
    maximumFractionDigits: Math.abs(minor) >= 100_000 ? 0 : 2,
  }).format(minor / 100);
}

/** A fraction (0.05) as a percentage (5.0%). */
export function percent(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined) return '—';
  return `${(fraction * 100).toFixed(1)}%`;
}

export function ratio(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  return value.toFixed(2);
}

export function count(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  return new Intl.NumberFormat('en-US').format(value);
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return `${new Date(iso).toISOString().replace('T', ' ').slice(0, 16)} UTC`;
}
