/**
 * Wire format of the broadcast server (`/ws/events`).
 *
 * Outbound: `{"message": "<text>"}`.
 * Inbound:  `{"message": "<text>", "timestamp": "<ISO-8601 UTC>", ...}` for
 *           broadcasts from other clients, or `{"error": "<reason>", "code"?: ...}`
 *           sent to us alone. Unknown fields are ignored so the server can add
 *           fields (ids, channels, ...) without breaking this client.
 */

export interface BroadcastEvent {
  readonly message: string;
  /** ISO-8601 timestamp from the server, or undefined if missing/invalid. */
  readonly timestamp: string | undefined;
}

export interface ServerErrorEvent {
  readonly error: string;
  readonly code: string | number | undefined;
}

export type ServerFrame =
  | { readonly kind: 'message'; readonly event: BroadcastEvent }
  | { readonly kind: 'error'; readonly event: ServerErrorEvent }
  | { readonly kind: 'unknown'; readonly raw: string };

export const SEND_PATH = '/ws/events';

/** Serialises an outbound event. */
export function encodeMessage(text: string): string {
  return JSON.stringify({ message: text });
}

/** UTF-8 size of a frame: the server limits inbound messages in bytes, not characters. */
export function byteLength(frame: string): number {
  return new TextEncoder().encode(frame).length;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses one inbound text frame. Never throws: malformed input becomes `unknown`. */
export function parseFrame(raw: string): ServerFrame {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { kind: 'unknown', raw };
  }
  if (!isRecord(data)) return { kind: 'unknown', raw };

  if (typeof data['error'] === 'string') {
    const code = data['code'];
    return {
      kind: 'error',
      event: {
        error: data['error'],
        code: typeof code === 'string' || typeof code === 'number' ? code : undefined,
      },
    };
  }

  if (typeof data['message'] === 'string') {
    const ts = data['timestamp'];
    const timestamp = typeof ts === 'string' && !Number.isNaN(Date.parse(ts)) ? ts : undefined;
    return { kind: 'message', event: { message: data['message'], timestamp } };
  }

  return { kind: 'unknown', raw };
}

/** Builds the WebSocket URL for a page location (ws for http, wss for https). */
export function socketUrlFor(location: { protocol: string; host: string }, path = SEND_PATH): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}${path}`;
}
