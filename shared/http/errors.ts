/** A field-level problem reported with a 400. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** Base of every error that carries its HTTP meaning; only these show their message to the client. */
export class HttpError extends Error {
  readonly status: number;
  readonly title: string;
  readonly errors: readonly FieldError[] | undefined;

  constructor(
    status: number,
    title: string,
    detail: string,
    options?: { cause?: unknown; errors?: FieldError[] },
  ) {
    super(detail, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HttpError';
    this.status = status;
    this.title = title;
    this.errors = options?.errors;
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

/** 402: the tenant must pay (restricted after failed payments) or upgrade (a plan limit is reached). */
export class PaymentRequiredError extends HttpError {
  constructor(detail: string) {
    super(402, 'Payment Required', detail);
    this.name = 'PaymentRequiredError';
  }
}

/** 502: an upstream service (Stripe, SES) failed; nothing was changed and the request can be retried. */
export class UpstreamError extends HttpError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(502, 'Bad Gateway', detail, options);
    this.name = 'UpstreamError';
  }
}
