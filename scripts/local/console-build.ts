/** Builds the admin console (console/ → console/dist, or `outDir`), as `npm run console:build` does. */
import { join } from 'node:path';
import { repoRoot } from '../emulators/paths.ts';

export const consoleDir = join(repoRoot, 'console');
export const consoleDistDir = join(consoleDir, 'dist');

/** A build takes a second or two, so `npm run dev` and the browser tests always build: never stale. */
export async function buildConsole(outDir: string = consoleDistDir): Promise<string> {
  const { build } = await import('vite');
  await build({
    configFile: join(consoleDir, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  return outDir;
}
