import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppFunction } from '../../lib/constructs/app-function.ts';
import { esbuildBuildOptions } from '../../lib/constructs/bundling.ts';
import { stageConfigFor } from '../../lib/stage.ts';

const run = promisify(execFile);
/** Bundles are compared by digest: a failure should not print two minified bundles. */
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const entry = new URL('./fixtures/env-credentials-handler.ts', import.meta.url).pathname;

const envCredentials = {
  AWS_ACCESS_KEY_ID: 'AKIABUNDLETEST000001',
  AWS_SECRET_ACCESS_KEY: 'bundle-test-secret',
  AWS_SESSION_TOKEN: 'bundle-test-session-token',
};

/** Packages of the SDK's default chain that a Lambda bundle must not carry. */
const chainOnlyPackage =
  /node_modules\/@aws-sdk\/(nested-clients|token-providers|credential-provider-(?!env\/))|node_modules\/@smithy\/credential-provider-imds/;

describe('Lambda bundles', () => {
  let root: string;
  let outDir: string;
  let outfile: string;
  let inputs: string[];
  let server: Server;
  let endpoint: string;
  const received: IncomingHttpHeaders[] = [];

  /**
   * Imports the bundle in a plain `node` (as Lambda's runtime would, and unlike the test runner,
   * whose module loader differs) with only `env` set, and calls its handler.
   */
  const invoke = (env: Record<string, string>) => {
    const script = `const { handler } = await import(${JSON.stringify(pathToFileURL(outfile).href)});
process.stdout.write(JSON.stringify(await handler()));`;
    return run(process.execPath, ['--enable-source-maps', '--input-type=module', '--eval', script], {
      // HOME is empty, so no ~/.aws files could supply credentials either.
      env: {
        PATH: process.env.PATH,
        HOME: outDir,
        AWS_REGION: 'eu-west-1',
        AWS_ENDPOINT_URL: endpoint,
        ...env,
      },
      encoding: 'utf8',
    });
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'plinth-bundling-'));
    // As deep below `root` as CDK's bundling directory is below the app's outdir
    // (`<outdir>/bundling-temp-<hash>`): source maps name their sources relative to their own
    // place, and chunk names hash the maps, so both builds must sit at the same depth to match.
    outDir = join(root, 'esbuild', 'out');
    outfile = join(outDir, 'index.mjs');
    const result = await build({
      ...esbuildBuildOptions(),
      entryPoints: [entry],
      outdir: outDir,
      metafile: true,
      logLevel: 'silent',
    });
    inputs = Object.keys((result.metafile as Metafile).inputs);

    // Stands in for DynamoDB: records each request's headers and answers ListTables.
    server = createServer((request, response) => {
      received.push(request.headers);
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify({ TableNames: ['from-local-server'] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(root, { recursive: true, force: true });
  });

  it('replaces the default credential chain with the env-only provider', () => {
    expect(inputs).toContain('lib/bundling/lambda-credentials.ts');
    expect(inputs).toContainEqual(expect.stringMatching(/@aws-sdk\/credential-provider-env\//));
  });

  it('carries none of the chain: no STS or SSO clients, no INI, process, HTTP or metadata providers', () => {
    expect(inputs.filter((input) => chainOnlyPackage.test(input))).toEqual([]);
  });

  it('signs requests with the credentials from the environment', async () => {
    received.length = 0;

    const { stdout } = await invoke(envCredentials);

    expect(JSON.parse(stdout)).toEqual({
      accessKeyId: envCredentials.AWS_ACCESS_KEY_ID,
      secretAccessKey: envCredentials.AWS_SECRET_ACCESS_KEY,
      sessionToken: envCredentials.AWS_SESSION_TOKEN,
      tableNames: ['from-local-server'],
    });
    expect(received).toHaveLength(1);
    expect(received[0]?.authorization).toContain(`Credential=${envCredentials.AWS_ACCESS_KEY_ID}/`);
    expect(received[0]?.['x-amz-security-token']).toBe(envCredentials.AWS_SESSION_TOKEN);
  });

  it('fails at once without environment credentials instead of trying other sources', async () => {
    received.length = 0;

    const failure = invoke({});

    // The SDK's chain would end with "Could not load credentials from any providers".
    await expect(failure).rejects.toMatchObject({
      stderr: expect.stringContaining('Unable to find environment variable credentials'),
    });
    expect(received).toHaveLength(0);
  });

  it('is the code an AppFunction deploys, file for file', () => {
    const app = new App({ builtinCloudFormationValidation: false, outdir: join(root, 'cdk.out') });
    const stack = new Stack(app, 'SharedBundling', { env: { account: '123456789012', region: 'eu-west-1' } });
    new AppFunction(stack, 'Fixture', { entry, stage: stageConfigFor('dev') });
    const fn = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))[0] as {
      Properties: { Code: { S3Key: string }; Handler: string };
    };
    const assetDir = join(app.outdir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);

    const digests = (dir: string) =>
      Object.fromEntries(
        readdirSync(dir, { recursive: true, withFileTypes: true })
          .filter((file) => file.isFile())
          .map((file) => {
            const path = join(file.parentPath, file.name);
            return [relative(dir, path), sha256(path)];
          }),
      );

    expect(digests(assetDir)).toEqual(digests(outDir));
    expect(fn.Properties.Handler).toBe('index.handler');
  });

  it('gives each AppFunction of an app the bundle of its own entry', () => {
    const app = new App({ builtinCloudFormationValidation: false, outdir: join(root, 'cdk.out.two') });
    const stack = new Stack(app, 'TwoFunctions', { env: { account: '123456789012', region: 'eu-west-1' } });
    const other = new URL('./fixtures/bundled-handler.ts', import.meta.url).pathname;
    new AppFunction(stack, 'First', { entry, stage: stageConfigFor('dev') });
    new AppFunction(stack, 'Second', { entry: other, stage: stageConfigFor('dev') });

    const keys = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')).map(
      (fn) => (fn as { Properties: { Code: { S3Key: string } } }).Properties.Code.S3Key,
    );

    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(2);
  });
});
