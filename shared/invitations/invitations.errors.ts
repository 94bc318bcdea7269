import { ConflictError, UpstreamError } from '../http/errors.ts';

/** The tenant already has an open invitation for this email (raised by the pending guard). */
export class PendingInvitationExistsError extends ConflictError {
  constructor(email: string) {
    super(`A pending invitation for ${email} already exists in this tenant.`);
    this.name = 'PendingInvitationExistsError';
  }
}

/**
 * The invitation is stored but its email could not be sent. A 502 (its message is not shown), so
 * the client retries; the retry finds the pending invitation and sends the email again.
 */
export class InvitationEmailError extends UpstreamError {
  constructor(invitationId: string, options: { cause: unknown }) {
    super(`The email for invitation ${invitationId} could not be sent.`, options);
    this.name = 'InvitationEmailError';
  }
}
