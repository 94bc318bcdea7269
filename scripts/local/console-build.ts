/** Builds the admin console (console/ → console/dist) when it is not built yet, as `npm run console:build`. */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from '../emulators/paths.ts';

export const consoleDir = join(repoRoot, 'console');
export const consoleDistDir = join(consoleDir, 'dist');

export async function ensureConsoleBuilt(options: { log?: (line: string) => void } = {}): Promise<string> {
  try {
    await access(join(consoleDistDir, 'index.html'));
    return consoleDistDir;
  } catch {
    options.log?.('building the console (console/dist) …');
    const { build } = await import('vite');
    await build({ configFile: join(consoleDir, 'vite.config.ts'), logLevel: 'warn' });
    return consoleDistDir;
  }
}
