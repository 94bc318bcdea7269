import { regexes } from 'zod';

/**
 * Reading a function's environment without building a zod schema. Every function reads its
 * environment at cold start, and building a zod object and parsing it the first time (formats
 * compile their patterns, objects generate their parsers) cost 10-14 ms of a cold start
 * (BENCHMARKS.md, "Cold init, 2026-12-03"). The rules are zod's: a variable that is set must be
 * well-formed (an empty value is not); one that is absent takes its default or stays undefined.
 */

/** Whether a value that is set is well-formed. */
export type Rule = (value: string) => boolean;

export const nonEmpty: Rule = (value) => value.length > 0;
export const anyValue: Rule = () => true;
/** A URL the WHATWG parser accepts, as `z.url()`. */
export const url: Rule = (value) => URL.canParse(value);
/** An email address by zod's own pattern, as `z.email()`. */
export const email: Rule = (value) => regexes.email.test(value);
export const startsWith =
  (prefix: string): Rule =>
  (value) =>
    value.startsWith(prefix);
/** A whole number of decimal digits from `min` to `max`. */
export const wholeNumber =
  (min: number, max: number): Rule =>
  (value) =>
    /^\s*\d+\s*$/.test(value) && Number(value) >= min && Number(value) <= max;
export const oneOf =
  <const T extends string>(...values: readonly T[]): Rule =>
  (value) =>
    (values as readonly string[]).includes(value);

/**
 * Reads variables of `source` by their rules and remembers every one that is missing or malformed;
 * `done` returns what was read, or throws naming them all: `Invalid <what> environment: A, B`
 * (`B: why` for a problem reported with a reason).
 */
export function environmentReader(source: NodeJS.ProcessEnv, what?: string) {
  const invalid: string[] = [];
  return {
    optional(name: string, rule: Rule): string | undefined {
      const value = source[name];
      if (value !== undefined && !rule(value)) invalid.push(name);
      return value;
    },
    required(name: string, rule: Rule = nonEmpty): string {
      const value = source[name];
      if (value === undefined || !rule(value)) invalid.push(name);
      return value ?? '';
    },
    /** Reports a variable that passed its rule but not a check across variables or of its content. */
    problem(name: string, reason: string): void {
      invalid.push(`${name}: ${reason}`);
    },
    done<T>(environment: T): T {
      if (invalid.length > 0) {
        throw new Error(`Invalid ${what ? `${what} ` : ''}environment: ${invalid.join(', ')}`);
      }
      return environment;
    },
  };
}

export type EnvironmentReader = ReturnType<typeof environmentReader>;

/** Where a function's AWS clients go: the region (default us-east-1) and, only locally, the emulator. */
export function readAwsClientSettings(read: EnvironmentReader): {
  readonly AWS_REGION: string;
  /** Set only locally: every AWS client talks to this endpoint (moto server). */
  readonly AWS_ENDPOINT_URL: string | undefined;
} {
  return {
    AWS_REGION: read.optional('AWS_REGION', nonEmpty) ?? 'us-east-1',
    AWS_ENDPOINT_URL: read.optional('AWS_ENDPOINT_URL', url),
  };
}
