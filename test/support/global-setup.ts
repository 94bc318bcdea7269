/**
 * vitest globalSetup of the `integration` and `e2e` projects: makes sure the emulators are installed
 * and runs ONE moto server for the whole run (shared by both projects), handing its endpoint to the
 * test files as `inject('motoEndpoint')`. Files isolate themselves by creating uniquely named
 * resources (see `createTestStack`), so they can run in parallel against the same moto.
 *
 * `PLINTH_TEST_MOTO_ENDPOINT=http://127.0.0.1:5010` reuses a moto that is already running (e.g. the
 * one `npm run dev` started) instead of starting one.
 */
import type { TestProject } from 'vitest/node';
import { ensureEmulators } from '../../scripts/emulators/install.ts';
import { type MotoServer, startMoto } from '../../scripts/emulators/moto.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The shared moto server of this test run, e.g. `http://127.0.0.1:40123`. */
    motoEndpoint: string;
  }
}

interface SharedMoto {
  readonly server: Promise<MotoServer>;
  users: number;
}

// Each project loads this file separately, but both run in the one vitest main process: share the
// server through a process-wide slot and stop it when the last project tears down.
const SLOT = Symbol.for('plinth.test.moto');
const slots = globalThis as typeof globalThis & { [SLOT]?: SharedMoto };

export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.PLINTH_TEST_MOTO_ENDPOINT;
  if (external) {
    project.provide('motoEndpoint', external.replace(/\/+$/, ''));
    return async () => undefined;
  }

  let shared = slots[SLOT];
  if (!shared) {
    const server = ensureEmulators(['moto']).then(() => startMoto());
    shared = { server, users: 0 };
    slots[SLOT] = shared;
    // A failed start must not be cached for the next project's attempt.
    server.catch(() => {
      if (slots[SLOT] === shared) delete slots[SLOT];
    });
  }
  shared.users += 1;
  const moto = await shared.server;
  project.provide('motoEndpoint', moto.endpoint);

  const owned = shared;
  return async () => {
    owned.users -= 1;
    if (owned.users > 0) return;
    if (slots[SLOT] === owned) delete slots[SLOT];
    await moto.stop();
  };
}
