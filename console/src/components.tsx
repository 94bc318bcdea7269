/** Small shared pieces: status messages, the action form with its reason and confirmation. */
import type { ComponentChildren } from 'preact';
import { useId, useState } from 'preact/hooks';
import { ApiError } from './api/client.ts';

export function Status(props: { loading?: boolean; error?: string | undefined }) {
  if (props.error)
    return (
      <p role="alert" class="error">
        {props.error}
      </p>
    );
  if (props.loading)
    return (
      <p aria-live="polite" class="muted">
        Loading…
      </p>
    );
  return null;
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    const fields = error.fieldErrors.map((f) => `${f.field}: ${f.message}`).join('; ');
    return fields ? `${error.message} (${fields})` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

export interface ActionField {
  readonly name: string;
  readonly label: string;
  readonly type?: 'text' | 'textarea' | 'number' | 'date' | 'select' | 'checkbox';
  readonly options?: readonly string[];
  readonly required?: boolean;
  readonly initial?: string;
}

/**
 * An operator action: optional fields, a required reason (the platform audit log records it) and,
 * for destructive ones, a confirmation step naming what will happen.
 */
export function ActionForm(props: {
  title: string;
  fields?: readonly ActionField[];
  destructive?: boolean;
  confirmText?: string;
  submitLabel: string;
  reason?: boolean;
  onSubmit: (values: Record<string, string>) => Promise<string | undefined>;
}) {
  const id = useId();
  const initial = Object.fromEntries((props.fields ?? []).map((f) => [f.name, f.initial ?? '']));
  const [values, setValues] = useState<Record<string, string>>({ ...initial, reason: '' });
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>();
  const needsReason = props.reason !== false;

  const run = async () => {
    setBusy(true);
    setMessage(undefined);
    try {
      const done = await props.onSubmit(values);
      setMessage({ ok: true, text: done ?? 'Done.' });
      setValues({ ...initial, reason: '' });
    } catch (error) {
      setMessage({ ok: false, text: errorText(error) });
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };

  return (
    <form
      class="action"
      aria-labelledby={`${id}-t`}
      onSubmit={(event) => {
        event.preventDefault();
        if (props.destructive && !confirming) setConfirming(true);
        else void run();
      }}
    >
      <h3 id={`${id}-t`}>{props.title}</h3>
      {(props.fields ?? []).map((field) => (
        // biome-ignore lint/a11y/noLabelWithoutControl: the control is one of the four below
        <label key={field.name} class={field.type === 'checkbox' ? 'check' : undefined}>
          <span>{field.label}</span>
          {field.type === 'select' ? (
            <select
              name={field.name}
              value={values[field.name]}
              required={field.required}
              onChange={(e) => setValues({ ...values, [field.name]: e.currentTarget.value })}
            >
              {(field.options ?? []).map((o) => (
                <option key={o} value={o}>
                  {o === '' ? '(default)' : o}
                </option>
              ))}
            </select>
          ) : field.type === 'textarea' ? (
            <textarea
              name={field.name}
              rows={4}
              value={values[field.name]}
              required={field.required}
              onInput={(e) => setValues({ ...values, [field.name]: e.currentTarget.value })}
            />
          ) : field.type === 'checkbox' ? (
            <input
              type="checkbox"
              name={field.name}
              checked={values[field.name] === 'true'}
              onChange={(e) => setValues({ ...values, [field.name]: String(e.currentTarget.checked) })}
            />
          ) : (
            <input
              name={field.name}
              type={field.type ?? 'text'}
              value={values[field.name]}
              required={field.required}
              onInput={(e) => setValues({ ...values, [field.name]: e.currentTarget.value })}
            />
          )}
        </label>
      ))}
      {needsReason ? (
        <label>
          <span>Reason (recorded in the audit log)</span>
          <input
            name="reason"
            required
            minLength={3}
            maxLength={500}
            value={values.reason}
            onInput={(e) => setValues({ ...values, reason: e.currentTarget.value })}
          />
        </label>
      ) : null}
      {confirming ? (
        <div role="alertdialog" aria-labelledby={`${id}-c`} class="confirm">
          <p id={`${id}-c`}>{props.confirmText ?? `${props.title}: are you sure?`}</p>
          <button type="submit" class="danger" disabled={busy}>
            Confirm {props.submitLabel.toLowerCase()}
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      ) : (
        <button type="submit" class={props.destructive ? 'danger' : 'primary'} disabled={busy}>
          {props.submitLabel}
        </button>
      )}
      {message ? (
        <p role={message.ok ? 'status' : 'alert'} class={message.ok ? 'ok' : 'error'}>
          {message.text}
        </p>
      ) : null}
    </form>
  );
}

export function Section(props: { title: string; children: ComponentChildren }) {
  return (
    <section class="card">
      <h2>{props.title}</h2>
      {props.children}
    </section>
  );
}
