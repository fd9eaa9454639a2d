/**
 * The text/event-stream format (the HTML standard's "event stream" parsing), shared by EventStreamReader
 * and the client's 'sse' transport: events are split on blank lines, `event`, `id` and `data` fields read,
 * comments (`: ping`) skipped. Only what the broadcast server writes is needed (no `retry`).
 */

/** One event: its name (`message` when unnamed), its id (undefined when it had none) and its data. */
export interface ServerSentEvent {
  readonly name: string;
  readonly id: string | undefined;
  readonly data: string;
}

/**
 * Reads events from a response body until it ends (returns undefined) or `onEvent` returns something
 * other than undefined (returned at once: the caller is done with this response).
 */
export async function readServerSentEvents<T>(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: ServerSentEvent) => T | undefined,
): Promise<T | undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  let name = '';
  let id: string | undefined;
  let data = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return undefined;
    buffered += decoder.decode(value, { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline).replace(/\r$/, '');
      buffered = buffered.slice(newline + 1);
      if (line === '') {
        if (data !== '') {
          const result = onEvent({ name: name || 'message', id, data: data.replace(/\n$/, '') });
          if (result !== undefined) return result;
        }
        name = '';
        id = undefined;
        data = '';
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') name = text;
      else if (field === 'id') id = text;
      else if (field === 'data') data += `${text}\n`;
    }
  }
}
