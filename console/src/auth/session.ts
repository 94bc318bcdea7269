/**
 * The signed-in operator: tokens, who they are (from the access token's claims) and what their
 * operator roles allow (the API's own permission table, shared/admin/operators.ts). Keeps the
 * tokens fresh: refreshes a few minutes before the access token expires, and once more when the API
 * answers 401.
 */
import {
  type OperatorPermission,
  type OperatorRole,
  operatorMay,
  operatorRoles,
} from '../../../shared/admin/operators.ts';
import type { Cognito, Tokens } from './cognito.ts';

export type { OperatorPermission, OperatorRole };

/** Refresh this long before the access token expires. */
export const REFRESH_MARGIN_MS = 5 * 60_000;
const STORAGE_KEY = 'plinth-console-tokens';

export interface Identity {
  readonly userId: string;
  readonly username: string;
  readonly groups: readonly string[];
  readonly roles: readonly OperatorRole[];
}

/** The claims of a JWT's payload (not verified here: the API verifies every call). */
export function decodeClaims(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (!part) throw new Error('Not a JWT.');
  const base64 = part
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(part.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}

export function identityOf(tokens: Tokens): Identity {
  const claims = decodeClaims(tokens.accessToken);
  // The access token names the user by id; the ID token carries the email, to show who is signed in.
  const email = decodeClaims(tokens.idToken).email;
  const raw = claims['cognito:groups'];
  const groups = Array.isArray(raw) ? raw.filter((g): g is string => typeof g === 'string') : [];
  return {
    userId: String(claims.sub ?? ''),
    username: typeof email === 'string' ? email : String(claims.username ?? claims.sub ?? ''),
    groups,
    roles: operatorRoles.filter((role) => groups.includes(role)),
  };
}

export function may(identity: Identity, permission: OperatorPermission): boolean {
  return operatorMay(identity.roles, permission);
}

export interface SessionOptions {
  readonly cognito: Cognito;
  readonly storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  readonly now?: () => number;
  readonly setTimer?: (run: () => void, ms: number) => unknown;
  readonly clearTimer?: (timer: unknown) => void;
  /** Called when the session ends on its own (refresh refused). */
  readonly onExpired?: () => void;
}

export function createSession(options: SessionOptions) {
  const now = options.now ?? (() => Date.now());
  const setTimer = options.setTimer ?? ((run, ms) => setTimeout(run, ms));
  const clearTimer = options.clearTimer ?? ((timer) => clearTimeout(timer as ReturnType<typeof setTimeout>));
  let tokens: Tokens | undefined;
  let timer: unknown;
  let refreshing: Promise<Tokens | undefined> | undefined;

  function schedule() {
    if (timer !== undefined) clearTimer(timer);
    timer = undefined;
    if (!tokens) return;
    const wait = Math.max(0, tokens.expiresAt - REFRESH_MARGIN_MS - now());
    timer = setTimer(() => void refresh(), wait);
  }

  function set(next: Tokens | undefined) {
    tokens = next;
    if (next) options.storage?.setItem(STORAGE_KEY, JSON.stringify(next));
    else options.storage?.removeItem(STORAGE_KEY);
    schedule();
  }

  /** New tokens from the refresh token; on refusal the session ends. Concurrent callers share one call. */
  function refresh(): Promise<Tokens | undefined> {
    if (!tokens) return Promise.resolve(undefined);
    const current = tokens;
    refreshing ??= options.cognito
      .refresh(current.refreshToken)
      .then(
        (next) => {
          set(next);
          return next;
        },
        () => {
          set(undefined);
          options.onExpired?.();
          return undefined;
        },
      )
      .finally(() => {
        refreshing = undefined;
      });
    return refreshing;
  }

  return {
    /** Starts with the tokens kept from an earlier visit in this tab, if still refreshable. */
    restore(): Tokens | undefined {
      const kept = options.storage?.getItem(STORAGE_KEY);
      if (!kept) return undefined;
      try {
        const parsed = JSON.parse(kept) as Tokens;
        set(parsed);
        if (parsed.expiresAt - REFRESH_MARGIN_MS <= now()) void refresh();
        return parsed;
      } catch {
        set(undefined);
        return undefined;
      }
    },
    start(next: Tokens) {
      set(next);
    },
    end() {
      set(undefined);
    },
    accessToken: () => tokens?.accessToken,
    tokens: () => tokens,
    refresh,
  };
}

export type Session = ReturnType<typeof createSession>;
