import { emulatorPaths } from './paths.ts';
import { assertPortFree, findFreePort, PortInUseError, ServiceStartError, startService } from './service.ts';

/** `npm run dev` puts moto here unless `PLINTH_MOTO_PORT` says otherwise (5000 clashes with macOS AirPlay). */
export const DEFAULT_MOTO_PORT = 5010;
export const MOTO_PORT_ENV = 'PLINTH_MOTO_PORT';

export interface MotoOptions {
  /** A fixed port, or 0 / undefined for any free one. */
  readonly port?: number | undefined;
  readonly host?: string;
  /** Append moto's request log here; by default it is discarded. */
  readonly logFile?: string | undefined;
}

export interface MotoServer {
  /** e.g. `http://127.0.0.1:5010`; give it to every AWS SDK client as `endpoint` / `AWS_ENDPOINT_URL`. */
  readonly endpoint: string;
  readonly port: number;
  /** Settles when the process ends (stopped or crashed), with a reason. */
  readonly exited: Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts moto's server from the project venv (run `npm run emulators:install` first) through
 * `moto_server.py`, which applies DynamoDB requests one at a time as DynamoDB's own conflict
 * handling would, and resolves once it answers.
 * A fixed port that is taken fails at once with {@link PortInUseError}.
 */
export async function startMoto(options: MotoOptions = {}): Promise<MotoServer> {
  const host = options.host ?? '127.0.0.1';
  const fixedPort = options.port !== undefined && options.port !== 0 ? options.port : undefined;
  const hint = `Is another moto or \`npm run dev\` running? Choose another port with ${MOTO_PORT_ENV}=<port>.`;

  // A free port can be taken between the probe and moto binding it; try a few before giving up.
  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ?? (await findFreePort(host));
    await assertPortFree(host, port, hint);
    const endpoint = `http://${host}:${port}`;
    try {
      const service = await startService({
        name: `moto_server on ${endpoint}`,
        command: emulatorPaths.venvPython,
        args: [emulatorPaths.motoLauncher, '-H', host, '-p', String(port)],
        readyUrl: `${endpoint}/moto-api/`,
        logFile: options.logFile,
        // Unbuffered so the log file and error tails are current.
        env: { ...process.env, PYTHONUNBUFFERED: '1' },
      });
      return { endpoint, port, exited: service.exited, stop: service.stop };
    } catch (error) {
      const clash = error instanceof ServiceStartError && /address already in use/i.test(error.message);
      if (clash && fixedPort !== undefined) throw new PortInUseError(port, hint);
      if (!clash || attempt >= 3) throw withInstallHint(error);
    }
  }
}

function withInstallHint(error: unknown): unknown {
  if (error instanceof ServiceStartError && /ENOENT|could not start/.test(error.message)) {
    return new ServiceStartError(`${error.message}\nRun \`npm run emulators:install\` first.`, {
      cause: error,
    });
  }
  return error;
}

/** Empties every moto backend (all services, all regions). */
export async function resetMoto(endpoint: string): Promise<void> {
  const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
}

/** moto's view of every backend's state (used to read back sent SES mail, for example). */
export async function readMotoData(endpoint: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${endpoint}/moto-api/data.json`);
  if (!response.ok) throw new Error(`moto data.json failed: HTTP ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}
