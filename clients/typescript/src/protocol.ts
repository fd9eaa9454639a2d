/**
 * Wire format of the extended protocol (`broadcast.v2`, docs/protocol.md):
 * typed frames, an encoder for what the client sends and a parser that never
 * throws for what it receives. Unknown fields are ignored; frames of unknown
 * type come back as `{ type: 'unknown' }`.
 */

import { decode as decodeMessagePack, encode as encodeMessagePack } from '@msgpack/msgpack';

export const SUBPROTOCOL = 'broadcast.v2';
/** The same protocol with every frame in MessagePack, in binary WebSocket frames. */
export const MSGPACK_SUBPROTOCOL = 'broadcast.v2.msgpack';

/** How frames travel: JSON text frames (`broadcast.v2`) or MessagePack binary frames (`broadcast.v2.msgpack`). */
export type Encoding = 'json' | 'msgpack';

export function subprotocolOf(encoding: Encoding): string {
  return encoding === 'msgpack' ? MSGPACK_SUBPROTOCOL : SUBPROTOCOL;
}

/** One encoded frame: text for JSON, bytes for MessagePack. */
export type EncodedFrame = string | Uint8Array;
export const DEFAULT_PATH = '/ws/events';
/** The server's default `Broadcast:MaxMessageBytes`; the welcome frame tells the real value. */
export const DEFAULT_MAX_MESSAGE_BYTES = 65_536;

/** A position in a channel's stream. */
export interface StreamPosition {
  readonly epoch: string;
  readonly offset: number;
}

// ---- client → server ---------------------------------------------------

export interface HelloFrame {
  readonly type: 'hello';
  readonly session?: string;
  readonly name?: string;
}
export interface SubscribeFrame {
  readonly type: 'subscribe';
  readonly id: string;
  readonly channel: string;
  readonly since?: StreamPosition;
  readonly presence?: boolean;
}
export interface UnsubscribeFrame {
  readonly type: 'unsubscribe';
  readonly id: string;
  readonly channel: string;
}
/** Exactly one of `message` (a string), `data` (any JSON value) and `bytes` (binary). */
export interface PublishFrame {
  readonly type: 'publish';
  readonly id: string;
  readonly channel: string;
  readonly message?: string;
  readonly data?: unknown;
  readonly bytes?: Uint8Array;
}
export interface HistoryRequestFrame {
  readonly type: 'history';
  readonly id: string;
  readonly channel: string;
  readonly since?: number;
  readonly limit?: number;
}
export interface PresenceRequestFrame {
  readonly type: 'presence';
  readonly id: string;
  readonly channel: string;
}
/** A fresh token for the open connection (`authenticated` or an error answers it). */
export interface AuthFrame {
  readonly type: 'auth';
  readonly id: string;
  readonly token: string;
}
/** A question to the application's backend (the server's RPC proxy); `data` is any JSON value. */
export interface RpcRequestFrame {
  readonly type: 'rpc';
  readonly id: string;
  readonly method: string;
  readonly data?: unknown;
}
export type ClientFrame =
  | RpcRequestFrame
  | HelloFrame
  | AuthFrame
  | SubscribeFrame
  | UnsubscribeFrame
  | PublishFrame
  | HistoryRequestFrame
  | PresenceRequestFrame;

// ---- server → client ---------------------------------------------------

export interface ServerLimits {
  readonly maxMessageBytes: number;
  readonly maxChannels: number | undefined;
}
export interface WelcomeFrame {
  readonly type: 'welcome';
  /** The session token: the credential to resume with; keep it secret. */
  readonly session: string;
  /** What others see of this session (publication `origin`, presence `session`); the token for older servers. */
  readonly publicId: string;
  readonly resumed: boolean;
  readonly protocol: number | undefined;
  readonly node: string | undefined;
  readonly limits: ServerLimits;
}
export interface SubscribedFrame {
  readonly type: 'subscribed';
  readonly id: string | undefined;
  readonly channel: string;
  readonly epoch: string;
  readonly offset: number;
  readonly recovered: boolean;
  readonly missed: number;
}
export interface UnsubscribedFrame {
  readonly type: 'unsubscribed';
  readonly id: string | undefined;
  readonly channel: string;
  /**
   * Set (with `error`, and without `id`) when the server ended the subscription by itself, e.g. `forbidden`
   * after a refreshed token no longer allows the channel.
   */
  readonly code: string | undefined;
  readonly error: string | undefined;
}
/** The answer to `auth`: the connection's user and its new token's expiry. */
export interface AuthenticatedFrame {
  readonly type: 'authenticated';
  readonly id: string | undefined;
  readonly user: string | null;
  /** ISO-8601 UTC, as the server wrote it. */
  readonly expires: string | undefined;
}
/** Which payload a publication carries (docs/protocol.md, "Payloads"). */
export type PayloadKind = 'message' | 'data' | 'bytes';

export interface Publication {
  readonly offset: number;
  readonly origin: string | undefined;
  /** ISO-8601 UTC, as the server wrote it; undefined if missing or not a date. */
  readonly timestamp: string | undefined;
  /**
   * The payload as text, always set: the message itself; for `data`, its JSON text; for `bytes`, their base64
   * (what a legacy client would see), so code that shows text keeps working.
   */
  readonly message: string;
  readonly payload: PayloadKind;
  /** The JSON value of a `data` publication (undefined for the other kinds). */
  readonly data: unknown;
  /** The bytes of a `bytes` publication (undefined for the other kinds). */
  readonly bytes: Uint8Array | undefined;
}
export interface PubFrame extends Publication {
  readonly type: 'pub';
  readonly channel: string;
  readonly epoch: string;
}
export interface AckFrame {
  readonly type: 'ack';
  readonly id: string;
  readonly channel: string;
  readonly epoch: string;
  readonly offset: number;
  readonly duplicate: boolean;
}
export interface HistoryReplyFrame {
  readonly type: 'history';
  readonly id: string | undefined;
  readonly channel: string;
  readonly epoch: string;
  readonly offset: number;
  readonly truncated: boolean;
  /** The page stopped early (the server bounds a reply's bytes): ask again with `since` = its last offset. */
  readonly more: boolean;
  readonly publications: readonly Publication[];
}
export interface PresenceMember {
  readonly session: string;
  readonly name: string | null;
  /** The user id (`sub`) of the token the member's connection had when it subscribed; absent without a token. */
  readonly user?: string;
}
export interface PresenceReplyFrame {
  readonly type: 'presence';
  readonly id: string | undefined;
  readonly channel: string;
  readonly count: number;
  readonly members: readonly PresenceMember[];
}
export interface PresenceEventFrame {
  readonly type: 'join' | 'leave';
  readonly channel: string;
  readonly session: string;
  readonly name: string | null;
  readonly user: string | undefined;
}
export interface ErrorFrame {
  readonly type: 'error';
  readonly id: string | undefined;
  readonly channel: string | undefined;
  readonly code: string;
  readonly error: string;
}
/** The server lost publications it could not deliver; the stream continues after this position. */
export interface UnrecoveredFrame {
  readonly type: 'unrecovered';
  readonly channel: string;
  readonly epoch: string;
  readonly offset: number;
}
/** The client read too slowly on a channel that drops rather than disconnects: `count` publications were skipped. */
export interface DroppedFrame {
  readonly type: 'dropped';
  readonly channel: string;
  readonly count: number;
}
/** The backend's answer to an rpc request: its `result.data` (null when it gave none). */
export interface RpcReplyFrame {
  readonly type: 'rpc';
  readonly id: string;
  readonly data: unknown;
}
export interface UnknownFrame {
  readonly type: 'unknown';
  /** The frame's text (a binary frame: its length). */
  readonly raw: string;
}
export type ServerFrame =
  | WelcomeFrame
  | SubscribedFrame
  | UnsubscribedFrame
  | AuthenticatedFrame
  | PubFrame
  | AckFrame
  | HistoryReplyFrame
  | PresenceReplyFrame
  | PresenceEventFrame
  | ErrorFrame
  | UnrecoveredFrame
  | DroppedFrame
  | RpcReplyFrame
  | UnknownFrame;

// ---- validation (the server's rules, checked before sending) -------------

const CHANNEL_RE = /^[A-Za-z0-9_\-.:@/]{1,128}$/;
const SESSION_RE = /^[A-Za-z0-9_-]{8,64}$/;

export function isValidChannel(channel: unknown): channel is string {
  return typeof channel === 'string' && CHANNEL_RE.test(channel);
}
const METHOD_RE = /^[A-Za-z0-9_\-.:/]{1,64}$/;
/** An rpc method: 1-64 characters of A-Z a-z 0-9 _ - . : / (the server's rule). */
export function isValidMethod(method: unknown): method is string {
  return typeof method === 'string' && METHOD_RE.test(method);
}
export function isValidSession(session: unknown): session is string {
  return typeof session === 'string' && SESSION_RE.test(session);
}
/** Names are at most 64 characters (UTF-16 code units are what .NET counts too). */
export const MAX_NAME_LENGTH = 64;
export function isValidName(name: unknown): name is string {
  return typeof name === 'string' && name.length <= MAX_NAME_LENGTH;
}

// ---- encoding ------------------------------------------------------------

/** A frame in the connection's encoding: JSON text (bytes as base64), or MessagePack (bytes as bin). */
export function encodeFrame(frame: ClientFrame): string;
export function encodeFrame(frame: ClientFrame, encoding: Encoding): EncodedFrame;
export function encodeFrame(frame: ClientFrame, encoding: Encoding = 'json'): EncodedFrame {
  if (encoding === 'msgpack') return encodeMessagePack(frame, { ignoreUndefined: true });
  return JSON.stringify(frame, (_key, value: unknown) => (value instanceof Uint8Array ? toBase64(value) : value));
}

/** Bytes a frame takes on the wire (UTF-8 for text): the server limits frames in bytes. */
export function frameLength(frame: EncodedFrame): number {
  return typeof frame === 'string' ? byteLength(frame) : frame.byteLength;
}

export function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

export function fromBase64(text: string): Uint8Array | undefined {
  try {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return undefined;
  }
}

const encoder = new TextEncoder();
/** UTF-8 size: the server limits frames in bytes, not characters. */
export function byteLength(text: string): number {
  return encoder.encode(text).length;
}

// ---- parsing -------------------------------------------------------------

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const offsetOf = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined;
const timestampOf = (v: unknown): string | undefined =>
  typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? v : undefined;
const nameOf = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function publicationOf(d: Json): Publication | undefined {
  const offset = offsetOf(d['offset']);
  if (offset === undefined) return undefined;
  const head = { offset, origin: str(d['origin']), timestamp: timestampOf(d['timestamp']) };
  const message = str(d['message']);
  if (message !== undefined) return { ...head, message, payload: 'message', data: undefined, bytes: undefined };
  if ('data' in d) {
    return { ...head, message: JSON.stringify(d['data']) ?? 'null', payload: 'data', data: d['data'], bytes: undefined };
  }
  // JSON frames carry bytes as base64, MessagePack frames as bin.
  const raw = d['bytes'];
  const bytes = raw instanceof Uint8Array ? raw : typeof raw === 'string' ? fromBase64(raw) : undefined;
  if (bytes === undefined) return undefined;
  return { ...head, message: typeof raw === 'string' ? raw : toBase64(bytes), payload: 'bytes', data: undefined, bytes };
}

/**
 * Parses one inbound frame: a text frame as JSON, a binary one (ArrayBuffer or bytes) as MessagePack.
 * Never throws; anything unexpected is `unknown`.
 */
export function parseServerFrame(input: string | ArrayBuffer | Uint8Array): ServerFrame {
  let d: unknown;
  const raw = typeof input === 'string' ? input : `<${input.byteLength} bytes>`;
  try {
    d = typeof input === 'string' ? JSON.parse(input) : decodeMessagePack(input);
  } catch {
    return { type: 'unknown', raw };
  }
  if (!isRecord(d)) return { type: 'unknown', raw };
  const unknown: UnknownFrame = { type: 'unknown', raw };
  const id = str(d['id']);
  const channel = str(d['channel']);
  const epoch = str(d['epoch']);
  const offset = offsetOf(d['offset']);

  switch (d['type']) {
    case 'welcome': {
      const session = str(d['session']);
      if (session === undefined) return unknown;
      const limits = isRecord(d['limits']) ? d['limits'] : {};
      const maxBytes = offsetOf(limits['maxMessageBytes']);
      return {
        type: 'welcome',
        session,
        publicId: str(d['publicId']) ?? session,
        resumed: d['resumed'] === true,
        protocol: typeof d['protocol'] === 'number' ? d['protocol'] : undefined,
        node: str(d['node']),
        limits: {
          maxMessageBytes: maxBytes !== undefined && maxBytes > 0 ? maxBytes : DEFAULT_MAX_MESSAGE_BYTES,
          maxChannels: offsetOf(limits['maxChannels']),
        },
      };
    }
    case 'subscribed':
      if (channel === undefined || epoch === undefined || offset === undefined) return unknown;
      return {
        type: 'subscribed',
        id,
        channel,
        epoch,
        offset,
        recovered: d['recovered'] === true,
        missed: offsetOf(d['missed']) ?? 0,
      };
    case 'unsubscribed':
      if (channel === undefined) return unknown;
      return { type: 'unsubscribed', id, channel, code: str(d['code']), error: str(d['error']) };
    case 'authenticated':
      return { type: 'authenticated', id, user: str(d['user']) ?? null, expires: timestampOf(d['expires']) };
    case 'pub': {
      const pub = publicationOf(d);
      if (channel === undefined || epoch === undefined || pub === undefined) return unknown;
      return { type: 'pub', channel, epoch, ...pub };
    }
    case 'ack':
      if (id === undefined || channel === undefined || epoch === undefined || offset === undefined) return unknown;
      return { type: 'ack', id, channel, epoch, offset, duplicate: d['duplicate'] === true };
    case 'history': {
      const list = d['publications'];
      if (channel === undefined || epoch === undefined || offset === undefined || !Array.isArray(list)) return unknown;
      const publications: Publication[] = [];
      for (const item of list) {
        const pub = isRecord(item) ? publicationOf(item) : undefined;
        if (pub) publications.push(pub);
      }
      return { type: 'history', id, channel, epoch, offset, truncated: d['truncated'] === true, more: d['more'] === true, publications };
    }
    case 'presence': {
      const list = d['members'];
      if (channel === undefined || !Array.isArray(list)) return unknown;
      const members: PresenceMember[] = [];
      for (const m of list) {
        const session = isRecord(m) ? str(m['session']) : undefined;
        if (!isRecord(m) || session === undefined) continue;
        const user = str(m['user']);
        members.push(user !== undefined ? { session, name: nameOf(m['name']), user } : { session, name: nameOf(m['name']) });
      }
      const count = offsetOf(d['count']) ?? members.length;
      return { type: 'presence', id, channel, count, members };
    }
    case 'join':
    case 'leave': {
      const session = str(d['session']);
      if (channel === undefined || session === undefined) return unknown;
      return { type: d['type'], channel, session, name: nameOf(d['name']), user: str(d['user']) };
    }
    case 'unrecovered':
      if (channel === undefined || epoch === undefined || offset === undefined) return unknown;
      return { type: 'unrecovered', channel, epoch, offset };
    case 'dropped': {
      const count = offsetOf(d['count']);
      if (channel === undefined || count === undefined) return unknown;
      return { type: 'dropped', channel, count };
    }
    case 'rpc':
      if (id === undefined) return unknown;
      return { type: 'rpc', id, data: d['data'] ?? null };
    case 'error': {
      const code = str(d['code']);
      if (code === undefined) return unknown;
      return { type: 'error', id, channel, code, error: str(d['error']) ?? code };
    }
    default:
      return unknown;
  }
}

/** WebSocket URL for a page location: ws for http, wss for https, same host. */
export function socketUrl(location: { readonly protocol: string; readonly host: string }, path = DEFAULT_PATH): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}${path}`;
}
