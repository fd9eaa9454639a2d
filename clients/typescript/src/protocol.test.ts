import { describe, expect, it } from 'vitest';
import { byteLength, encodeFrame, isValidChannel, isValidName, isValidSession, parseServerFrame, socketUrl } from './protocol.js';

describe('parseServerFrame', () => {
  it('parses welcome, defaulting limits it does not get, and the public id to the session', () => {
    expect(
      parseServerFrame(
        '{"type":"welcome","session":"abcdefgh","publicId":"p_k3J9","resumed":true,"protocol":2,"node":"n1","limits":{"maxMessageBytes":1000,"maxChannels":8}}',
      ),
    ).toEqual({
      type: 'welcome',
      session: 'abcdefgh',
      publicId: 'p_k3J9',
      resumed: true,
      protocol: 2,
      node: 'n1',
      limits: { maxMessageBytes: 1000, maxChannels: 8 },
    });
    expect(parseServerFrame('{"type":"welcome","session":"abcdefgh"}')).toMatchObject({
      publicId: 'abcdefgh',
      resumed: false,
      limits: { maxMessageBytes: 65536, maxChannels: undefined },
    });
  });

  it('parses pub frames and ignores unknown fields', () => {
    expect(
      parseServerFrame(
        '{"type":"pub","channel":"room","offset":58,"epoch":"9f3c","origin":"k3J9","timestamp":"2026-11-26T10:15:30.123456+00:00","message":"text","extra":1}',
      ),
    ).toEqual({
      type: 'pub',
      channel: 'room',
      offset: 58,
      epoch: '9f3c',
      origin: 'k3J9',
      timestamp: '2026-11-26T10:15:30.123456+00:00',
      message: 'text',
      payload: 'message',
      data: undefined,
      bytes: undefined,
    });
  });

  it('parses the server-ended unsubscribed notice, authenticated, and presence users', () => {
    expect(parseServerFrame('{"type":"unsubscribed","channel":"room","code":"forbidden","error":"no"}')).toEqual({
      type: 'unsubscribed', id: undefined, channel: 'room', code: 'forbidden', error: 'no',
    });
    expect(parseServerFrame('{"type":"authenticated","id":"a1","user":"alice","expires":"2026-11-26T11:00:00Z"}')).toEqual({
      type: 'authenticated', id: 'a1', user: 'alice', expires: '2026-11-26T11:00:00Z',
    });
    expect(parseServerFrame('{"type":"authenticated","id":"a1","user":null,"expires":"x"}')).toMatchObject({ user: null, expires: undefined });
    expect(
      parseServerFrame('{"type":"presence","id":"p","channel":"c","count":2,"members":[{"session":"s1","name":"a","user":"alice"},{"session":"s2","name":null}]}'),
    ).toMatchObject({ members: [{ session: 's1', name: 'a', user: 'alice' }, { session: 's2', name: null }] });
    expect(parseServerFrame('{"type":"join","channel":"c","session":"s1","name":"a","user":"alice"}')).toEqual({
      type: 'join', channel: 'c', session: 's1', name: 'a', user: 'alice',
    });
  });

  it('parses subscribed, ack, unsubscribed, history, presence, join/leave and errors', () => {
    expect(parseServerFrame('{"type":"subscribed","id":"r1","channel":"room","epoch":"e","offset":57,"recovered":true,"missed":16}')).toEqual({
      type: 'subscribed', id: 'r1', channel: 'room', epoch: 'e', offset: 57, recovered: true, missed: 16,
    });
    expect(parseServerFrame('{"type":"ack","id":"m-17","channel":"room","epoch":"e","offset":58,"duplicate":false}')).toEqual({
      type: 'ack', id: 'm-17', channel: 'room', epoch: 'e', offset: 58, duplicate: false,
    });
    expect(parseServerFrame('{"type":"unsubscribed","id":"r2","channel":"room"}')).toEqual({ type: 'unsubscribed', id: 'r2', channel: 'room' });
    expect(
      parseServerFrame('{"type":"history","id":"r3","channel":"room","epoch":"e","offset":57,"truncated":false,"more":true,"publications":[{"offset":41,"origin":"o","timestamp":"2026-01-01T00:00:00+00:00","message":"m"},{"bad":1}]}'),
    ).toEqual({
      type: 'history', id: 'r3', channel: 'room', epoch: 'e', offset: 57, truncated: false, more: true,
      publications: [{ offset: 41, origin: 'o', timestamp: '2026-01-01T00:00:00+00:00', message: 'm', payload: 'message', data: undefined, bytes: undefined }],
    });
    // A server from before pages: no `more`, so the page is all there is.
    expect(parseServerFrame('{"type":"history","id":"r3","channel":"room","epoch":"e","offset":0,"truncated":false,"publications":[]}')).toMatchObject({ more: false });
    expect(parseServerFrame('{"type":"presence","id":"r4","channel":"room","count":2,"members":[{"session":"a","name":"ana"},{"session":"b","name":null}]}')).toEqual({
      type: 'presence', id: 'r4', channel: 'room', count: 2, members: [{ session: 'a', name: 'ana' }, { session: 'b', name: null }],
    });
    expect(parseServerFrame('{"type":"join","channel":"room","session":"Zx81","name":"bo"}')).toEqual({ type: 'join', channel: 'room', session: 'Zx81', name: 'bo' });
    expect(parseServerFrame('{"type":"leave","channel":"room","session":"Zx81"}')).toEqual({ type: 'leave', channel: 'room', session: 'Zx81', name: null });
    expect(parseServerFrame('{"type":"error","id":"r1","channel":"room","code":"channel_invalid","error":"bad"}')).toEqual({
      type: 'error', id: 'r1', channel: 'room', code: 'channel_invalid', error: 'bad',
    });
  });

  it('drops an invalid timestamp but keeps the publication', () => {
    expect(parseServerFrame('{"type":"pub","channel":"c","offset":1,"epoch":"e","timestamp":"nope","message":"m"}')).toMatchObject({
      type: 'pub', timestamp: undefined, message: 'm',
    });
  });

  it('returns unknown for malformed, incomplete or unexpected frames instead of throwing', () => {
    for (const raw of [
      '', 'nope', '[]', 'null', '42', '{}', '{"type":"what"}',
      '{"type":"pub","channel":"c","epoch":"e","offset":-1,"message":"m"}',
      '{"type":"pub","channel":"c","epoch":"e","offset":1.5,"message":"m"}',
      '{"type":"pub","channel":"c","offset":1,"message":"m"}',
      '{"type":"ack","channel":"c","epoch":"e","offset":1}',
      '{"type":"error","error":"no code"}',
      '{"message":"legacy broadcast","timestamp":"2026-01-01T00:00:00+00:00"}',
    ]) {
      expect(parseServerFrame(raw).type, raw).toBe('unknown');
    }
  });
});

describe('validation', () => {
  it('checks channel names like the server', () => {
    for (const ok of ['events', 'room-2', 'a.b:c@d/e_f', 'x'.repeat(128)]) expect(isValidChannel(ok), ok).toBe(true);
    for (const bad of ['', 'x'.repeat(129), 'has space', 'ünï', 'a#b', 5]) expect(isValidChannel(bad), String(bad)).toBe(false);
  });

  it('checks session ids and names', () => {
    expect(isValidSession('abcd_EF-12')).toBe(true);
    expect(isValidSession('short')).toBe(false);
    expect(isValidSession('x'.repeat(65))).toBe(false);
    expect(isValidSession('abcdefg!')).toBe(false);
    expect(isValidName('')).toBe(true);
    expect(isValidName('x'.repeat(64))).toBe(true);
    expect(isValidName('x'.repeat(65))).toBe(false);
  });
});

describe('encoding', () => {
  it('encodes frames as JSON and measures UTF-8 bytes', () => {
    expect(encodeFrame({ type: 'publish', id: 'p-1', channel: 'c', message: 'a"b' })).toBe(
      '{"type":"publish","id":"p-1","channel":"c","message":"a\\"b"}',
    );
    expect(byteLength('é')).toBe(2);
    expect(byteLength('😀')).toBe(4);
  });

  it('builds socket URLs for page locations', () => {
    expect(socketUrl({ protocol: 'http:', host: 'localhost:5173' })).toBe('ws://localhost:5173/ws/events');
    expect(socketUrl({ protocol: 'https:', host: 'example.org' })).toBe('wss://example.org/ws/events');
  });
});
