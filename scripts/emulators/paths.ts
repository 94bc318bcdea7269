import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file lives in `scripts/emulators/`). */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Where the local emulators live; all of it is git-ignored and rebuilt by `npm run emulators:install`. */
export const emulatorPaths = {
  venv: join(repoRoot, '.venv'),
  venvPython: join(repoRoot, '.venv', 'bin', 'python'),
  motoServer: join(repoRoot, '.venv', 'bin', 'moto_server'),
  /** Our launcher of moto's app, serialising DynamoDB requests (see the file). */
  motoLauncher: join(repoRoot, 'scripts', 'emulators', 'moto_server.py'),
  motoStamp: join(repoRoot, '.venv', '.plinth-install-stamp'),
  requirements: join(repoRoot, 'scripts', 'emulators', 'requirements.txt'),
  constraints: join(repoRoot, 'scripts', 'emulators', 'constraints.txt'),
  tools: join(repoRoot, '.tools'),
  toolsBin: join(repoRoot, '.tools', 'bin'),
  stripeMock: join(repoRoot, '.tools', 'bin', 'stripe-mock'),
  stripeMockStamp: join(repoRoot, '.tools', '.stripe-mock-stamp'),
  /** Held while one tool installs; each tool has its own so the two can install at once. */
  installLock: (name: string) => join(repoRoot, '.tools', `.install-lock-${name}`),
} as const;
