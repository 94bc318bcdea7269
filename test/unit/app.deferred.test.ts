import { describe, expect, it } from 'vitest';
import { deferred, lazyValue, once } from '#shared/app/deferred.ts';

interface Greeter {
  greet(name: string): Promise<string>;
}

/** A loader that counts its calls and fails the first `failures` of them. */
function loader(failures = 0) {
  let calls = 0;
  const load = async (): Promise<Greeter> => {
    calls += 1;
    if (calls <= failures) throw new Error(`load ${calls} failed`);
    return { greet: async (name) => `hello ${name}` };
  };
  return { load, calls: () => calls };
}

describe('deferred', () => {
  it('does not load the dependency when it is created', () => {
    const { load, calls } = loader();

    deferred(load);

    expect(calls()).toBe(0);
  });

  it('loads on the first call and forwards the call', async () => {
    const { load, calls } = loader();
    const greeter = deferred(load);

    expect(await greeter.greet('Ada')).toBe('hello Ada');
    expect(calls()).toBe(1);
  });

  it('loads once for concurrent and later calls', async () => {
    const { load, calls } = loader();
    const greeter = deferred(load);

    await Promise.all([greeter.greet('a'), greeter.greet('b')]);
    await greeter.greet('c');

    expect(calls()).toBe(1);
  });

  it('tries to load again after a failed load', async () => {
    const { load, calls } = loader(1);
    const greeter = deferred(load);

    await expect(greeter.greet('a')).rejects.toThrow('load 1 failed');
    expect(await greeter.greet('b')).toBe('hello b');
    expect(calls()).toBe(2);
  });

  it('is not a thenable, so async code can return it', async () => {
    const greeter = deferred(loader().load);

    const returned = await (async () => greeter)();

    expect(returned).toBe(greeter);
  });
});

describe('once', () => {
  it('builds the value on the first call and reuses it', async () => {
    let built = 0;
    const value = once(async () => ({ id: ++built }));

    expect(built).toBe(0);
    expect(await value()).toBe(await value());
    expect(built).toBe(1);
  });
});

describe('lazyValue', () => {
  it('does not build the value until it is first asked for', () => {
    let built = 0;
    const value = lazyValue(() => {
      built += 1;
      return { built };
    });
    expect(built).toBe(0);
    value();
    expect(built).toBe(1);
  });

  it('builds the value once and answers the same value on every call', () => {
    let built = 0;
    const value = lazyValue(() => {
      built += 1;
      return { built };
    });
    expect(value()).toBe(value());
    expect(built).toBe(1);
  });
});
