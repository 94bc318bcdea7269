import {
  AssociateSoftwareTokenCommand,
  CodeMismatchException,
  type CognitoIdentityProviderClient,
  EnableSoftwareTokenMFAException,
  InternalErrorException,
  NotAuthorizedException,
  type SetUserMFAPreferenceCommand,
  SoftwareTokenMFANotFoundException,
  VerifySoftwareTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { describe, expect, it } from 'vitest';
import { ConflictError, HttpError, PaymentRequiredError, UnauthorizedError } from '#shared/http/errors.ts';
import { routeKey } from '#shared/http/route.ts';
import { meRoutes } from '#shared/http/routes/me.ts';
import { impersonationPolicy } from '#shared/impersonation/route-policy.ts';
import type { TenantRecord } from '#shared/tenancy/records.ts';
import { createTenantService } from '#shared/tenants/tenants.service.ts';
import { createCognitoTotp, type TotpAuthenticator } from '#shared/users/cognito-totp.ts';
import { createMfaService, otpauthUri } from '#shared/users/mfa.service.ts';
import { ENROL_TOTP_ROUTE, VERIFY_TOTP_ROUTE } from '#shared/users/mfa-routes.ts';
import { fakeTenantContext } from '../support/tenant-context.ts';

const meta = { $metadata: {} };

/** A Cognito client whose `send` answers or throws per command, recording what it was sent. */
function fakeCognito(answer: (command: unknown) => unknown) {
  const sent: unknown[] = [];
  const client = {
    send: async (command: unknown) => {
      sent.push(command);
      const result = answer(command);
      if (result instanceof Error) throw result;
      return result;
    },
  } as unknown as CognitoIdentityProviderClient;
  return { client, sent };
}

async function statusOf(promise: Promise<unknown>): Promise<{ status: number; error: HttpError }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof HttpError)) throw new Error(`expected an HttpError, got ${String(error)}`);
  return { status: error.status, error };
}

describe('the Cognito TOTP adapter', () => {
  it('answers the secret AssociateSoftwareToken gives for the token', async () => {
    const { client, sent } = fakeCognito(() => ({ SecretCode: 'JBSWY3DPEHPK3PXP' }));

    const result = await createCognitoTotp(client).associate('token-1');

    expect(result).toEqual({ secret: 'JBSWY3DPEHPK3PXP' });
    expect(sent[0]).toBeInstanceOf(AssociateSoftwareTokenCommand);
    expect((sent[0] as AssociateSoftwareTokenCommand).input).toEqual({ AccessToken: 'token-1' });
  });

  it.each([
    ['CodeMismatchException', new CodeMismatchException({ message: 'mismatch', ...meta })],
    [
      'EnableSoftwareTokenMFAException',
      new EnableSoftwareTokenMFAException({ message: 'bad code', ...meta }),
    ],
  ])('turns %s into a 400 on body.code', async (_name, refusal) => {
    const { client } = fakeCognito(() => refusal);

    const { status, error } = await statusOf(createCognitoTotp(client).verify('token-1', '123456'));

    expect(status).toBe(400);
    expect(error.errors).toEqual([{ field: 'body.code', message: expect.any(String) }]);
  });

  it('treats a verification whose status is not SUCCESS as a wrong code', async () => {
    const { client } = fakeCognito(() => ({ Status: 'ERROR' }));

    const { status } = await statusOf(createCognitoTotp(client).verify('token-1', '123456'));

    expect(status).toBe(400);
  });

  it('sends the code with the token to VerifySoftwareToken', async () => {
    const { client, sent } = fakeCognito(() => ({ Status: 'SUCCESS' }));

    await createCognitoTotp(client).verify('token-1', '123456');

    expect(sent[0]).toBeInstanceOf(VerifySoftwareTokenCommand);
    expect((sent[0] as VerifySoftwareTokenCommand).input).toMatchObject({
      AccessToken: 'token-1',
      UserCode: '123456',
    });
  });

  it('answers 409 saying where to start when no secret was associated', async () => {
    const { client } = fakeCognito(() => new SoftwareTokenMFANotFoundException({ message: 'none', ...meta }));

    const { status, error } = await statusOf(createCognitoTotp(client).verify('token-1', '123456'));

    expect(status).toBe(409);
    expect(error.message).toContain('POST /v1/me/mfa/totp');
  });

  it('answers 401 when the pool no longer accepts the token', async () => {
    const { client } = fakeCognito(() => new NotAuthorizedException({ message: 'revoked', ...meta }));

    const { status } = await statusOf(createCognitoTotp(client).associate('token-1'));

    expect(status).toBe(401);
  });

  it('answers 502 for a fault of the pool, without its message', async () => {
    const { client } = fakeCognito(() => new InternalErrorException({ message: 'internal detail', ...meta }));

    const { status, error } = await statusOf(createCognitoTotp(client).setEnabled('token-1', true));

    expect(status).toBe(502);
    expect(error.message).not.toContain('internal detail');
  });

  it('makes TOTP the preferred factor when turning it on, and neither when turning it off', async () => {
    const { client, sent } = fakeCognito(() => ({}));
    const totp = createCognitoTotp(client);

    await totp.setEnabled('token-1', true);
    await totp.setEnabled('token-1', false);

    expect(sent.map((c) => (c as SetUserMFAPreferenceCommand).input)).toEqual([
      { AccessToken: 'token-1', SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true } },
      { AccessToken: 'token-1', SoftwareTokenMfaSettings: { Enabled: false, PreferredMfa: false } },
    ]);
  });
});

describe('otpauthUri', () => {
  it('builds the Key URI authenticator apps scan, with the label and issuer escaped', () => {
    expect(otpauthUri('Plinth Dev', 'ana+x@example.com', 'JBSWY3DP')).toBe(
      'otpauth://totp/Plinth%20Dev:ana%2Bx%40example.com?secret=JBSWY3DP&issuer=Plinth+Dev&algorithm=SHA1&digits=6&period=30',
    );
  });
});

type Step = string;

/** The MFA service over fakes that record, in order, the steps it takes. */
function mfaWith(options: { requiring?: readonly string[]; failing?: Step } = {}) {
  const steps: Step[] = [];
  const step = async (name: Step) => {
    steps.push(name);
    if (options.failing === name) throw new Error(`${name} failed`);
  };
  const totp: TotpAuthenticator = {
    associate: async () => {
      await step('associate');
      return { secret: 'JBSWY3DP' };
    },
    verify: async () => step('verify'),
    setEnabled: async (_token, enabled) => step(enabled ? 'pool on' : 'pool off'),
  };
  const tenants = (options.requiring ?? []).map(
    (name) => ({ tenant: { name, requireMfa: true } as TenantRecord, role: 'member' }) as const,
  );
  const service = createMfaService({
    totp,
    directory: {
      getUser: async (userId) => ({
        userId,
        email: 'ana@example.com',
        emailVerified: true,
        enabled: true,
        mfaEnabled: false,
      }),
    },
    tenants: { listMemberships: async () => tenants },
    recordMfa: async (_userId, enabled) => step(enabled ? 'profile on' : 'profile off'),
    clock: () => new Date('2026-01-01T00:00:00Z'),
  });
  return { service, steps };
}

const caller = { userId: '11111111-1111-4111-8111-111111111111', groups: [], platformAdmin: false };

describe('the MFA service', () => {
  it('refuses without the caller’s own token and calls nothing', async () => {
    const { service, steps } = mfaWith();

    await expect(service.startTotp(caller, undefined)).rejects.toThrow(UnauthorizedError);
    expect(steps).toEqual([]);
  });

  it('labels the secret with the user’s email', async () => {
    const { service } = mfaWith();

    const result = await service.startTotp(caller, 'token-1');

    expect(result.otpauthUri).toMatch(/^otpauth:\/\/totp\/Plinth:ana%40example\.com\?secret=JBSWY3DP&/);
  });

  it('turns the pool on before recording it on the profile', async () => {
    const { service, steps } = mfaWith();

    await service.confirmTotp(caller, 'token-1', '123456');

    expect(steps).toEqual(['verify', 'pool on', 'profile on']);
  });

  it('records nothing when the pool refuses to turn TOTP on', async () => {
    const { service, steps } = mfaWith({ failing: 'pool on' });

    await expect(service.confirmTotp(caller, 'token-1', '123456')).rejects.toThrow();
    expect(steps).not.toContain('profile on');
  });

  it('records MFA off on the profile before turning the pool off', async () => {
    const { service, steps } = mfaWith();

    await service.disable(caller, 'token-1');

    expect(steps).toEqual(['profile off', 'pool off']);
  });

  it('refuses to turn MFA off with a 409 naming the tenants that require it, changing nothing', async () => {
    const { service, steps } = mfaWith({ requiring: ['Acme', 'Globex'] });

    const refusal = service.disable(caller, 'token-1');

    await expect(refusal).rejects.toThrow(ConflictError);
    await expect(refusal).rejects.toThrow(/"Acme", "Globex" require it/);
    expect(steps).toEqual([]);
  });
});

describe('the MFA routes', () => {
  it('are the routes the enrolment messages name', () => {
    expect(routeKey(meRoutes.startTotp)).toBe(ENROL_TOTP_ROUTE);
    expect(routeKey(meRoutes.verifyTotp)).toBe(VERIFY_TOTP_ROUTE);
  });

  it.each(['startTotp', 'verifyTotp', 'disableMfa'] as const)('%s never runs under impersonation', (name) => {
    expect(impersonationPolicy(meRoutes[name])).toBe('never');
  });
});

describe('requiring MFA of a tenant', () => {
  function service() {
    const written: unknown[] = [];
    const tenants = {
      forTenant: () => ({ update: async (settings: unknown) => void written.push(settings) }),
    } as unknown as Parameters<typeof createTenantService>[0]['tenants'];
    return {
      written,
      tenants: createTenantService({
        tenants,
        directory: { getUser: async () => undefined },
        clock: () => new Date('2026-01-01T00:00:00Z'),
        newId: () => 'id',
      }),
    };
  }
  const business = { plan: 'business', status: 'active' } as const;

  it('is a 402 naming Business on a lower plan, and nothing is written', async () => {
    const { tenants, written } = service();
    const ctx = fakeTenantContext({
      role: 'owner',
      mfaEnabled: true,
      billing: { plan: 'team', status: 'active' },
    });

    await expect(tenants.update(ctx, { requireMfa: true })).rejects.toThrowError(
      new PaymentRequiredError(
        'The Team plan does not include the MFA policy; upgrade to Business to use it.',
      ),
    );
    expect(written).toEqual([]);
  });

  it('is a 409 for an owner without MFA, and nothing is written', async () => {
    const { tenants, written } = service();
    const ctx = fakeTenantContext({ role: 'owner', mfaEnabled: false, billing: business });

    await expect(tenants.update(ctx, { requireMfa: true })).rejects.toThrow(ConflictError);
    expect(written).toEqual([]);
  });

  it('is written for an owner with MFA on Business', async () => {
    const { tenants, written } = service();
    const ctx = fakeTenantContext({ role: 'owner', mfaEnabled: true, billing: business });

    const after = await tenants.update(ctx, { requireMfa: true });

    expect(after.requireMfa).toBe(true);
    expect(written).toEqual([expect.objectContaining({ requireMfa: true })]);
  });

  it('can be lifted on any plan, by an owner without MFA too', async () => {
    const { tenants, written } = service();
    const ctx = fakeTenantContext({ role: 'owner', tenant: { requireMfa: true } });

    const after = await tenants.update(ctx, { requireMfa: false });

    expect(after.requireMfa).toBe(false);
    expect(written).toEqual([expect.objectContaining({ requireMfa: false })]);
  });

  it('is not checked again when an already-required tenant is renamed', async () => {
    const { tenants } = service();
    const ctx = fakeTenantContext({ role: 'owner', tenant: { requireMfa: true } });

    const after = await tenants.update(ctx, { name: 'Renamed', requireMfa: true });

    expect(after).toMatchObject({ name: 'Renamed', requireMfa: true });
  });
});
