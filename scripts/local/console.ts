/**
 * The admin console (console/) on the local API's origin, as CloudFront serves it in AWS:
 * - `GET /console/config.json`: the runtime configuration the console reads at start (the Cognito
 *   ids; in AWS the CDK stack writes the same file at deploy time, so one build serves every stage);
 * - `GET /console/...`: the built files of `console/dist`, `index.html` for any other path under it
 *   (the app routes in the URL's hash, so that is only a friendly fallback);
 * - `POST /console/cognito`: a pass-through to the emulator's Cognito API, which sends no CORS
 *   headers; in AWS the console calls `cognito-idp.<region>.amazonaws.com` directly, which does.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

/** Where the console is served locally. */
export const CONSOLE_PATH = '/console';
const COGNITO_PROXY_PATH = `${CONSOLE_PATH}/cognito`;
/** Cognito's requests are small; anything larger is refused before it is read. */
const MAX_COGNITO_BODY_BYTES = 64 * 1024;

/** `config.json`: what the console needs to sign in. The CDK stack writes the same shape. */
export interface ConsoleConfig {
  readonly region: string;
  readonly userPoolId: string;
  readonly clientId: string;
  /** Cognito's API endpoint (the console POSTs its JSON-1.1 calls there). */
  readonly cognitoEndpoint: string;
}

export interface ConsoleOptions {
  /** The built console (`console/dist`). */
  readonly dir: string;
  readonly region: string;
  readonly userPoolId: string;
  readonly clientId: string;
  /** The emulator's endpoint, which `/console/cognito` forwards to. */
  readonly cognitoEndpoint: string;
}

export interface ConsoleReply {
  readonly status: number;
  readonly headers: OutgoingHttpHeaders;
  readonly body?: string | Buffer;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
};

/**
 * The security headers CloudFront adds in front of the deployed console, with its content security
 * policy (only this origin's scripts, styles and connections; locally Cognito is on this origin
 * too), so the browser tests catch anything the policy would block in AWS.
 */
const securityHeaders: OutgoingHttpHeaders = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join('; '),
};

/** Answers the console's paths; `undefined` for any other path (the API's). */
export function createConsoleHandler(options: ConsoleOptions) {
  const root = normalize(options.dir);
  const config: ConsoleConfig = {
    region: options.region,
    userPoolId: options.userPoolId,
    clientId: options.clientId,
    cognitoEndpoint: COGNITO_PROXY_PATH,
  };

  async function file(relative: string): Promise<ConsoleReply | undefined> {
    const path = normalize(join(root, relative));
    if (path !== root && !path.startsWith(root + sep)) return undefined;
    try {
      const body = await readFile(path);
      return {
        status: 200,
        headers: {
          ...securityHeaders,
          'content-type': contentTypes[extname(path)] ?? 'application/octet-stream',
          // Vite names assets by content hash; index.html must be revalidated.
          'cache-control': relative.startsWith('assets/')
            ? 'public, max-age=31536000, immutable'
            : 'no-cache',
        },
        body,
      };
    } catch {
      return undefined;
    }
  }

  async function proxyCognito(req: IncomingMessage): Promise<ConsoleReply> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_COGNITO_BODY_BYTES) return { status: 413, headers: {}, body: '' };
      chunks.push(chunk);
    }
    const target = req.headers['x-amz-target'];
    const response = await fetch(`${options.cognitoEndpoint}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        ...(typeof target === 'string' ? { 'x-amz-target': target } : {}),
      },
      body: Buffer.concat(chunks),
    });
    return {
      status: response.status,
      headers: { 'content-type': response.headers.get('content-type') ?? 'application/x-amz-json-1.1' },
      body: Buffer.from(await response.arrayBuffer()),
    };
  }

  return async function handle(req: IncomingMessage, rawPath: string): Promise<ConsoleReply | undefined> {
    const method = req.method ?? 'GET';
    if (rawPath === COGNITO_PROXY_PATH && method === 'POST') return proxyCognito(req);
    if (rawPath !== CONSOLE_PATH && !rawPath.startsWith(`${CONSOLE_PATH}/`)) return undefined;
    if (method !== 'GET' && method !== 'HEAD') return undefined;
    if (rawPath === CONSOLE_PATH) return { status: 308, headers: { location: `${CONSOLE_PATH}/` } };
    const relative = decodeURIComponent(rawPath.slice(CONSOLE_PATH.length + 1));
    if (relative === 'config.json') {
      return {
        status: 200,
        headers: { ...securityHeaders, 'content-type': 'application/json', 'cache-control': 'no-cache' },
        body: JSON.stringify(config),
      };
    }
    const found = relative === '' ? undefined : await file(relative);
    if (found) return found;
    // Unknown assets are 404s; any other path is the app's (index.html).
    if (relative.startsWith('assets/')) return { status: 404, headers: {}, body: '' };
    return (
      (await file('index.html')) ?? {
        status: 503,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: 'The console is not built: run `npm run console:build`.',
      }
    );
  };
}
