import { decode } from '@msgpack/msgpack';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BroadcastClient, type ClientOptions, type PublicationEvent } from './client.js';
import { encodeFrame, parseServerFrame } from './protocol.js';
import { FakeSocketFactory, type FakeWebSocket } from './testing/index.js';

let factory: FakeSocketFactory;
let client: BroadcastClient;

function make(overrides: Partial<ClientOptions> = {}): BroadcastClient {
  client = new BroadcastClient({ url: 'ws://test/ws/events', createSocket: factory.create, random: () => 0.5, onlineSource: null, ...overrides });
  return client;
}

function open(ws: FakeWebSocket = factory.latest): FakeWebSocket {
  ws.serverOpen();
  ws.serverSend({ type: 'welcome', session: 'session-1', resumed: false, protocol: 2, limits: { maxMessageBytes: 65536 } });
  return ws;
}

const stamp = '2026-11-26T10:15:30.123456+00:00';

beforeEach(() => {
  vi.useFakeTimers();
  factory = new FakeSocketFactory();
});

afterEach(() => {
  client?.close();
  vi.useRealTimers();
});

describe('payloads on the wire', () => {
  it('parses data and base64 bytes from JSON frames, keeping message as their text', () => {
    const data = parseServerFrame(`{"type":"pub","channel":"c","offset":1,"epoch":"e","timestamp":"${stamp}","data":{"x":[1,null]}}`);
    expect(data).toMatchObject({ type: 'pub', payload: 'data', data: { x: [1, null] }, message: '{"x":[1,null]}', bytes: undefined });
    const bytes = parseServerFrame(`{"type":"pub","channel":"c","offset":2,"epoch":"e","timestamp":"${stamp}","bytes":"AAH/"}`);
    expect(bytes).toMatchObject({ type: 'pub', payload: 'bytes', message: 'AAH/', bytes: new Uint8Array([0, 1, 255]) });
    expect(parseServerFrame('{"type":"pub","channel":"c","offset":3,"epoch":"e","bytes":"%%"}')).toMatchObject({ type: 'unknown' });
  });

  it('encodes frames as MessagePack with bytes as bin, and reads MessagePack frames back', () => {
    const frame = encodeFrame({ type: 'publish', id: 'p-1', channel: 'c', bytes: new Uint8Array([7, 8]) }, 'msgpack');
    expect(frame).toBeInstanceOf(Uint8Array);
    expect(decode(frame as Uint8Array)).toEqual({ type: 'publish', id: 'p-1', channel: 'c', bytes: new Uint8Array([7, 8]) });
    expect(encodeFrame({ type: 'publish', id: 'p-1', channel: 'c', bytes: new Uint8Array([7, 8]) })).toBe(
      '{"type":"publish","id":"p-1","channel":"c","bytes":"Bwg="}',
    );
    const pub = encodeFrame({ type: 'pub', channel: 'c', offset: 4, epoch: 'e', timestamp: stamp, bytes: new Uint8Array([1]) } as never, 'msgpack') as Uint8Array;
    expect(parseServerFrame(pub.buffer.slice(pub.byteOffset, pub.byteOffset + pub.byteLength) as ArrayBuffer)).toMatchObject({
      type: 'pub', offset: 4, payload: 'bytes', bytes: new Uint8Array([1]), message: 'AQ==',
    });
    expect(parseServerFrame(new Uint8Array([0xc1]))).toMatchObject({ type: 'unknown' });
  });
});

describe('typed publish and subscribe', () => {
  interface Move {
    readonly piece: string;
    readonly to: readonly number[];
  }

  it('publishes objects as data, Uint8Arrays as bytes and strings as messages', () => {
    make();
    client.connect();
    open();
    client.publish<Move>('game', { piece: 'knight', to: [2, 3] }).catch(() => {});
    client.publish('game', new Uint8Array([1, 2])).catch(() => {});
    client.publish('game', 'text').catch(() => {});
    client.publish('game', null).catch(() => {});
    const frames = factory.latest.framesOf('publish');
    expect(frames.map((f) => ('data' in f ? { data: f['data'] } : 'bytes' in f ? { bytes: f['bytes'] } : { message: f['message'] }))).toEqual([
      { data: { piece: 'knight', to: [2, 3] } },
      { bytes: 'AQI=' },
      { message: 'text' },
      { data: null },
    ]);
  });

  it('hands each publication of the channel to the typed handler as its value', async () => {
    make();
    client.connect();
    const ws = open();
    const moves: Move[] = [];
    const events: PublicationEvent[] = [];
    const done = client.subscribe<Move>('game', { onPublication: (move, event) => (moves.push(move), events.push(event)) });
    const req = ws.framesOf('subscribe').at(-1)!;
    ws.serverSend({ type: 'subscribed', id: req['id'], channel: 'game', epoch: 'E', offset: 0 });
    await done;
    ws.serverSend({ type: 'pub', channel: 'game', offset: 1, epoch: 'E', origin: 'o', timestamp: stamp, data: { piece: 'queen', to: [4, 4] } });
    ws.serverSend({ type: 'pub', channel: 'other', offset: 1, epoch: 'E', origin: 'o', timestamp: stamp, data: { piece: 'pawn', to: [] } });
    expect(moves).toEqual([{ piece: 'queen', to: [4, 4] }]);
    expect(events[0]?.payload).toBe('data');

    client.unsubscribe('game').catch(() => {});
    ws.serverSend({ type: 'pub', channel: 'game', offset: 2, epoch: 'E', origin: 'o', timestamp: stamp, data: { piece: 'king', to: [] } });
    expect(moves).toHaveLength(1);
  });

  it('with encoding msgpack offers broadcast.v2.msgpack and sends and reads binary frames', async () => {
    make({ encoding: 'msgpack' });
    client.connect();
    const ws = factory.latest;
    expect(ws.protocols).toEqual(['broadcast.v2.msgpack']);
    open(ws);
    expect(client.status.state).toBe('open');
    const bytes: unknown[] = [];
    const done = client.subscribe<Uint8Array>('files', { onPublication: (value) => bytes.push(value) });
    const req = ws.framesOf('subscribe').at(-1)!;
    ws.serverSend({ type: 'subscribed', id: req['id'], channel: 'files', epoch: 'E', offset: 0 });
    await done;
    client.publish('files', new Uint8Array([9, 9, 9])).catch(() => {});
    // Every frame the client sent was binary MessagePack, bytes as bin.
    expect(ws.sentBinary).toHaveLength(ws.sent.length);
    expect(decode(ws.sentBinary.at(-1)!)).toMatchObject({ type: 'publish', channel: 'files', bytes: new Uint8Array([9, 9, 9]) });
    ws.serverSend({ type: 'pub', channel: 'files', offset: 1, epoch: 'E', origin: 'o', timestamp: stamp, bytes: 'CQk=' });
    expect(bytes).toEqual([new Uint8Array([9, 9])]);
  });
});
