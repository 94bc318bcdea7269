/**
 * Stands in for `@aws-sdk/credential-provider-node` in Lambda bundles only: the esbuild settings in
 * lib/constructs/bundling.ts alias that package to this file. Tests, scripts and the local server run
 * unbundled and keep the SDK's default chain.
 *
 * Why: every SDK client's Node runtime config imports `defaultProvider` from that package, and with
 * it the whole default chain (SSO, web identity, INI files, `credential_process`, HTTP/ECS and EC2
 * metadata, plus `@aws-sdk/nested-clients` for STS and SSO): ~130 KB of every bundle, which esbuild
 * cannot drop because the reference is unconditional. In Lambda the chain never gets past its first
 * link: the runtime puts the execution role's credentials in AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, and reading those is all a function needs.
 *
 * Only `defaultProvider` is exported, on purpose: should a bundled package ever import anything else
 * from `@aws-sdk/credential-provider-node`, the build fails rather than ship a partial stand-in.
 */
import { type FromEnvInit, fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * The SDK's `credentialDefaultProvider` contract: called once per client with the client's config
 * (its `logger` included) and returning the provider the client signs with. `fromEnv` reads the
 * variables on every call, so there is no cache to expire; unlike the default chain it also ignores
 * AWS_PROFILE, which Lambda never sets.
 */
export const defaultProvider = (init?: FromEnvInit): ReturnType<typeof fromEnv> => fromEnv(init);
