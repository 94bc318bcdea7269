import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { HttpError } from './errors.ts';

const PROBLEM_TYPE_BASE = 'https://plinth.dev/problems/';

/**
 * Maps any thrown value to an RFC 9457 problem response. Only {@link HttpError}s below 500 show
 * their message; everything else is a generic 500 (the caller logs the real error).
 */
export function toProblemResponse(error: unknown, instance?: string): APIGatewayProxyStructuredResultV2 {
  const exposed = error instanceof HttpError && error.status < 500;
  const status = error instanceof HttpError ? error.status : 500;
  const title = error instanceof HttpError ? error.title : 'Internal Server Error';
  const body = {
    type: `${PROBLEM_TYPE_BASE}${title.toLowerCase().replaceAll(' ', '-')}`,
    title,
    status,
    detail: exposed
      ? error.message
      : 'Something went wrong on our side. Retry later; quote the request id if it persists.',
    ...(instance ? { instance } : {}),
    ...(exposed && error.errors ? { errors: error.errors } : {}),
  };
  return {
    statusCode: status,
    headers: { ...(exposed ? error.headers : {}), 'content-type': 'application/problem+json' },
    body: JSON.stringify(body),
  };
}
