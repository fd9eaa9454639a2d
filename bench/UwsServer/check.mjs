// A quick check that the uWebSockets baseline speaks the original protocol, so its benchmark figures are for
// the same work as the other servers': starts server.mjs on a free loopback port, connects two `ws` clients and
// checks that the other client gets a publication with its timestamp, the sender does not get its own, bad input
// gets {"error","code"} to the sender only, and /health counts the connections. Exits 0 when all hold.
// usage: npm ci && node check.mjs   (about half a second once installed)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import WebSocket from 'ws';

const TIMEOUT_MS = 20_000;
const timer = setTimeout(() => fail(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
const server = spawn(process.execPath, [fileURLToPath(new URL('server.mjs', import.meta.url)), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const sockets = [];

function fail(error) {
  console.error(`uws check: FAILED: ${error.message}`);
  finish(1);
}

function finish(code) {
  clearTimeout(timer);
  for (const s of sockets) s.terminate();
  server.kill();
  process.exitCode = code;
}

// Every frame a client receives, in order, awaited one at a time.
function connect(url) {
  const socket = new WebSocket(url);
  sockets.push(socket);
  const frames = [];
  const waiting = [];
  socket.on('message', (data, isBinary) => {
    const frame = { json: JSON.parse(data.toString()), isBinary };
    const next = waiting.shift();
    if (next) next(frame); else frames.push(frame);
  });
  socket.next = () => (frames.length ? Promise.resolve(frames.shift()) : new Promise((resolve) => waiting.push(resolve)));
  return once(socket, 'open').then(() => socket);
}

async function main() {
  const [line] = await once(server.stdout, 'data');
  const port = /listening on 127\.0\.0\.1:(\d+)/.exec(line.toString())?.[1];
  assert.ok(port, `server said: ${line}`);
  const a = await connect(`ws://127.0.0.1:${port}/ws/events`);
  const b = await connect(`ws://127.0.0.1:${port}/ws/events`);

  const health = await (await fetch(`http://127.0.0.1:${port}/health`)).json();
  assert.deepEqual(health, { status: 'healthy', connections: 2 });

  a.send(JSON.stringify({ message: 'from a' }));
  const got = await b.next();
  assert.equal(got.isBinary, false);
  assert.deepEqual(Object.keys(got.json), ['message', 'timestamp']);
  assert.equal(got.json.message, 'from a');
  assert.match(got.json.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);

  // Bad input: an error to its sender only. Then b publishes: had a been sent its own message, or b a's
  // error, that frame would have arrived first on the same socket (a sent before b).
  for (const [frame, code] of [['not json', 'invalid_json'], ['[1]', 'not_an_object'], ['{}', 'message_missing'],
    ['{"message":5}', 'message_not_string'], ['{"message":""}', 'message_empty'], [Buffer.from('{"message":"x"}'), 'binary_not_supported']]) {
    a.send(frame, { binary: typeof frame !== 'string' });
    const error = (await a.next()).json;
    assert.equal(error.code, code, `reply to ${frame}`);
    assert.equal(typeof error.error, 'string');
  }

  b.send(JSON.stringify({ message: 'from b' }));
  assert.equal((await a.next()).json.message, 'from b', 'the sender received its own message or the other got an error');
  a.send(JSON.stringify({ message: 'again from a' }));
  assert.equal((await b.next()).json.message, 'again from a', 'the other client received an error meant for the sender');

  const plain = await fetch(`http://127.0.0.1:${port}/ws/events`);
  assert.equal(plain.status, 400);
  assert.equal((await plain.json()).code, 'websocket_required');
  console.log('uws check: passed (publish to others only, timestamp, six error codes to the sender only, health, plain GET)');
  finish(0);
}

main().catch(fail);
