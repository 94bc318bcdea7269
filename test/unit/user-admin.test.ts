import {
  AdminDisableUserCommand,
  AdminResetUserPasswordCommand,
  AdminUserGlobalSignOutCommand,
  type CognitoIdentityProviderClient,
  NotAuthorizedException,
} from '@aws-sdk/client-cognito-identity-provider';
import { describe, expect, it } from 'vitest';
import { createCognitoUserAdmin } from '#shared/admin/user-admin.ts';

/** A client that records the commands sent and answers with `answer`. */
function recordingClient(answer: (command: unknown) => unknown = () => ({})) {
  const sent: unknown[] = [];
  const client = {
    async send(command: unknown) {
      sent.push(command);
      const result = answer(command);
      if (result instanceof Error) throw result;
      return result;
    },
  } as unknown as CognitoIdentityProviderClient;
  return { client, sent };
}

describe('the Cognito user admin adapter', () => {
  it('disables the user and signs them out everywhere by their sub, in the configured pool', async () => {
    const { client, sent } = recordingClient();
    const users = createCognitoUserAdmin(client, 'pool-1');
    await users.disable('sub-1');
    await users.signOutEverywhere('sub-1');
    expect(sent).toEqual([expect.any(AdminDisableUserCommand), expect.any(AdminUserGlobalSignOutCommand)]);
    expect(sent.map((c) => (c as AdminDisableUserCommand).input)).toEqual([
      { UserPoolId: 'pool-1', Username: 'sub-1' },
      { UserPoolId: 'pool-1', Username: 'sub-1' },
    ]);
  });

  it("answers the pool's refusal of a password reset instead of throwing", async () => {
    const { client, sent } = recordingClient(
      () => new NotAuthorizedException({ message: 'User is disabled', $metadata: {} }),
    );
    const outcome = await createCognitoUserAdmin(client, 'pool-1').resetPassword('sub-1');
    expect(sent).toEqual([expect.any(AdminResetUserPasswordCommand)]);
    expect(outcome).toEqual({ refused: 'User is disabled' });
  });

  it('rethrows any other failure of a password reset', async () => {
    const { client } = recordingClient(() => new Error('throttled'));
    await expect(createCognitoUserAdmin(client, 'pool-1').resetPassword('sub-1')).rejects.toThrow(
      'throttled',
    );
  });
});
