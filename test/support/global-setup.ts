/**
 * vitest globalSetup of the `integration` and `e2e` projects: makes sure the emulators are installed
 * and runs ONE moto server and ONE stripe-mock for the whole run (shared by both projects), handing
 * their endpoints to the test files as `inject('motoEndpoint')` and `inject('stripeMockEndpoint')`.
 * Files isolate themselves by creating uniquely named resources (see `createTestStack`), so they can
 * run in parallel against the same moto; stripe-mock keeps no state at all.
 *
 * `PLINTH_TEST_MOTO_ENDPOINT=http://127.0.0.1:5010` and `PLINTH_TEST_STRIPE_MOCK_ENDPOINT=http://127.0.0.1:12111`
 * reuse emulators that are already running (e.g. the ones `npm run dev` started) instead of starting them.
 */
import type { TestProject } from 'vitest/node';
import { type EmulatorName, ensureEmulators } from '../../scripts/emulators/install.ts';
import { startMoto } from '../../scripts/emulators/moto.ts';
import { startStripeMock } from '../../scripts/emulators/stripe-mock.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The shared moto server of this test run, e.g. `http://127.0.0.1:40123`. */
    motoEndpoint: string;
    /** The shared stripe-mock of this test run, e.g. `http://127.0.0.1:40124`. */
    stripeMockEndpoint: string;
  }
}

interface RunningEmulator {
  readonly endpoint: string;
  stop(): Promise<void>;
}

interface SharedEmulators {
  readonly started: Promise<{ moto: RunningEmulator; stripeMock: RunningEmulator }>;
  users: number;
}

const external = (value: string | undefined): RunningEmulator | undefined =>
  value ? { endpoint: value.replace(/\/+$/, ''), stop: async () => undefined } : undefined;

async function startEmulators(): Promise<{ moto: RunningEmulator; stripeMock: RunningEmulator }> {
  const givenMoto = external(process.env.PLINTH_TEST_MOTO_ENDPOINT);
  const givenStripeMock = external(process.env.PLINTH_TEST_STRIPE_MOCK_ENDPOINT);
  const toInstall: EmulatorName[] = [
    ...(givenMoto ? [] : (['moto'] as const)),
    ...(givenStripeMock ? [] : (['stripe-mock'] as const)),
  ];
  await ensureEmulators(toInstall);
  const [moto, stripeMock] = await Promise.allSettled([
    givenMoto ? Promise.resolve(givenMoto) : startMoto(),
    givenStripeMock ? Promise.resolve(givenStripeMock) : startStripeMock(),
  ]);
  if (moto.status === 'rejected' || stripeMock.status === 'rejected') {
    // Stop whichever did start, so a failed run leaves no process behind.
    await Promise.all([moto, stripeMock].map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    throw moto.status === 'rejected' ? moto.reason : (stripeMock as PromiseRejectedResult).reason;
  }
  return { moto: moto.value, stripeMock: stripeMock.value };
}

// Each project loads this file separately, but both run in the one vitest main process: share the
// emulators through a process-wide slot and stop them when the last project tears down.
const SLOT = Symbol.for('plinth.test.emulators');
const slots = globalThis as typeof globalThis & { [SLOT]?: SharedEmulators };

export async function setup(project: TestProject): Promise<() => Promise<void>> {
  let shared = slots[SLOT];
  if (!shared) {
    const started = startEmulators();
    shared = { started, users: 0 };
    slots[SLOT] = shared;
    // A failed start must not be cached for the next project's attempt.
    started.catch(() => {
      if (slots[SLOT] === shared) delete slots[SLOT];
    });
  }
  shared.users += 1;
  const { moto, stripeMock } = await shared.started;
  project.provide('motoEndpoint', moto.endpoint);
  project.provide('stripeMockEndpoint', stripeMock.endpoint);

  const owned = shared;
  return async () => {
    owned.users -= 1;
    if (owned.users > 0) return;
    if (slots[SLOT] === owned) delete slots[SLOT];
    await Promise.all([moto.stop(), stripeMock.stop()]);
  };
}
