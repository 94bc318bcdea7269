/**
 * The MFA enrolment routes as a client calls them, for messages that tell a user how to enrol (the
 * 403 of a tenant that requires MFA). Kept apart from the route table so tenancy need not load it;
 * a unit test holds them to the table.
 */
export const ENROL_TOTP_ROUTE = 'POST /v1/me/mfa/totp';
export const VERIFY_TOTP_ROUTE = 'POST /v1/me/mfa/totp/verification';
