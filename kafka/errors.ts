/** Stable error codes for everything the tool reports to its user. */
export type FirehoseErrorCode =
  | 'BAD_OPTION'
  | 'BROKERS_UNREACHABLE'
  | 'KAFKA_CLIENT';

export class FirehoseError extends Error {
  readonly code: FirehoseErrorCode;
  readonly retriable: boolean;

  constructor(code: FirehoseErrorCode, message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.name = 'FirehoseError';
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** Errors that mean "the user asked for something invalid": exit code 2. */
export function isUsageError(error: unknown): error is FirehoseError {
  return error instanceof FirehoseError && (error.code === 'BAD_OPTION' || error.code === 'BROKERS_UNREACHABLE');
}
