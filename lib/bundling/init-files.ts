import type { Metafile } from 'esbuild';

/**
 * The output files (metafile keys) that loading `entry` reads, i.e. what a function's cold start
 * evaluates: the entry and, transitively, every chunk it imports statically. Chunks reached only
 * through `await import()` are left out: Node reads them when that import first runs.
 */
export function initFiles(metafile: Metafile, entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const imported of metafile.outputs[file]?.imports ?? []) {
      if (imported.kind === 'import-statement' && !imported.external) visit(imported.path);
    }
  };
  visit(entry);
  return [...seen];
}

/** The source files (metafile input paths) that end up in any of `files`. */
export function inputsOf(metafile: Metafile, files: readonly string[]): string[] {
  return [...new Set(files.flatMap((file) => Object.keys(metafile.outputs[file]?.inputs ?? {})))];
}
