import { UnauthorizedError } from '../../http/errors.ts';

/**
 * A magic link that signs no one in: never issued, mistyped, already used, superseded by a newer
 * one, expired, or for an account that cannot sign in. One answer for all, so the answer says
 * nothing about which.
 */
export class InvalidMagicLinkError extends UnauthorizedError {
  constructor(options?: { cause?: unknown }) {
    super('This sign-in link is invalid, expired or already used: request a new one.');
    this.name = 'InvalidMagicLinkError';
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}
