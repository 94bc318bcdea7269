/**
 * Installs the local emulators, pinned, from the package registries only:
 * - moto (AWS) into `.venv/` with `python3 -m venv` + pip, from requirements.txt/constraints.txt;
 * - stripe-mock into `.tools/bin/` with `go install <module>@<version>`.
 *
 * The two install side by side (pip mostly waits on downloads, go on compiling), which is most of a
 * first run's setup time on empty caches. Idempotent and fast when nothing changed: each tool writes
 * a stamp (a hash of what it was installed from) and is skipped while the stamp matches. Concurrent
 * installers of one tool (two terminals, two vitest projects) serialise on that tool's lock directory.
 *
 * CLI: `npm run emulators:install [-- moto|stripe-mock ...] [--force]` (default: every tool).
 * Env: `PLINTH_PYTHON` (default `python3`), `PLINTH_GO` (default `go`).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { setPriority } from 'node:os';
import { dirname, join } from 'node:path';
import { emulatorPaths } from './paths.ts';

export const MOTO_VERSION = '5.2.1';
export const STRIPE_MOCK_MODULE = 'github.com/stripe/stripe-mock';
export const STRIPE_MOCK_VERSION = 'v0.203.0';
/** networkx and other locked dependencies need 3.11; moto itself needs 3.9. */
const MIN_PYTHON: readonly [number, number] = [3, 11];

export const emulatorNames = ['moto', 'stripe-mock'] as const;
export type EmulatorName = (typeof emulatorNames)[number];

export interface EnsureOptions {
  /** Reinstall even when the stamp matches. */
  readonly force?: boolean;
  /** Progress lines; default `console.log`. */
  readonly log?: (line: string) => void;
  /** The tools to install; default the real ones (tests pass fakes). */
  readonly installers?: Readonly<Record<EmulatorName, Installer>>;
}

/** An installer step failed; the message says what to install or change. */
export class EmulatorInstallError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmulatorInstallError';
  }
}

/** How one tool is installed, checked and recorded. */
export interface Installer {
  readonly label: string;
  /** File holding the fingerprint of the current installation. */
  readonly stamp: string;
  /** Directory held while installing, so two processes never install the tool at once. */
  readonly lock: string;
  /** What the installation is made from; a change triggers a reinstall. */
  fingerprint(): Promise<string>;
  /** Cheap check that the installed tool is still usable. */
  isUsable(): Promise<boolean>;
  install(log: (line: string) => void): Promise<void>;
}

const installers: Record<EmulatorName, Installer> = {
  moto: {
    label: `moto ${MOTO_VERSION}`,
    stamp: emulatorPaths.motoStamp,
    lock: emulatorPaths.installLock('moto'),
    async fingerprint() {
      const hash = createHash('sha256');
      hash.update(await readFile(emulatorPaths.requirements));
      hash.update(await readFile(emulatorPaths.constraints));
      return hash.digest('hex');
    },
    async isUsable() {
      return (
        (await exists(emulatorPaths.motoServer)) && (await succeeds(emulatorPaths.venvPython, ['-c', '']))
      );
    },
    async install(log) {
      const python = process.env.PLINTH_PYTHON || 'python3';
      await assertPythonVersion(python);
      // Always from scratch: pip never removes what an older requirements.txt installed (the venv
      // would keep growing), and a venv whose interpreter was upgraded away is broken anyway.
      await rm(emulatorPaths.venv, { recursive: true, force: true });
      log(`creating ${emulatorPaths.venv}`);
      await run(python, ['-m', 'venv', emulatorPaths.venv], `${python} -m venv`);
      log(`pip install -r ${emulatorPaths.requirements}`);
      await run(
        emulatorPaths.venvPython,
        [
          '-m',
          'pip',
          'install',
          '--disable-pip-version-check',
          '--no-input',
          '--quiet',
          // Byte-compiling all of moto (~1,000 service modules) costs seconds; Python compiles the
          // few the server imports on first use instead.
          '--no-compile',
          '-r',
          emulatorPaths.requirements,
        ],
        'pip install',
      );
    },
  },
  'stripe-mock': {
    label: `stripe-mock ${STRIPE_MOCK_VERSION}`,
    stamp: emulatorPaths.stripeMockStamp,
    lock: emulatorPaths.installLock('stripe-mock'),
    async fingerprint() {
      return `${STRIPE_MOCK_MODULE}@${STRIPE_MOCK_VERSION}`;
    },
    async isUsable() {
      return exists(emulatorPaths.stripeMock);
    },
    async install(log) {
      const go = process.env.PLINTH_GO || 'go';
      log(`go install ${STRIPE_MOCK_MODULE}@${STRIPE_MOCK_VERSION} (GOBIN=${emulatorPaths.toolsBin})`);
      await run(go, ['install', `${STRIPE_MOCK_MODULE}@${STRIPE_MOCK_VERSION}`], 'go install', {
        env: { ...process.env, GOBIN: emulatorPaths.toolsBin, GOFLAGS: '-mod=mod' },
        yieldCpu: true,
      });
    },
  },
};

const inFlight = new Map<EmulatorName, Promise<void>>();

/**
 * Installs the named emulators unless their stamps say they are current. Safe to call from several
 * places at once (dev script, each vitest project's global setup).
 */
export async function ensureEmulators(
  names: readonly EmulatorName[] = emulatorNames,
  options: EnsureOptions = {},
): Promise<void> {
  const pending = names.map((name) => {
    let one = inFlight.get(name);
    if (!one) {
      one = ensureOne(name, options).finally(() => inFlight.delete(name));
      inFlight.set(name, one);
    }
    return one;
  });
  // Wait for every install (a failed one must not leave the other running unobserved), then fail.
  const results = await Promise.allSettled(pending);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
}

async function ensureOne(name: EmulatorName, options: EnsureOptions): Promise<void> {
  const installer = (options.installers ?? installers)[name];
  const log = options.log ?? ((line: string) => console.log(line));
  const fingerprint = await installer.fingerprint();
  const isCurrent = async () =>
    !options.force && (await readStamp(installer.stamp)) === fingerprint && (await installer.isUsable());

  if (await isCurrent()) return;
  const release = await acquireLock(installer.lock, name, log);
  try {
    if (await isCurrent()) return; // another process installed it while we waited
    log(`installing ${installer.label}…`);
    const started = Date.now();
    await rm(installer.stamp, { force: true });
    await installer.install(log);
    await writeFile(installer.stamp, `${fingerprint}\n`);
    log(`installed ${installer.label} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await release();
  }
}

async function readStamp(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Runs a command quietly and reports whether it exited 0 (false when it cannot start at all). */
function succeeds(command: string, args: readonly string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  });
}

/** `nice` level of the stripe-mock build: see {@link run}'s `yieldCpu`. */
const BUILD_NICENESS = 10;

/**
 * Runs a command; `yieldCpu` lowers its priority. On a first run the moto venv is the critical
 * path (`npm run dev` serves the API once moto is up, without waiting for stripe-mock), so the Go
 * build of stripe-mock (~37 CPU s) yields the CPU to pip and to the API's start.
 */
function run(
  command: string,
  args: readonly string[],
  what: string,
  options: { env?: NodeJS.ProcessEnv; yieldCpu?: boolean } = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: options.env ?? process.env,
    });
    if (options.yieldCpu && child.pid !== undefined) {
      try {
        setPriority(child.pid, BUILD_NICENESS);
      } catch {
        // Not allowed here (some containers): it only costs time.
      }
    }
    child.on('error', (error: NodeJS.ErrnoException) => {
      const hint =
        error.code === 'ENOENT'
          ? ` "${command}" was not found on PATH; install it (or point PLINTH_PYTHON / PLINTH_GO at it).`
          : '';
      reject(new EmulatorInstallError(`${what} could not start.${hint}`, { cause: error }));
    });
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new EmulatorInstallError(
            `${what} failed (${signal ?? `exit code ${code}`}); see the output above.`,
          ),
        );
    });
  });
}

async function assertPythonVersion(python: string): Promise<void> {
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    child.on('error', (error) =>
      reject(
        new EmulatorInstallError(
          `"${python}" was not found: install Python ${MIN_PYTHON.join('.')}+ or set PLINTH_PYTHON.`,
          { cause: error },
        ),
      ),
    );
    child.on('exit', () => resolve(text.trim()));
  });
  const [major = 0, minor = 0] = output.split('.').map(Number);
  if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
    throw new EmulatorInstallError(
      `${python} is Python ${output || 'unknown'}; the emulators need ${MIN_PYTHON.join('.')}+ (set PLINTH_PYTHON to another interpreter).`,
    );
  }
}

/** One lock directory per tool, shared by every installer process; a dead process's lock is taken over. */
async function acquireLock(
  dir: string,
  name: EmulatorName,
  log: (line: string) => void,
): Promise<() => Promise<void>> {
  const ownerFile = join(dir, 'pid');
  await mkdir(dirname(dir), { recursive: true });
  const deadline = Date.now() + 15 * 60_000;
  let announced = false;
  for (;;) {
    try {
      await mkdir(dir);
      await writeFile(ownerFile, String(process.pid));
      return () => rm(dir, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number((await readStamp(ownerFile)) ?? Number.NaN);
    if (Number.isInteger(owner) && !isAlive(owner)) {
      await rm(dir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new EmulatorInstallError(
        `Timed out waiting for another installer (lock ${dir}); remove it if stale.`,
      );
    }
    if (!announced) {
      log(`waiting for another install of ${name} to finish (${dir})…`);
      announced = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseArgs(argv: readonly string[]): { names: EmulatorName[]; force: boolean } {
  const force = argv.includes('--force');
  const names: EmulatorName[] = [];
  for (const arg of argv) {
    if (arg === '--force') continue;
    const name = emulatorNames.find((n) => n === arg);
    if (!name)
      throw new EmulatorInstallError(`Unknown emulator "${arg}"; expected ${emulatorNames.join(', ')}.`);
    names.push(name);
  }
  return { names: names.length > 0 ? names : [...emulatorNames], force };
}

if (import.meta.main) {
  try {
    const { names, force } = parseArgs(process.argv.slice(2));
    await ensureEmulators(names, { force });
    console.log(`emulators ready: ${names.join(', ')}`);
  } catch (error) {
    console.error(error instanceof EmulatorInstallError ? error.message : error);
    process.exitCode = 1;
  }
}
