import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { AppFunction } from '../../lib/constructs/app-function.ts';
import { stageConfigFor } from '../../lib/stage.ts';

const entry = new URL('./fixtures/bundled-handler.ts', import.meta.url).pathname;

describe('AppFunction bundling', () => {
  let bundleDir: string;
  let bundle: string;

  beforeAll(() => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'BundlingTest', { env: { account: '123456789012', region: 'eu-west-1' } });
    new AppFunction(stack, 'Fixture', { entry, stage: stageConfigFor('dev') });
    const template = Template.fromStack(stack);

    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0] as {
      Properties: { Code: { S3Key: string } };
    };
    const assetHash = fn.Properties.Code.S3Key.replace(/\.zip$/, '');
    bundleDir = join(app.outdir, `asset.${assetHash}`);
    bundle = readFileSync(join(bundleDir, 'index.mjs'), 'utf8');
  });

  it('emits an ES module that defines require before any bundled code runs', () => {
    expect(bundle.startsWith("import { createRequire as __plinthCreateRequire } from 'node:module';")).toBe(
      true,
    );
  });

  it('bundles the AWS SDK and every package: only Node built-ins and its own chunks stay imports', () => {
    const code = readdirSync(bundleDir, { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.mjs'),
    );
    const specifiers = code.flatMap((file) =>
      [
        ...readFileSync(join(bundleDir, file), 'utf8').matchAll(/\b(?:from|import)\s*\(?["']([^"']+)["']/g),
      ].map((match) => ({ file, specifier: match[1] ?? '' })),
    );
    // A chunk of the bundle, named relative to the file that imports it, and present in the asset.
    const ownChunk = ({ file, specifier }: { file: string; specifier: string }) =>
      specifier.startsWith('.') && existsSync(join(bundleDir, dirname(file), specifier));

    expect(specifiers.length).toBeGreaterThan(0);
    expect(specifiers.filter((s) => !isBuiltin(s.specifier) && !ownChunk(s))).toEqual([]);
  });

  it('writes a source map next to the bundle', () => {
    expect(existsSync(join(bundleDir, 'index.mjs.map'))).toBe(true);
  });

  it('loads in a plain Node process and runs a CommonJS dependency that requires a built-in', () => {
    // A child process, because the test runner's module loader provides a `require` of its own.
    const script = `const { handler } = await import(${JSON.stringify(pathToFileURL(join(bundleDir, 'index.mjs')).href)});
process.stdout.write(JSON.stringify(await handler()));`;

    const output = execFileSync(process.execPath, ['--input-type=module', '--eval', script], {
      encoding: 'utf8',
    });
    const response = JSON.parse(output) as { statusCode: number; body: string };

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ platform: process.platform, sdkLoaded: true });
  });
});
