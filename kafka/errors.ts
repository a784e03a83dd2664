/** Stable error codes for everything the tool reports to its user. */
export type FirehoseErrorCode =
  | 'BAD_OPTION'
  | 'BROKERS_UNREACHABLE'
  | 'KAFKA_CLIENT'
  /** The local Apache Kafka cluster could not be resolved, started or stopped (exit 1). */
  | 'LOCAL_CLUSTER';

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

/** The one message for brokers that do not answer, whichever client found out. */
export function brokersUnreachable(brokers: string, error: unknown): FirehoseError {
  const reason = error instanceof Error ? error.message : String((error as { message?: string })?.message ?? error);
  return new FirehoseError('BROKERS_UNREACHABLE', `cannot reach --brokers ${brokers}: ${reason}`, { cause: error });
}
