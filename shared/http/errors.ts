/** A field-level problem reported with a 400. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** Response header names (lower-case) and values. */
export type ResponseHeaders = Readonly<Record<string, string>>;

/** Base of every error that carries its HTTP meaning; only these show their message to the client. */
export class HttpError extends Error {
  readonly status: number;
  readonly title: string;
  readonly errors: readonly FieldError[] | undefined;
  /**
   * Headers the problem response carries (e.g. `retry-after` on a 429); sent only with errors
   * below 500, like the message.
   */
  readonly headers: ResponseHeaders;

  constructor(
    status: number,
    title: string,
    detail: string,
    options?: { cause?: unknown; errors?: FieldError[]; headers?: ResponseHeaders },
  ) {
    super(detail, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HttpError';
    this.status = status;
    this.title = title;
    this.errors = options?.errors;
    this.headers = options?.headers ?? {};
  }
}

export class BadRequestError extends HttpError {
  constructor(detail: string, errors?: FieldError[]) {
    super(400, 'Bad Request', detail, errors ? { errors } : undefined);
    this.name = 'BadRequestError';
  }
}

export class UnauthorizedError extends HttpError {
  constructor(detail = 'A valid bearer token is required.') {
    super(401, 'Unauthorized', detail);
    this.name = 'UnauthorizedError';
  }
}

export class ForbiddenError extends HttpError {
  constructor(detail: string) {
    super(403, 'Forbidden', detail);
    this.name = 'ForbiddenError';
  }
}

export class NotFoundError extends HttpError {
  constructor(detail = 'The resource does not exist.') {
    super(404, 'Not Found', detail);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends HttpError {
  constructor(detail: string) {
    super(409, 'Conflict', detail);
    this.name = 'ConflictError';
  }
}

export class PayloadTooLargeError extends HttpError {
  constructor(limit: number) {
    super(413, 'Payload Too Large', `The request body exceeds ${limit} bytes.`);
    this.name = 'PayloadTooLargeError';
  }
}

export class UnsupportedMediaTypeError extends HttpError {
  constructor() {
    super(415, 'Unsupported Media Type', 'Send the request body as application/json.');
    this.name = 'UnsupportedMediaTypeError';
  }
}

/** 406: the route has no representation the request's `Accept` header accepts. */
export class NotAcceptableError extends HttpError {
  constructor(available: readonly string[]) {
    super(
      406,
      'Not Acceptable',
      `This resource is available as ${available.join(' or ')}; send a matching Accept header.`,
    );
    this.name = 'NotAcceptableError';
  }
}

/** 402: the tenant must pay (restricted after failed payments) or upgrade (a plan limit is reached). */
export class PaymentRequiredError extends HttpError {
  constructor(detail: string) {
    super(402, 'Payment Required', detail);
    this.name = 'PaymentRequiredError';
  }
}

/**
 * 412: the request's precondition (`If-Match`) names a version that is no longer current: someone
 * changed the resource since the client read it. Nothing was changed.
 */
export class PreconditionFailedError extends HttpError {
  constructor(detail: string, options?: { headers?: ResponseHeaders }) {
    super(412, 'Precondition Failed', detail, options);
    this.name = 'PreconditionFailedError';
  }
}

/** 428 (RFC 6585): the route only changes a resource under a precondition (`If-Match`), and none was sent. */
export class PreconditionRequiredError extends HttpError {
  constructor(detail: string) {
    super(428, 'Precondition Required', detail);
    this.name = 'PreconditionRequiredError';
  }
}

/** 429: a rate limit is reached; `headers` carry `retry-after` and the RateLimit fields. */
export class TooManyRequestsError extends HttpError {
  constructor(detail: string, headers: ResponseHeaders) {
    super(429, 'Too Many Requests', detail, { headers });
    this.name = 'TooManyRequestsError';
  }
}

/** 502: an upstream service (Stripe, SES) failed; nothing was changed and the request can be retried. */
export class UpstreamError extends HttpError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(502, 'Bad Gateway', detail, options);
    this.name = 'UpstreamError';
  }
}
