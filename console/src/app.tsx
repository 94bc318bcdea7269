/**
 * The console's shell: sign-in (password, then the authenticator-app code when the account has
 * MFA), the operator check (platform-admin, support or finance group; anyone else is refused),
 * navigation, and the views. Routes live in the URL's hash (`#/tenants/<id>`), so the static host
 * needs no rewrite rules and a reload keeps the place.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { type Api, createApi } from './api/client.ts';
import { type Cognito, CognitoError, type Tokens } from './auth/cognito.ts';
import { type Identity, identityOf, may, type Session } from './auth/session.ts';
import { Console } from './context.ts';
import { useRoute } from './hooks.ts';
import { Search, TenantDetail, UserDetail } from './views/accounts.tsx';
import { Announcements } from './views/announcements.tsx';
import { Dashboard } from './views/dashboard.tsx';
import { Health } from './views/health.tsx';
import { Impersonations } from './views/impersonations.tsx';
import { Inbox, Ticket } from './views/support.tsx';

export interface AppProps {
  readonly cognito: Cognito;
  readonly session: Session;
  readonly apiUrl: string;
  readonly fetch?: typeof fetch;
  readonly today?: () => string;
}

export const NOT_AN_OPERATOR =
  'This console is for Plinth operators (platform-admin, support or finance). Your account is not one: ask a platform admin if you need access.';

export function App(props: AppProps) {
  const [identity, setIdentity] = useState<Identity | undefined>(() => {
    const kept = props.session.restore();
    const who = kept ? identityOf(kept) : undefined;
    return who && who.roles.length > 0 ? who : undefined;
  });
  const [notice, setNotice] = useState<string>();
  const api = useMemo<Api>(
    () =>
      createApi({
        baseUrl: props.apiUrl,
        accessToken: props.session.accessToken,
        refresh: props.session.refresh,
        ...(props.fetch ? { fetch: props.fetch } : {}),
      }),
    [props.apiUrl, props.session, props.fetch],
  );

  const signedIn = (tokens: Tokens) => {
    const who = identityOf(tokens);
    if (who.roles.length === 0) {
      props.session.end();
      setNotice(NOT_AN_OPERATOR);
      return;
    }
    props.session.start(tokens);
    setNotice(undefined);
    setIdentity(who);
  };
  const signOut = (why?: string) => {
    props.session.end();
    setIdentity(undefined);
    setNotice(why);
  };

  if (!identity) return <SignIn cognito={props.cognito} onTokens={signedIn} notice={notice} />;
  return (
    <Console.Provider
      value={{ api, identity, today: props.today ?? (() => new Date().toISOString().slice(0, 10)) }}
    >
      <Shell identity={identity} onSignOut={() => signOut('You are signed out.')} />
    </Console.Provider>
  );
}

const nav = [
  { path: 'dashboard', label: 'Dashboard', permission: 'metrics:read' },
  { path: 'tenants', label: 'Tenants and users', permission: 'admin:read' },
  { path: 'impersonations', label: 'Impersonation', permission: 'admin:read' },
  { path: 'support', label: 'Support inbox', permission: 'admin:read' },
  { path: 'announcements', label: 'Announcements', permission: 'admin:read' },
  { path: 'health', label: 'Health', permission: 'admin:read' },
] as const;

function Shell(props: { identity: Identity; onSignOut: () => void }) {
  const route = useRoute();
  const allowed = nav.filter((n) => may(props.identity, n.permission));
  const [first, second] = route;
  const current = allowed.find((n) => n.path === first) ?? allowed[0];
  useEffect(() => {
    document.title = `${current?.label ?? 'Console'} · Plinth console`;
  }, [current]);
  let view = <p>Your operator role gives no view here.</p>;
  if (first === 'tenants' && second) view = <TenantDetail tenantId={second} />;
  else if (first === 'users' && second) view = <UserDetail userId={second} />;
  else if (first === 'support' && second) view = <Ticket ticketId={second} />;
  else if (first === 'tenants' || first === 'users') view = <Search />;
  else if (current?.path === 'impersonations') view = <Impersonations />;
  else if (current?.path === 'support') view = <Inbox />;
  else if (current?.path === 'announcements') view = <Announcements />;
  else if (current?.path === 'health') view = <Health />;
  else if (current?.path === 'tenants') view = <Search />;
  else if (current?.path === 'dashboard') view = <Dashboard />;
  return (
    <div class="shell">
      <button type="button" class="skip" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <span class="brand">Plinth console</span>
        <nav aria-label="Main">
          <ul>
            {allowed.map((n) => (
              <li key={n.path}>
                <a href={`#/${n.path}`} aria-current={n === current ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span>
            {props.identity.username} ({props.identity.roles.join(', ')})
          </span>
          <button type="button" onClick={props.onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {view}
      </main>
    </div>
  );
}

function SignIn(props: {
  cognito: Cognito;
  onTokens: (tokens: Tokens) => void;
  notice?: string | undefined;
}) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [mfa, setMfa] = useState<string>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      if (mfa) {
        props.onTokens(await props.cognito.answerMfa(email, mfa, code.trim()));
        return;
      }
      const step = await props.cognito.signIn(email.trim(), password);
      if (step.kind === 'mfa') setMfa(step.session);
      else props.onTokens(step.tokens);
    } catch (caught) {
      if (caught instanceof CognitoError && caught.type === 'NotAuthorizedException' && mfa)
        setMfa(undefined);
      setError(
        caught instanceof CognitoError && caught.type === 'CodeMismatchException'
          ? 'That code is not right: enter the current code from your authenticator app.'
          : caught instanceof CognitoError && caught.type === 'NotAuthorizedException'
            ? 'Wrong email or password (or the account is disabled).'
            : caught instanceof Error
              ? caught.message
              : String(caught),
      );
    } finally {
      setBusy(false);
      setCode('');
    }
  };

  return (
    <main class="sign-in">
      <h1>Plinth console</h1>
      {props.notice ? (
        <p role="alert" class={props.notice.startsWith('This console') ? 'error' : 'ok'}>
          {props.notice}
        </p>
      ) : null}
      <form onSubmit={submit} aria-label="Sign in">
        {mfa ? (
          <label>
            <span>Code from your authenticator app</span>
            <input
              name="code"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]{6}"
              required
              value={code}
              onInput={(e) => setCode(e.currentTarget.value)}
            />
          </label>
        ) : (
          <>
            <label>
              <span>Email</span>
              <input
                name="email"
                type="email"
                autoComplete="username"
                required
                value={email}
                onInput={(e) => setEmail(e.currentTarget.value)}
              />
            </label>
            <label>
              <span>Password</span>
              <input
                name="password"
                type="password"
                autoComplete="current-password"
                required
                value={password}
                onInput={(e) => setPassword(e.currentTarget.value)}
              />
            </label>
          </>
        )}
        {error ? (
          <p role="alert" class="error">
            {error}
          </p>
        ) : null}
        <button type="submit" class="primary" disabled={busy}>
          {mfa ? 'Verify' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
