import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventRunner } from './runner.ts';

/**
 * A control endpoint of the running `npm run dev` stack, on 127.0.0.1 only, for what a separate
 * command cannot do by itself: run a schedule of `busDefinition` inside the process that owns the
 * event runner. `POST /schedules/<name>?time=<ISO>` drains the stream and the rule queues first
 * (so what the webhooks wrote is in), runs the schedule's target at that time, then drains again.
 */
export interface ControlServer {
  readonly url: string;
  close(): Promise<void>;
}

function reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export async function startControlServer(options: {
  readonly runner: Pick<EventRunner, 'drain' | 'triggerSchedule'>;
  readonly log?: (line: string) => void;
}): Promise<ControlServer> {
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const match = /^\/schedules\/([a-z0-9-]+)$/.exec(url.pathname);
    if (req.method !== 'POST' || !match?.[1])
      return reply(res, 404, { error: 'POST /schedules/<name>?time=<ISO>' });
    const time = url.searchParams.get('time') ?? new Date().toISOString();
    if (Number.isNaN(Date.parse(time))) return reply(res, 400, { error: `not an ISO time: ${time}` });
    const iso = new Date(time).toISOString();
    try {
      await options.runner.drain();
      await options.runner.triggerSchedule(match[1], iso);
      await options.runner.drain();
      options.log?.(`schedule ${match[1]} ran for ${iso} on request`);
      return reply(res, 200, { schedule: match[1], time: iso });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return reply(res, message.startsWith('No schedule named') ? 404 : 500, { error: message });
    }
  };
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Asks the running stack's control endpoint to run a schedule; throws with its message on failure. */
export async function runScheduleAt(
  controlUrl: string,
  name: string,
  time?: string,
): Promise<{ schedule: string; time: string }> {
  const query = time ? `?time=${encodeURIComponent(time)}` : '';
  const response = await fetch(`${controlUrl}/schedules/${encodeURIComponent(name)}${query}`, {
    method: 'POST',
  });
  const body = (await response.json()) as { schedule: string; time: string; error?: string };
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body;
}
