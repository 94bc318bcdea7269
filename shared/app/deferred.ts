/** An object whose every member is an async method: what {@link deferred} can stand in for. */
export type AsyncMethods<T> = { [K in keyof T]: (...args: never[]) => Promise<unknown> };

/**
 * Stands in for a dependency that is built on first use rather than at cold start: each method
 * call awaits `load()` (run once, then cached) and forwards to the built object. Use it for
 * dependencies that only some code paths need and that are costly to load, typically a module
 * brought in with `await import()` (esbuild puts it in a chunk of its own that the function's init
 * never reads), such as stripe-node or an AWS client that one route calls.
 *
 * A failed `load()` is not cached: the next call tries again (a transient SSM error must not
 * poison the container). The stand-in is not a thenable, so it can be returned from async code.
 * It has no own keys (what the methods are is known only once loaded): to decorate the dependency
 * (tracing, metrics), wrap the built object inside `load`, not the stand-in by enumerating it.
 */
export function deferred<T extends AsyncMethods<T>>(load: () => Promise<T>): T {
  const target = once(load);
  return new Proxy({} as T, {
    get(_stub, name) {
      // Not a thenable, not a primitive: only string-named methods are forwarded.
      if (typeof name !== 'string' || name === 'then') return undefined;
      return async (...args: unknown[]) => {
        const built = await target();
        const method = (built as Record<string, unknown>)[name];
        if (typeof method !== 'function')
          throw new TypeError(`The deferred dependency has no method ${name}.`);
        return (method as (...a: unknown[]) => unknown).apply(built, args);
      };
    },
  });
}

/** A value built once on first use, e.g. a client or secret that only some paths need. */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}

/**
 * A value built on first call, then the same value on every call: for what only some code paths
 * need and is costly to build at cold start, such as a zod schema read on a write path or only
 * when an optional setting is present (zod v4 schemas cost a measurable share of a cold start each).
 *
 * Give a top-level call esbuild's `@__PURE__` annotation (a block comment before the call), as the
 * schema modules do: a bundle then leaves out the values its function never reads. esbuild does not
 * honour a `@__NO_SIDE_EFFECTS__` mark on this function in other modules, so the mark is per call.
 */
export function lazyValue<T>(build: () => T): () => T {
  let built: { readonly value: T } | undefined;
  return () => {
    built ??= { value: build() };
    return built.value;
  };
}
