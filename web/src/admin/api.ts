/** The admin API of the server (`/api/admin/*`): types and a small fetch wrapper that sends the admin key. */

export interface MetricsSnapshot {
  time: string;
  connectionsOpened: number;
  connectionsClosed: number;
  messagesReceived: number;
  messagesPublished: number;
  messagesDelivered: number;
  messagesRejected: number;
  bytesReceived: number;
  bytesSent: number;
  slowConsumerDisconnects: number;
  slowConsumerDroppedFrames: number;
  engineErrors: number;
  queuedFrames: number;
  maxQueuedFrames: number;
  latencyBoundsSeconds: number[];
  /** Per bucket, not cumulative; one more than the bounds (the last is above every bound). */
  latencyCounts: number[];
  latencySumSeconds: number;
}

export interface AdminNode {
  id: string;
  startedAt: string;
  engine: string;
  ready: boolean;
  draining: boolean;
  connections: number;
  channels: number;
}

export interface SlowConsumerEvent {
  time: string;
  connectionId: number;
  remoteAddress: string | null;
  capacity: number;
}

export interface Overview {
  node: AdminNode;
  nodes: AdminNode[];
  outboundQueueCapacity: number;
  channelCount: number;
  channels: { channel: string; subscribers: number }[];
  metrics: MetricsSnapshot;
  slowConsumers: SlowConsumerEvent[];
}

export interface AdminConnection {
  id: number;
  protocol: 'legacy' | 'v2';
  remoteAddress: string | null;
  name: string | null;
  /** The user its token (or the connect proxy) named; null for an anonymous client. */
  user: string | null;
  subscriptions: number;
  queuedFrames: number;
  connectedAt: string;
}

export interface ConnectionList {
  total: number;
  connections: AdminConnection[];
}

/** An action on a user was handed to every node. */
export interface UserActionResult {
  user: string;
  action: 'disconnect' | 'unsubscribe';
}

/** The server answered 401: no key, or a wrong one. */
export class UnauthorizedError extends Error {
  constructor() {
    super('unauthorized');
    this.name = 'UnauthorizedError';
  }
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

export class AdminApi {
  constructor(
    private readonly fetchImpl: Fetch,
    private key: string | undefined,
  ) {}

  setKey(key: string | undefined): void {
    this.key = key;
  }

  overview(): Promise<Overview> {
    return this.get<Overview>('/api/admin/overview');
  }

  connections(limit = 100): Promise<ConnectionList> {
    return this.get<ConnectionList>(`/api/admin/connections?limit=${limit}`);
  }

  /** Closes every connection of the user, on every node (the server's default close: 4001). */
  disconnectUser(user: string): Promise<UserActionResult> {
    return this.post<UserActionResult>(`/api/admin/users/${encodeURIComponent(user)}/disconnect`, undefined);
  }

  /** Ends the subscription to the channel of every v2 connection of the user, on every node. */
  unsubscribeUser(user: string, channel: string): Promise<UserActionResult> {
    return this.post<UserActionResult>(`/api/admin/users/${encodeURIComponent(user)}/unsubscribe`, { channel });
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.key) headers['X-Admin-Key'] = this.key;
    return headers;
  }

  private async get<T>(path: string): Promise<T> {
    const response = await this.fetchImpl(path, { headers: this.headers(), cache: 'no-store' });
    if (response.status === 401) throw new UnauthorizedError();
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return (await response.json()) as T;
  }

  private async post<T>(path: string, body: unknown): Promise<T> {
    const headers = this.headers();
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await this.fetchImpl(path, { method: 'POST', headers, body: body === undefined ? null : JSON.stringify(body), cache: 'no-store' });
    if (response.status === 401) throw new UnauthorizedError();
    if (!response.ok) {
      // The server's refusals are {"error", "code"}: show its words.
      const refusal = (await response.json().catch(() => undefined)) as { error?: string; code?: string } | undefined;
      throw new Error(refusal?.error ? `${refusal.error} (${refusal.code ?? response.status})` : `${path}: HTTP ${response.status}`);
    }
    return (await response.json()) as T;
  }
}
