import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type EmulatorName, ensureEmulators, type Installer } from '../../scripts/emulators/install.ts';

/** A fake tool whose install waits until the test lets it finish, recording what happened when. */
function fakeInstaller(name: EmulatorName, dir: string, events: string[]) {
  let finish: (error?: Error) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    finish = (error) => (error ? reject(error) : resolve());
  });
  const installer: Installer = {
    label: name,
    stamp: join(dir, `${name}.stamp`),
    lock: join(dir, `${name}.lock`),
    fingerprint: async () => `${name}@1`,
    isUsable: async () => true,
    install: async () => {
      events.push(`start ${name}`);
      await done;
      events.push(`end ${name}`);
    },
  };
  return { installer, finish };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('ensureEmulators', () => {
  let dir: string;
  const events: string[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plinth-install-'));
    events.length = 0;
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('installs moto and stripe-mock at the same time', async () => {
    const moto = fakeInstaller('moto', dir, events);
    const stripeMock = fakeInstaller('stripe-mock', dir, events);
    const installers = { moto: moto.installer, 'stripe-mock': stripeMock.installer };

    const installing = ensureEmulators(['moto', 'stripe-mock'], { installers, log: () => undefined });
    await settle();
    const startedBeforeAnyEnded = [...events];
    moto.finish();
    stripeMock.finish();
    await installing;

    expect(startedBeforeAnyEnded.sort()).toEqual(['start moto', 'start stripe-mock']);
  });

  it('lets the other install finish and record its stamp when one fails', async () => {
    const moto = fakeInstaller('moto', dir, events);
    const stripeMock = fakeInstaller('stripe-mock', dir, events);
    const installers = { moto: moto.installer, 'stripe-mock': stripeMock.installer };

    const installing = ensureEmulators(['moto', 'stripe-mock'], { installers, log: () => undefined });
    const outcome = installing.then(
      () => 'resolved',
      (error: Error) => error.message,
    );
    await settle();
    moto.finish(new Error('pip failed'));
    await settle();
    stripeMock.finish();

    expect(await outcome).toBe('pip failed');
    expect(await readFile(stripeMock.installer.stamp, 'utf8')).toBe('stripe-mock@1\n');
  });
});

describe('the emulator venv', () => {
  const requirements = () =>
    readFile(new URL('../../scripts/emulators/requirements.txt', import.meta.url), 'utf8');
  const constraints = () =>
    readFile(new URL('../../scripts/emulators/constraints.txt', import.meta.url), 'utf8');

  it('installs moto without its every-service `server` extra', async () => {
    expect(await requirements()).toMatch(/^moto==\d+\.\d+\.\d+$/m);
    expect(await requirements()).not.toMatch(/^moto\[/m);
  });

  it('locks none of the heavy packages only other services need', async () => {
    const locked = (await constraints()).toLowerCase();

    for (const heavy of [
      'cfn-lint',
      'sympy',
      'networkx',
      'aws-xray-sdk',
      'openapi-spec-validator',
      'docker',
    ]) {
      expect(locked).not.toMatch(new RegExp(`^${heavy}==`, 'm'));
    }
  });
});
