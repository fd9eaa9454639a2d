// The uWebSockets baseline: the original protocol (/ws/events, {"message"} in, {"message","timestamp"} out to
// every OTHER client, {"error","code"} to the sender of bad input) on uWS's own C++ topic publish, which skips
// the publishing socket. Single-threaded, as uWS is. usage: node server.mjs --port N (0: any free port)
import uWS from 'uwebsockets';

const at = process.argv.indexOf('--port');
const port = at > 0 ? Number(process.argv[at + 1]) : 18085;
if (!Number.isInteger(port) || port < 0 || port > 65535) { console.error('usage: node server.mjs --port N'); process.exit(2); }
let connections = 0;

// The original protocol's checks, in its order; null means the frame is a publication.
const reject = (error, code) => JSON.stringify({ error, code });
function check(body) {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return reject('Expected a JSON object.', 'not_an_object');
  if (!('message' in body)) return reject("Missing field 'message'.", 'message_missing');
  if (typeof body.message !== 'string') return reject("Field 'message' must be a string.", 'message_not_string');
  return body.message === '' ? reject("Field 'message' must not be empty.", 'message_empty') : null;
}

uWS.App()
  .ws('/ws/events', {
    // uWS's defaults except two that would change the outcome: 16 KB payloads (the 16 KB size run sends more) and a
    // 64 KB backlog per socket past which publish silently skips it (the other servers queue; ours is given 1 GiB).
    maxPayloadLength: 16 * 1024 * 1024,
    maxBackpressure: 1024 * 1024 * 1024,
    open: (ws) => { connections++; ws.subscribe('events'); },
    close: () => { connections--; },
    message: (ws, data, isBinary) => {
      if (isBinary) return void ws.send(reject('Only text frames carry messages.', 'binary_not_supported'));
      let body;
      try { body = JSON.parse(Buffer.from(data).toString('utf8')); } catch { return void ws.send(reject('Invalid JSON.', 'invalid_json')); }
      const error = check(body);
      if (error) return void ws.send(error);
      // Microseconds and +00:00, as the original (Python isoformat) sent; JavaScript's clock has milliseconds.
      const timestamp = new Date().toISOString().replace('Z', '000+00:00');
      ws.publish('events', JSON.stringify({ message: body.message, timestamp }));
    },
  })
  .get('/ws/events', (res) => { res.writeStatus('400 Bad Request').writeHeader('Content-Type', 'application/json').end(reject('WebSocket upgrade required.', 'websocket_required')); })
  .get('/health', (res) => { res.writeHeader('Content-Type', 'application/json').end(JSON.stringify({ status: 'healthy', connections })); })
  .any('/*', (res) => { res.writeStatus('404 Not Found').end(); })
  // Loopback only, whatever the port.
  .listen('127.0.0.1', port, (socket) => {
    if (!socket) { console.error(`cannot listen on 127.0.0.1:${port}`); process.exit(1); }
    console.log(`listening on 127.0.0.1:${uWS.us_socket_local_port(socket)}`);
  });
