import { FakeSocketFactory } from '@broadcast/client/testing';
import { describe, expect, it } from 'vitest';
import { tappedSocketFactory, withToken } from './tappedSocket';

describe('withToken', () => {
  it('sets, replaces and removes access_token, keeping the rest of the URL', () => {
    expect(withToken('ws://h/ws/events', 'a b')).toBe('ws://h/ws/events?access_token=a+b');
    expect(withToken('ws://h/ws/events?access_token=old&x=1', 'new')).toBe('ws://h/ws/events?x=1&access_token=new');
    expect(withToken('ws://h/ws/events?access_token=old', undefined)).toBe('ws://h/ws/events');
  });
});

describe('tappedSocketFactory', () => {
  it('reports opens, frames both ways and closes, and still calls the client’s handlers', () => {
    const fakes = new FakeSocketFactory();
    const seen: string[] = [];
    let token = 't1';
    const create = tappedSocketFactory({
      inner: fakes.create,
      token: () => token,
      observer: {
        opened: (n) => seen.push(`open ${n}`),
        received: (raw) => seen.push(`in ${raw}`),
        sent: (raw) => seen.push(`out ${raw}`),
        closed: (n, info) => seen.push(`close ${n} opened=${info.opened} byClient=${info.byClient} ${info.event.code}`),
      },
    });
    const ws = create('ws://h/ws/events?access_token=stale', ['broadcast.v2']);
    expect(fakes.latest.url).toBe('ws://h/ws/events?access_token=t1');
    const handled: string[] = [];
    ws.onopen = () => handled.push('open');
    ws.onmessage = (e) => handled.push(String(e.data));
    ws.onclose = (e) => handled.push(`close ${e.code}`);
    fakes.latest.serverOpen();
    expect(ws.protocol).toBe('broadcast.v2');
    ws.send('{"type":"hello"}');
    fakes.latest.serverSend({ type: 'welcome' });
    fakes.latest.serverClose(1001, 'bye');
    expect(handled).toEqual(['open', '{"type":"welcome"}', 'close 1001']);
    expect(seen).toEqual(['open 1', 'out {"type":"hello"}', 'in {"type":"welcome"}', 'close 1 opened=true byClient=false 1001']);

    // The next attempt presents the current token; a refused upgrade closes without opening.
    token = 't2';
    create('ws://h/ws/events', ['broadcast.v2']);
    expect(fakes.latest.url).toBe('ws://h/ws/events?access_token=t2');
    fakes.latest.serverClose(1006);
    expect(seen.at(-1)).toBe('close 2 opened=false byClient=false 1006');
  });

  it('marks closes the client asked for', () => {
    const fakes = new FakeSocketFactory();
    const closes: boolean[] = [];
    const ws = tappedSocketFactory({ inner: fakes.create, observer: { closed: (_n, info) => closes.push(info.byClient) } })('ws://h/', []);
    ws.close();
    fakes.latest.onclose?.({ code: 1006, reason: '', wasClean: false });
    expect(closes).toEqual([true]);
  });
});
