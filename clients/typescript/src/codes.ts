/**
 * Error and close codes of the broadcast server, mirrored from docs/protocol.md
 * ("Errors", "Errors in the extended protocol", "Close codes"). This is the one
 * place the client spells them; compare `BroadcastError.code` against these.
 */

/** Codes the legacy protocol and broadcast.v2 share (bad input in a frame). */
export const LegacyErrorCode = {
  InvalidJson: 'invalid_json',
  NotAnObject: 'not_an_object',
  MessageMissing: 'message_missing',
  MessageNotString: 'message_not_string',
  MessageEmpty: 'message_empty',
  BinaryNotSupported: 'binary_not_supported',
  /** Legacy only, where `events` has a drop policy: the client read too slowly and lost messages. */
  MessagesDropped: 'messages_dropped',
} as const;

/** Codes only the extended protocol (`broadcast.v2`) sends, in `{"type": "error", "code": …}`. */
export const V2ErrorCode = {
  HelloRequired: 'hello_required',
  HelloRepeated: 'hello_repeated',
  TypeUnknown: 'type_unknown',
  IdInvalid: 'id_invalid',
  SessionInvalid: 'session_invalid',
  /** hello named a session of another user, or a public id: start a new session. */
  SessionForbidden: 'session_forbidden',
  NameInvalid: 'name_invalid',
  ChannelInvalid: 'channel_invalid',
  SinceInvalid: 'since_invalid',
  LimitInvalid: 'limit_invalid',
  TooManyChannels: 'too_many_channels',
  NotSubscribed: 'not_subscribed',
  EngineUnavailable: 'engine_unavailable',
  RateLimited: 'rate_limited',
  Forbidden: 'forbidden',
  /** The application ended a subscription (the server's HTTP API or admin page unsubscribed the user). */
  UnsubscribedByServer: 'unsubscribed_by_server',
  /** A publish's `data` nests arrays and objects more than 32 levels deep: nothing was published. */
  DataTooDeep: 'data_too_deep',
  /** A publish's `bytes` is not standard base64 (JSON) or binary (MessagePack). */
  BytesInvalid: 'bytes_invalid',
  /** A publish carried more than one of `message`, `data` and `bytes`. */
  PayloadConflict: 'payload_conflict',
  /** On `broadcast.v2.msgpack`: a binary frame that is not one MessagePack map of the protocol. */
  InvalidMessagePack: 'invalid_msgpack',
  /** On `broadcast.v2.msgpack`: a text frame (that subprotocol's frames are binary). */
  TextNotSupported: 'text_not_supported',
  TokenInvalid: 'token_invalid',
  UserMismatch: 'user_mismatch',
  /** A publish while the server shuts down: nothing was published; the client sends it again after reconnecting. */
  ShuttingDown: 'shutting_down',
  /**
   * The server's engine did not answer a publish in time: it may or may not have been published.
   * publish() sends it again with the same id (published at most once) instead of rejecting.
   */
  PublishUnknown: 'publish_unknown',
  /** The application's backend (a proxy) did not answer in time or answered nonsense; nothing was done. */
  BackendUnavailable: 'backend_unavailable',
  /** The application's backend refused an rpc request without a code of its own. */
  BackendRefused: 'backend_refused',
  /** An rpc request's method is not 1-64 characters of A-Z a-z 0-9 _ - . : / */
  MethodInvalid: 'method_invalid',
  /** An rpc request reached a server without an RPC backend. */
  RpcNotConfigured: 'rpc_not_configured',
} as const;

/** Every code the server may put in an error frame. */
export const ServerErrorCode = { ...LegacyErrorCode, ...V2ErrorCode } as const;
export type ServerErrorCode = (typeof ServerErrorCode)[keyof typeof ServerErrorCode];

/**
 * Codes the client itself uses to reject a promise (never sent by the server).
 * They are distinct from every server code.
 */
export const ClientErrorCode = {
  /** No reply (ack, subscribed, …) arrived within the request's timeout. */
  Timeout: 'timeout',
  /** close() was called while the request was pending. */
  ClientClosed: 'client_closed',
  /** The frame would exceed the server's `maxMessageBytes`; it was not sent. */
  MessageTooBig: 'message_too_big',
  /** The argument is invalid by the protocol's rules (checked before sending). */
  BadRequest: 'bad_request',
  /** unsubscribe() replaced a subscribe() that was still waiting for its reply. */
  Unsubscribed: 'unsubscribed',
  /** The server did not accept the broadcast.v2 subprotocol (a legacy-only server). */
  ProtocolUnsupported: 'protocol_unsupported',
  /**
   * The connection dropped before an rpc's answer. The backend may or may not have handled it (an rpc is not
   * sent again by itself: it may not be safe to ask twice); call rpc() again if it is. Also a publish sent
   * before a drop whose reconnect landed on the receive-only 'sse' transport: it may or may not have been published.
   */
  ConnectionLost: 'connection_lost',
  /**
   * The connection is the receive-only 'sse' transport: publish, history, presence, rpc and authenticate are
   * not possible on it (nothing was sent). Retry once the client is back on WebSocket or HTTP streaming.
   */
  ReceiveOnly: 'receive_only',
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

export type ErrorCode = ServerErrorCode | ClientErrorCode;

const SERVER_CODES: ReadonlySet<string> = new Set(Object.values(ServerErrorCode));

export function isServerErrorCode(code: string): code is ServerErrorCode {
  return SERVER_CODES.has(code);
}

/** WebSocket close codes the server uses ("Close codes" in docs/protocol.md). */
export const CloseCode = {
  /** Normal closure: echoed when the client closes. */
  Normal: 1000,
  /** The server is shutting down; reconnect with backoff. */
  GoingAway: 1001,
  /** Malformed WebSocket frame. */
  ProtocolError: 1002,
  /** Never sent on the wire: the connection dropped without a close frame. */
  Abnormal: 1006,
  /** A text frame that is not valid UTF-8. */
  InvalidPayload: 1007,
  /** Slow consumer: the client did not read fast enough; messages were lost. */
  PolicyViolation: 1008,
  /** A message over the server's size limit. */
  MessageTooBig: 1009,
  /** Used locally (never on the wire) when an attempt did not open and welcome in time. */
  ConnectTimeout: 4000,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
