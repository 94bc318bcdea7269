import {
  AssociateSoftwareTokenCommand,
  CodeMismatchException,
  type CognitoIdentityProviderClient,
  EnableSoftwareTokenMFAException,
  InvalidParameterException,
  NotAuthorizedException,
  SetUserMFAPreferenceCommand,
  SoftwareTokenMFANotFoundException,
  VerifySoftwareTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { BadRequestError, ConflictError, UnauthorizedError, UpstreamError } from '../http/errors.ts';

/**
 * The user pool's authenticator-app (TOTP) calls, made as the user with their own access token:
 * Cognito ties the secret to the token's user, so no IAM grant is involved.
 */
export interface TotpAuthenticator {
  /** Starts (or restarts) an enrolment: a new secret for the user's authenticator app. */
  associate(accessToken: string): Promise<{ readonly secret: string }>;
  /** Checks a code of the associated secret; 400 (field `body.code`) when it does not match. */
  verify(accessToken: string, code: string): Promise<void>;
  /** Turns TOTP on (as the preferred second factor) or off for the user. */
  setEnabled(accessToken: string, enabled: boolean): Promise<void>;
}

const START_FIRST = 'Start the enrolment with POST /v1/me/mfa/totp, then send a code of that secret.';

const wrongCode = () =>
  new BadRequestError('The code does not match the authenticator app.', [
    { field: 'body.code', message: 'is not the current code of the secret being enrolled' },
  ]);

/** Cognito's refusals as the client's errors; anything else is a 502 (nothing changed, retry). */
function translate(error: unknown, step: string): Error {
  if (error instanceof CodeMismatchException || error instanceof EnableSoftwareTokenMFAException) {
    return wrongCode();
  }
  if (error instanceof SoftwareTokenMFANotFoundException || error instanceof InvalidParameterException) {
    return new ConflictError(START_FIRST);
  }
  if (error instanceof NotAuthorizedException) {
    return new UnauthorizedError('The user pool no longer accepts this access token: sign in again.');
  }
  return new UpstreamError(`The user pool failed to ${step}; nothing was changed, retry.`, { cause: error });
}

export function createCognitoTotp(client: CognitoIdentityProviderClient): TotpAuthenticator {
  return {
    async associate(accessToken) {
      try {
        const { SecretCode } = await client.send(
          new AssociateSoftwareTokenCommand({ AccessToken: accessToken }),
        );
        if (!SecretCode) throw new Error('AssociateSoftwareToken returned no secret');
        return { secret: SecretCode };
      } catch (error) {
        throw translate(error, 'start the enrolment');
      }
    },

    async verify(accessToken, code) {
      let status: string | undefined;
      try {
        ({ Status: status } = await client.send(
          new VerifySoftwareTokenCommand({
            AccessToken: accessToken,
            UserCode: code,
            FriendlyDeviceName: 'Plinth',
          }),
        ));
      } catch (error) {
        throw translate(error, 'check the code');
      }
      if (status !== 'SUCCESS') throw wrongCode();
    },

    async setEnabled(accessToken, enabled) {
      try {
        await client.send(
          new SetUserMFAPreferenceCommand({
            AccessToken: accessToken,
            SoftwareTokenMfaSettings: { Enabled: enabled, PreferredMfa: enabled },
          }),
        );
      } catch (error) {
        throw translate(error, enabled ? 'turn MFA on' : 'turn MFA off');
      }
    },
  };
}
