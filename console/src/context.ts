import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Api } from './api/client.ts';
import type { Identity } from './auth/session.ts';

export interface ConsoleContext {
  readonly api: Api;
  readonly identity: Identity;
  /** Today (UTC), injectable for tests. */
  readonly today: () => string;
}

export const Console = createContext<ConsoleContext | undefined>(undefined);

export function useConsole(): ConsoleContext {
  const value = useContext(Console);
  if (!value) throw new Error('useConsole outside <Console.Provider>');
  return value;
}
