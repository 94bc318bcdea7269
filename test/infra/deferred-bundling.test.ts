import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { initFiles, inputsOf } from '../../lib/bundling/init-files.ts';
import { defaultFunctionEntry } from '../../lib/constructs/app-function.ts';
import { esbuildBuildOptions, projectRoot } from '../../lib/constructs/bundling.ts';

/** The sources a function's cold start reads (its init files), and those it reads on first use. */
async function sourcesOf(name: string): Promise<{ init: string[]; deferred: string[] }> {
  const result = await build({
    ...esbuildBuildOptions(),
    entryPoints: [defaultFunctionEntry(name)],
    outdir: join(projectRoot, '.plinth', 'deferred-bundling', name),
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const metafile = result.metafile as Metafile;
  const code = Object.keys(metafile.outputs).filter((file) => file.endsWith('.mjs'));
  const entry = code.find((file) => metafile.outputs[file]?.entryPoint !== undefined) as string;
  const init = initFiles(metafile, entry);
  return {
    init: inputsOf(metafile, init),
    deferred: inputsOf(
      metafile,
      code.filter((file) => !init.includes(file)),
    ),
  };
}

const inPackage = (inputs: readonly string[], name: string) =>
  inputs.filter((input) => input.includes(`node_modules/${name}/`));

describe('clients that only some paths need load on first use', () => {
  it('tenants loads the Cognito client on the first tenant creation, not at init', async () => {
    const { init, deferred } = await sourcesOf('tenants');

    expect(inPackage(init, '@aws-sdk/client-cognito-identity-provider')).toEqual([]);
    expect(inPackage(deferred, '@aws-sdk/client-cognito-identity-provider')).not.toEqual([]);
  });

  it('notifications loads the SES client on its first mail, not at init', async () => {
    const { init, deferred } = await sourcesOf('notifications');

    expect(inPackage(init, '@aws-sdk/client-sesv2')).toEqual([]);
    expect(inPackage(deferred, '@aws-sdk/client-sesv2')).not.toEqual([]);
  });
});
