import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, startLocalServer } from '../../scripts/local/server.ts';

/**
 * How `npm run dev` serves the admin console on the API's origin (scripts/local/console.ts): its
 * config.json, its files with an index.html fallback, and the Cognito pass-through. A stand-in
 * Cognito echoes what it was sent; no route runs a function.
 */

let dir: string;
let cognito: Server;
let server: LocalServer;
const received: { target: string | undefined; body: string }[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plinth-console-dist-'));
  await mkdir(join(dir, 'assets'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>console</title>');
  await writeFile(join(dir, 'assets', 'app-1234.js'), 'console.log(1)');
  cognito = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({ target: req.headers['x-amz-target'] as string | undefined, body });
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(
        JSON.stringify({ __type: 'NotAuthorizedException', message: 'Incorrect username or password.' }),
      );
    });
  });
  await new Promise<void>((resolve) => cognito.listen(0, '127.0.0.1', resolve));
  server = await startLocalServer({
    region: 'us-east-1',
    userPoolId: 'us-east-1_pool',
    clientId: 'client-1',
    cognitoEndpoint: `http://127.0.0.1:${(cognito.address() as AddressInfo).port}`,
    routes: [],
    console: { dir },
  });
});

afterAll(async () => {
  await server?.close();
  cognito?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the console on the local API’s origin', () => {
  it('serves config.json with the pool, the client and the same-origin Cognito pass-through', async () => {
    const response = await fetch(`${server.url}/console/config.json`);
    expect(await response.json()).toEqual({
      region: 'us-east-1',
      userPoolId: 'us-east-1_pool',
      clientId: 'client-1',
      cognitoEndpoint: '/console/cognito',
    });
  });

  it('serves the built files, and index.html for the app’s other paths', async () => {
    const asset = await fetch(`${server.url}/console/assets/app-1234.js`);
    expect([asset.status, asset.headers.get('content-type'), await asset.text()]).toEqual([
      200,
      'text/javascript; charset=utf-8',
      'console.log(1)',
    ]);
    const page = await fetch(`${server.url}/console/tenants/t-1`);
    expect(await page.text()).toContain('<title>console</title>');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('answers 404 for a missing asset rather than the app', async () => {
    expect((await fetch(`${server.url}/console/assets/gone.js`)).status).toBe(404);
  });

  it('never serves a file outside the build', async () => {
    // Sent as is (fetch would normalise the dots away before sending).
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(`${server.url}/console/..%2f..%2fpackage.json`, (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    expect(body).not.toContain('"name"');
    expect(body).toContain('<title>console</title>');
  });

  it('passes Cognito calls through with their target and answers Cognito’s answer', async () => {
    const body = JSON.stringify({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: 'client-1' });
    const response = await fetch(`${server.url}/console/cognito`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth',
      },
      body,
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { __type: string }).__type).toBe('NotAuthorizedException');
    expect(received.at(-1)).toEqual({ target: 'AWSCognitoIdentityProviderService.InitiateAuth', body });
  });

  it('leaves the console unserved when the server is not asked to serve it', async () => {
    const plain = await startLocalServer({
      region: 'us-east-1',
      userPoolId: 'p',
      clientId: 'c',
      cognitoEndpoint: 'http://127.0.0.1:1',
      routes: [],
    });
    try {
      expect((await fetch(`${plain.url}/console/config.json`)).status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});
