import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname } from 'node:path';

/** A port someone else already listens on; the message names the port and the env var that moves it. */
export class PortInUseError extends Error {
  readonly port: number;

  constructor(port: number, hint: string) {
    super(`Port ${port} is already in use. ${hint}`);
    this.name = 'PortInUseError';
    this.port = port;
  }
}

/** The emulator process exited or never answered. */
export class ServiceStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ServiceStartError';
  }
}

/** Resolves when `host:port` can be bound, rejects with {@link PortInUseError} otherwise. */
export function assertPortFree(host: string, port: number, hint: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, hint) : error);
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** A port the OS considers free right now (there is a small race until the service binds it). */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host, port: 0, exclusive: true }, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export interface ServiceOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Polled until it answers with any HTTP status below 500. */
  readonly readyUrl: string;
  readonly readyTimeoutMs?: number;
  /** Append the service's output to this file; otherwise only the last lines are kept for errors. */
  readonly logFile?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
}

export interface RunningService {
  readonly pid: number;
  /** Settles with a reason ("exited (code 1)") when the process ends, whoever ended it. */
  readonly exited: Promise<string>;
  /** Stops the process (SIGTERM, then SIGKILL after 3 s); resolves when it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts a long-running emulator process and waits until it answers HTTP. If it exits first, the
 * error carries the tail of its output (e.g. "Address already in use").
 */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const child = spawn(options.command, options.args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
  });
  const tail: string[] = [];
  const logStream = options.logFile ? await openLog(options.logFile) : undefined;
  const collect = (chunk: Buffer) => {
    logStream?.write(chunk);
    tail.push(...chunk.toString().split('\n').filter(Boolean));
    tail.splice(0, Math.max(0, tail.length - 20));
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const exited = new Promise<string>((resolve) => {
    child.once('error', (error) => resolve(`could not start: ${error.message}`));
    child.once('exit', (code, signal) => resolve(`exited (${signal ?? `code ${code}`})`));
  });
  const stop = () => stopChild(child, exited).finally(() => logStream?.end());

  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  const polling = new AbortController();
  let outcome: 'ready' | { reason: string };
  try {
    outcome = await Promise.race([
      waitForHttp(options.readyUrl, timeoutMs, polling.signal).then(() => 'ready' as const),
      exited.then((reason) => ({ reason })),
    ]);
  } catch (error) {
    await stop();
    throw error;
  } finally {
    polling.abort();
  }
  if (outcome !== 'ready') {
    await stop();
    const output = tail.length > 0 ? `\n${tail.join('\n')}` : '';
    throw new ServiceStartError(`${options.name} ${outcome.reason} before it answered.${output}`);
  }
  if (child.pid === undefined) throw new ServiceStartError(`${options.name} has no pid`);
  return { pid: child.pid, exited, stop };
}

async function openLog(path: string) {
  await mkdir(dirname(path), { recursive: true });
  return createWriteStream(path, { flags: 'a' });
}

async function stopChild(child: ChildProcess, exited: Promise<string>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}

async function waitForHttp(url: string, timeoutMs: number, cancelled: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline && !cancelled.aborted) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.status < 500) return;
      lastError = new Error(`HTTP ${response.status}`);
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new ServiceStartError(`${url} did not answer within ${timeoutMs} ms`, { cause: lastError });
}
