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
  subscriptions: number;
  queuedFrames: number;
  connectedAt: string;
}

export interface ConnectionList {
  total: number;
  connections: AdminConnection[];
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

  private async get<T>(path: string): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.key) headers['X-Admin-Key'] = this.key;
    const response = await this.fetchImpl(path, { headers, cache: 'no-store' });
    if (response.status === 401) throw new UnauthorizedError();
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return (await response.json()) as T;
  }
}
