import { emulatorPaths } from './paths.ts';
import { assertPortFree, findFreePort, startService } from './service.ts';

/** stripe-mock's own default port. */
export const DEFAULT_STRIPE_MOCK_PORT = 12111;
export const STRIPE_MOCK_PORT_ENV = 'PLINTH_STRIPE_MOCK_PORT';

export interface StripeMockServer {
  /** e.g. `http://127.0.0.1:12111`; stripe-node takes it as `host`/`port`/`protocol: 'http'`. */
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Starts `.tools/bin/stripe-mock` (installed by `npm run emulators:install`) over plain HTTP and
 * resolves once it answers. `npm run dev` and the test global setup start one each.
 */
export async function startStripeMock(
  options: { port?: number | undefined; host?: string } = {},
): Promise<StripeMockServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port || (await findFreePort(host));
  await assertPortFree(host, port, `Choose another port with ${STRIPE_MOCK_PORT_ENV}=<port>.`);
  const endpoint = `http://${host}:${port}`;
  const service = await startService({
    name: `stripe-mock on ${endpoint}`,
    command: emulatorPaths.stripeMock,
    // stripe-mock also opens HTTPS on 12112 unless told otherwise (`-http-addr` does not turn it off,
    // unlike `-http-port`); an empty port lets the system choose, so two runs never clash there.
    args: ['-http-addr', `${host}:${port}`, '-https-addr', `${host}:`],
    // Any answer will do (stripe-mock says 401 without an API key).
    readyUrl: `${endpoint}/v1/customers`,
  });
  return { endpoint, port, stop: service.stop };
}
