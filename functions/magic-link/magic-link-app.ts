import * as z from 'zod';
import { deferred } from '#shared/app/deferred.ts';
import { createRuntime } from '#shared/app/runtime.ts';
import { createMagicLinkRepository } from '#shared/auth/magic-link/magic-link.repository.ts';
import { MAGIC_LINK_REQUESTED_MESSAGE } from '#shared/auth/magic-link/magic-link.schema.ts';
import { type CustomAuthSignIn, createMagicLinkService } from '#shared/auth/magic-link/magic-link.service.ts';
import type { SignInDirectory } from '#shared/auth/magic-link/sign-in-directory.ts';
import { createApiHandler, implement, reply } from '#shared/http/api-handler.ts';
import { magicLinkRoutes as routes } from '#shared/http/routes/magic-link.ts';
import type { MailSender } from '#shared/mail/mail-sender.ts';
import { traceClient } from '#shared/observability/tracer.ts';
import { rateLimitHeaders } from '#shared/ratelimit/rate-limit-headers.ts';
import { createTableRateLimiter } from '#shared/ratelimit/window-counter.ts';

const clientEnv = z.object({ USER_POOL_CLIENT_ID: z.string().min(1) });

/** The pool and app client the custom auth flow runs against. */
export interface CustomAuthPool {
  readonly region: string;
  readonly userPoolId: string;
  readonly clientId: string;
}

/**
 * The magic-link function: the two public routes over the service, with the table, SES and
 * Cognito of the environment. `customAuth` runs the pool's custom auth flow: Cognito's admin calls
 * in AWS (functions/magic-link/handler.ts); the local server passes its in-process stand-in
 * (scripts/local/magic-link.ts), since the emulator runs no triggers.
 */
export function createMagicLinkHandler(customAuth: (pool: CustomAuthPool) => CustomAuthSignIn) {
  const { env, db, clock, newId } = createRuntime();
  const parsed = clientEnv.safeParse(process.env);
  if (!parsed.success) throw new Error('Invalid environment: USER_POOL_CLIENT_ID', { cause: parsed.error });
  const pool = {
    region: env.AWS_REGION,
    userPoolId: env.USER_POOL_ID,
    clientId: parsed.data.USER_POOL_CLIENT_ID,
  };
  // Both clients honour AWS_ENDPOINT_URL, which points them at the emulator locally. SES is loaded
  // on first use, not at cold start: only a request for an existing account mails anything.
  const directory = deferred<SignInDirectory>(async () => {
    const [{ CognitoIdentityProviderClient }, { createCognitoSignInDirectory }] = await Promise.all([
      import('@aws-sdk/client-cognito-identity-provider'),
      import('#shared/auth/magic-link/sign-in-directory.ts'),
    ]);
    return createCognitoSignInDirectory(
      traceClient(new CognitoIdentityProviderClient({ region: env.AWS_REGION })),
      env.USER_POOL_ID,
    );
  });
  const mail = deferred<MailSender>(async () => {
    const [{ SESv2Client }, { createSesMailSender }] = await Promise.all([
      import('@aws-sdk/client-sesv2'),
      import('#shared/mail/mail-sender.ts'),
    ]);
    return createSesMailSender(traceClient(new SESv2Client({ region: env.AWS_REGION })), env.MAIL_FROM, {
      db,
      clock,
      newId,
      configurationSetName: env.MAIL_CONFIGURATION_SET,
    });
  });
  const magicLinks = createMagicLinkService({
    links: createMagicLinkRepository(db),
    directory,
    mail,
    rateLimiter: createTableRateLimiter(db, clock),
    customAuth: customAuth(pool),
    clock,
    appUrl: env.APP_URL,
  });

  return createApiHandler('magic-link', routes, [
    implement(routes.requestMagicLink, async ({ body, request }) => {
      const { rateLimits } = await magicLinks.request({ email: body.email, sourceIp: request.sourceIp });
      return reply({ message: MAGIC_LINK_REQUESTED_MESSAGE }, rateLimitHeaders(rateLimits));
    }),
    implement(routes.createMagicLinkSession, async ({ body, request }) => {
      const { tokens, rateLimits } = await magicLinks.exchange({ ...body, sourceIp: request.sourceIp });
      return reply(tokens, { ...rateLimitHeaders(rateLimits), 'cache-control': 'no-store' });
    }),
  ]);
}
