import { defineConfig } from 'vitest/config';

/** Runs one moto for the integration and e2e projects together (see the file). */
const emulatorSetup = ['test/support/global-setup.ts'];

/**
 * Five tiers, all run by `npm test`, one at a time by `npm run test:<tier>`:
 * - unit: pure logic, no network;
 * - integration: handlers and repositories against moto;
 * - e2e: HTTP against the local server (same routes and JWT checks as API Gateway) on moto;
 * - console: the admin console's views and API client (console/test), in happy-dom;
 * - infra: CDK assertions and cdk-nag (synthesis is slow, hence the timeout).
 *
 * Test files are isolated (each has its own module registry, so the handlers' module-scope env and
 * clients are per file) and run in child processes (`forks`), which suits the AWS SDK and CDK.
 */
export default defineConfig({
  test: {
    pool: 'forks',
    // Emulator-bound files mostly wait on moto, so two workers pay off even on two cores.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: emulatorSetup,
          testTimeout: 20_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: emulatorSetup,
          testTimeout: 20_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        // The admin console's component and client tests (console/test), in a simulated DOM.
        oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
        test: {
          name: 'console',
          include: ['console/test/**/*.test.{ts,tsx}'],
          environment: 'happy-dom',
        },
      },
      {
        extends: true,
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
