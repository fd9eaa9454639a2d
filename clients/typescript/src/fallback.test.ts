import { describe, expect, it } from 'vitest';
import { TransportChain } from './fallback.js';
import type { FetchLike } from './httpStream.js';
import { SseSocket } from './sseSocket.js';
import type { WebSocketLike } from './transport.js';

const fakeSocket = (protocol: string): WebSocketLike => ({
  readyState: 0,
  protocol,
  onopen: null,
  onclose: null,
  onmessage: null,
  onerror: null,
  send: () => {},
  close: () => {},
});

describe('TransportChain', () => {
  it('moves on after a failed attempt, wraps around, and keeps a transport that works', () => {
    const made: string[] = [];
    const chain = new TransportChain(['websocket', 'http-stream'], () => (made.push('ws'), fakeSocket('ws')), undefined, () => (made.push('stream'), fakeSocket('stream')));
    expect(chain.current).toBe('websocket');
    chain.create('ws://h/ws/events', []);
    chain.failed();
    expect(chain.current).toBe('http-stream');
    chain.create('ws://h/ws/events', []);
    chain.create('ws://h/ws/events', []);
    chain.failed();
    expect(chain.current).toBe('websocket');
    expect(made).toEqual(['ws', 'stream', 'stream']);
  });

  it('skips at once a transport that cannot exist here (no WebSocket)', () => {
    const chain = new TransportChain(['websocket', 'http-stream'], () => {
      throw new Error('No WebSocket available');
    }, undefined, () => fakeSocket('stream'));
    expect(chain.create('ws://h/ws/events', []).protocol).toBe('stream');
    expect(chain.current).toBe('http-stream');
  });
});

describe('TransportChain with sse', () => {
  it("reaches 'sse' last, after WebSocket and HTTP streaming both failed, and makes an SseSocket", () => {
    const never: FetchLike = () => new Promise(() => {});
    const chain = new TransportChain(['websocket', 'http-stream', 'sse'], () => fakeSocket('ws'), never, () => fakeSocket('stream'), () => ({
      channels: [{ channel: 'a', position: undefined, presence: false }],
    }));
    chain.failed();
    chain.failed();
    expect(chain.current).toBe('sse');
    expect(chain.create('ws://h/ws/events', [])).toBeInstanceOf(SseSocket);
    chain.failed();
    expect(chain.current).toBe('websocket');
  });
});
