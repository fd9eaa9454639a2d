export { BroadcastClient, valueOf } from './client.js';
export type {
  AuthResult,
  ClientEvents,
  ClientOptions,
  ClientStats,
  ConnectedEvent,
  HistoryResult,
  PresenceEvent,
  PresenceResult,
  PublicationEvent,
  PublishResult,
  RecoveredEvent,
  ResumedEvent,
  SubscribeOptions,
  SubscribedInfo,
  SubscriptionEndedEvent,
  UnrecoveredEvent,
  DroppedEvent,
} from './client.js';
export { BroadcastError } from './errors.js';
export { ClientErrorCode, CloseCode, LegacyErrorCode, ServerErrorCode, V2ErrorCode, isServerErrorCode } from './codes.js';
export type { ErrorCode } from './codes.js';
export { DEFAULT_BACKOFF, backoffWindow, computeDelay } from './backoff.js';
export type { BackoffOptions, Rng } from './backoff.js';
export {
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_PATH,
  MAX_NAME_LENGTH,
  MSGPACK_SUBPROTOCOL,
  SUBPROTOCOL,
  byteLength,
  isValidChannel,
  isValidName,
  isValidSession,
  parseServerFrame,
  socketUrl,
} from './protocol.js';
export type { Encoding, PayloadKind, PresenceMember, Publication, ServerFrame, ServerLimits, StreamPosition } from './protocol.js';
export { ReconnectingSocket, socketFactory } from './transport.js';
export type {
  Clock,
  CloseEventLike,
  ConnectionState,
  ConnectionStatus,
  OnlineSource,
  WebSocketConstructor,
  WebSocketFactory,
  WebSocketLike,
} from './transport.js';
export { DEFAULT_TRANSPORTS, TransportChain } from './fallback.js';
export type { TransportName } from './fallback.js';
export { HttpStreamSocket, streamUrl } from './httpStream.js';
export type { FetchLike } from './httpStream.js';
export { EventStreamReader } from './eventStream.js';
export { SseSocket } from './sseSocket.js';
export type { SseChannel, SseStart } from './sseSocket.js';
export type { EventStreamEvents, EventStreamOptions, EventStreamPublication } from './eventStream.js';
