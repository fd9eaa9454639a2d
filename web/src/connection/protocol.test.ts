import { describe, expect, it } from 'vitest';
import { byteLength, encodeMessage, parseFrame, socketUrlFor } from './protocol';

describe('parseFrame', () => {
  it('parses a broadcast and ignores unknown fields', () => {
    const frame = parseFrame('{"message":"hi","timestamp":"2025-01-02T03:04:05Z","id":7}');
    expect(frame).toEqual({
      kind: 'message',
      event: { message: 'hi', timestamp: '2025-01-02T03:04:05Z' },
    });
  });

  it('drops an invalid timestamp but keeps the message', () => {
    expect(parseFrame('{"message":"x","timestamp":"not a date"}')).toEqual({
      kind: 'message',
      event: { message: 'x', timestamp: undefined },
    });
  });

  it('parses errors, with and without a code', () => {
    expect(parseFrame('{"error":"too long","code":"message_too_large"}')).toEqual({
      kind: 'error',
      event: { error: 'too long', code: 'message_too_large' },
    });
    expect(parseFrame('{"error":"bad"}')).toEqual({
      kind: 'error',
      event: { error: 'bad', code: undefined },
    });
  });

  it('prefers error over message when both are present', () => {
    expect(parseFrame('{"error":"e","message":"m"}').kind).toBe('error');
  });

  it('returns unknown for malformed or unexpected frames instead of throwing', () => {
    for (const raw of ['', 'nope', '[]', 'null', '42', '{"message":5}', '{}']) {
      expect(parseFrame(raw).kind).toBe('unknown');
    }
  });
});

describe('encodeMessage / byteLength', () => {
  it('encodes as {"message": text} with JSON escaping', () => {
    expect(encodeMessage('a"b')).toBe('{"message":"a\\"b"}');
    expect(JSON.parse(encodeMessage('<img src=x>'))).toEqual({ message: '<img src=x>' });
  });

  it('counts UTF-8 bytes, not characters', () => {
    expect(byteLength('é')).toBe(2);
    expect(byteLength('😀')).toBe(4);
  });
});

describe('socketUrlFor', () => {
  it('uses ws for http and wss for https, on the page host', () => {
    expect(socketUrlFor({ protocol: 'http:', host: 'localhost:5173' })).toBe('ws://localhost:5173/ws/events');
    expect(socketUrlFor({ protocol: 'https:', host: 'example.org' })).toBe('wss://example.org/ws/events');
  });
});
