import type { ErrorCode } from './codes.js';

/**
 * Why a request failed. `code` is stable (see codes.ts): a server code from an
 * error frame, or a client code such as `timeout`. `message` is for people.
 */
export class BroadcastError extends Error {
  override readonly name = 'BroadcastError';

  constructor(
    readonly code: ErrorCode | (string & {}),
    message: string,
    /** The channel the failed request was about, when it had one. */
    readonly channel?: string,
    /** The request id the server echoed, when it did. */
    readonly requestId?: string,
  ) {
    super(message);
  }
}
