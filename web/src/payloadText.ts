import type { PayloadKind } from '@broadcast/client';

/** The parts of a publication its display needs. */
export interface PayloadView {
  readonly message: string;
  readonly payload?: PayloadKind | undefined;
  readonly data?: unknown;
  readonly bytes?: Uint8Array | undefined;
}

/**
 * How a publication reads in the message lists: a message as it is; `data` (any JSON value) as indented JSON,
 * so an object is readable rather than one long line; `bytes` as their size and base64.
 */
export function displayText(pub: PayloadView): string {
  if (pub.payload === 'data') return JSON.stringify(pub.data, null, 2) ?? 'null';
  if (pub.payload === 'bytes') return `${pub.bytes?.length ?? 0} bytes: ${pub.message}`;
  return pub.message;
}
