import { describe, expect, it } from 'vitest';
import { HttpStreamSocket, streamUrl, type FetchLike } from './httpStream.js';

/** A fetch whose GET /stream body is fed by the test, and whose POSTs are recorded and answered `postStatus`. */
function fakeFetch(postStatus = 202) {
  const encoder = new TextEncoder();
  let push: (text: string) => void = () => {};
  let end: () => void = () => {};
  const posts: { url: string; headers: Record<string, string>; body: string }[] = [];
  let releasePost: (() => void) | undefined;
  let holdPosts = false;
  const fetch: FetchLike = async (url, init) => {
    if (init?.method === 'POST') {
      posts.push({ url, headers: init.headers ?? {}, body: init.body ?? '' });
      if (holdPosts) await new Promise<void>((r) => (releasePost = r));
      return { ok: postStatus < 300, status: postStatus, body: null, text: async () => '' };
    }
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        push = (text) => controller.enqueue(encoder.encode(text));
        end = () => controller.close();
      },
    });
    return { ok: true, status: 200, body, text: async () => '' };
  };
  return {
    fetch,
    posts,
    push: (text: string) => push(text),
    end: () => end(),
    hold: () => (holdPosts = true),
    release: () => {
      holdPosts = false;
      releasePost?.();
    },
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('HttpStreamSocket', () => {
  it('derives the stream URLs from the WebSocket URL, keeping the query', () => {
    expect(streamUrl('ws://h:8000/ws/events?access_token=t')).toBe('http://h:8000/stream?access_token=t');
    expect(streamUrl('wss://h/ws/events', '/stream/send')).toBe('https://h/stream/send');
  });

  it('opens on the stream line, hands frames split across chunks whole, skips pings and closes with the close line', async () => {
    const f = fakeFetch();
    const socket = new HttpStreamSocket('ws://h/ws/events', f.fetch);
    const events: string[] = [];
    socket.onopen = () => events.push('open');
    socket.onmessage = (e) => events.push(`message ${String(e.data)}`);
    socket.onclose = (e) => events.push(`close ${e.code} ${e.reason} ${e.wasClean}`);
    await tick();
    f.push('{"type":"stream","token":"n-1.1.secret"}\n{"type":"wel');
    await tick();
    expect(events).toEqual(['open']);
    expect(socket.readyState).toBe(1);
    f.push('come"}\n{"type":"ping"}\n\n{"type":"pub","message":"a"}\n{"type":"close","code":1001,"reason":"server shutting down"}\n');
    await tick();
    expect(events).toEqual([
      'open',
      'message {"type":"welcome"}',
      'message {"type":"pub","message":"a"}',
      'close 1001 server shutting down true',
    ]);
    expect(socket.readyState).toBe(3);
  });

  it('posts frames one POST at a time with the token, batching what was sent meanwhile in order', async () => {
    const f = fakeFetch();
    const socket = new HttpStreamSocket('ws://h/ws/events?access_token=t', f.fetch);
    await tick();
    f.push('{"type":"stream","token":"tok"}\n');
    await tick();
    f.hold();
    socket.send('{"n":1}');
    socket.send('{"n":2}');
    socket.send('{"n":3}');
    await tick();
    expect(f.posts.map((p) => p.body)).toEqual(['{"n":1}']);
    expect(f.posts[0]?.headers['Broadcast-Stream']).toBe('tok');
    expect(f.posts[0]?.url).toBe('http://h/stream/send');
    f.release();
    await tick();
    await tick();
    expect(f.posts.map((p) => p.body)).toEqual(['{"n":1}', '{"n":2}\n{"n":3}']);
  });

  it('a response that ends without a close line, or a refused POST, is an abnormal close', async () => {
    const cut = fakeFetch();
    const a = new HttpStreamSocket('ws://h/ws/events', cut.fetch);
    let closed: number | undefined;
    a.onclose = (e) => (closed = e.code);
    await tick();
    cut.push('{"type":"stream","token":"tok"}\n');
    await tick();
    cut.end();
    await tick();
    await tick();
    expect(closed).toBe(1006);

    const refused = fakeFetch(404);
    const b = new HttpStreamSocket('ws://h/ws/events', refused.fetch);
    let reason = '';
    b.onclose = (e) => (reason = e.reason);
    await tick();
    refused.push('{"type":"stream","token":"tok"}\n');
    await tick();
    b.send('{"type":"hello"}');
    await tick();
    await tick();
    expect(reason).toBe('send refused (HTTP 404)');
  });
});
