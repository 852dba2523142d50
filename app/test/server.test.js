// The real process: src/server.js (or its start() with a test-only slow
// route) run as a child on a random loopback port, then stopped with a
// signal. These tests own the shutdown guarantees ECS relies on: in-flight
// requests finish, new connections are refused, idle keep-alive connections
// are closed, the exit code is 0, and a stuck shutdown still ends.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const { once } = require('node:events');

const SERVER = path.join(__dirname, '..', 'src', 'server.js');

// The slow routes exist only in this script, passed to start() through
// `extraRoutes`; the shipped server has no way to add them. Each route logs
// "slow request started" once it holds a request, then waits for SIGUSR2.
const WITH_SLOW_ROUTES = `
const { start } = require(${JSON.stringify(SERVER)});
let release;
const released = new Promise((resolve) => { release = resolve; });
process.on('SIGUSR2', () => release());
const started = () => process.stdout.write(JSON.stringify({ msg: 'slow request started' }) + '\\n');
start({ extraRoutes: [
  ['/slow', async (req, res) => {
    started();
    await released;
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('finished\\n');
  }],
  ['/slow-stream', async (req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.write('started\\n');
    started();
    await released;
    res.end('finished\\n');
  }],
  ['/hang', () => started()],
] });
`;

// A child's environment: only what the server needs, never the test runner's.
function childEnv(extra) {
  return { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', ...extra };
}

/**
 * Spawns the server (`args` after node) and returns a handle with `lines`
 * (every parsed stdout line), `waitFor(predicate)`, `exited` (a promise of
 * `{ code, signal }`) and, once listening, `port`.
 */
async function spawnServer(t, { args = [SERVER], env = {}, expectListening = true } = {}) {
  const child = spawn(process.execPath, args, { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const handle = { child, lines: [], stderr: '' };
  const waiters = [];

  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => { handle.stderr += chunk; });
  let pending = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    pending += chunk;
    let newline;
    while ((newline = pending.indexOf('\n')) !== -1) {
      const line = JSON.parse(pending.slice(0, newline)); // every stdout line must be JSON
      pending = pending.slice(newline + 1);
      handle.lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  });

  handle.exited = once(child, 'exit').then(([code, signal]) => ({ code, signal }));
  handle.waitFor = (predicate) => {
    const seen = handle.lines.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      waiters.push({ predicate, resolve });
      handle.exited.then(() => reject(new Error(`server exited first; stderr: ${handle.stderr}`)));
    });
  };
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  if (expectListening) {
    handle.port = (await handle.waitFor((line) => line.msg === 'listening')).port;
  }
  return handle;
}

/** One request; resolves to `{ status, headers, body, socket }`. */
function request(port, urlPath, { agent = false, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent, headers }, (res) => {
      const { socket } = res; // a keep-alive agent detaches it once the body ends
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body, socket }));
    });
    req.on('error', reject);
  });
}

/** Resolves to the error code of a fresh TCP connection attempt, or 'connected'. */
function tryConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('connect', () => { socket.destroy(); resolve('connected'); });
    socket.on('error', (error) => resolve(error.code));
  });
}

const msg = (text) => (line) => line.msg === text;
const OPTIONS = { timeout: 15_000 };

test('the server logs where it listens, serves requests, and logs each one as a JSON line', OPTIONS, async (t) => {
  const server = await spawnServer(t, { env: { SECRET_WORD: 'TwelveFactor' } });
  const listening = server.lines[0];
  assert.equal(listening.level, 'info');
  assert.equal(listening.address, '127.0.0.1');
  assert.equal(typeof listening.in_container, 'boolean');
  assert.match(listening.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

  const health = await request(server.port, '/healthz');
  assert.equal(health.status, 200);
  assert.deepEqual(JSON.parse(health.body), { status: 'ok' });

  const secret = await request(server.port, '/secret_word', { headers: { 'X-Amzn-Trace-Id': 'Root=1-abc' } });
  assert.match(secret.body, /<strong>TwelveFactor<\/strong>/);

  const line = await server.waitFor((l) => l.path === '/secret_word');
  assert.deepEqual(Object.keys(line), ['time', 'method', 'path', 'status', 'duration_ms', 'trace_id']);
  assert.equal(line.status, 200);
  assert.equal(line.trace_id, 'Root=1-abc');
  assert.ok(!JSON.stringify(server.lines).includes('TwelveFactor'), 'the secret is never logged');

  server.child.kill('SIGTERM');
  assert.deepEqual(await server.exited, { code: 0, signal: null });
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  test(`${signal} with nothing in flight stops the server with exit code 0`, OPTIONS, async (t) => {
    const server = await spawnServer(t);
    server.child.kill(signal);
    assert.deepEqual(await server.exited, { code: 0, signal: null });
    const shutting = server.lines.find(msg('shutting down'));
    assert.equal(shutting.reason, signal);
    assert.equal(shutting.in_flight, 0);
    assert.equal(shutting.timeout_ms, 25_000);
    assert.ok(server.lines.some(msg('stopped')));
  });
}

test('SIGTERM lets a request in flight finish, refuses new connections, then exits 0', OPTIONS, async (t) => {
  const server = await spawnServer(t, { args: ['-e', WITH_SLOW_ROUTES] });
  const agent = new http.Agent({ keepAlive: true });
  t.after(() => agent.destroy());

  const slow = request(server.port, '/slow', { agent });
  await server.waitFor(msg('slow request started'));

  server.child.kill('SIGTERM');
  const shutting = await server.waitFor(msg('shutting down'));
  assert.equal(shutting.in_flight, 1);
  assert.equal(await tryConnect(server.port), 'ECONNREFUSED');
  assert.equal(server.child.exitCode, null, 'still running while the request is in flight');

  server.child.kill('SIGUSR2');
  const response = await slow;
  assert.equal(response.status, 200);
  assert.equal(response.body, 'finished\n');
  // Its headers were not sent yet, so the client is told not to reuse the connection.
  assert.equal(response.headers.connection, 'close');

  assert.deepEqual(await server.exited, { code: 0, signal: null });
  const logged = server.lines.find((line) => line.path === '/slow');
  assert.equal(logged.status, 200);
  assert.ok(server.lines.indexOf(logged) < server.lines.findIndex(msg('stopped')));
});

test('a streaming response in flight on a keep-alive connection finishes, then the connection is closed', OPTIONS, async (t) => {
  // Its headers already said keep-alive, so the server must close the
  // connection itself once the response ends, long before the 65 s
  // keep-alive timeout; otherwise the process would not exit.
  const server = await spawnServer(t, { args: ['-e', WITH_SLOW_ROUTES] });
  const agent = new http.Agent({ keepAlive: true });
  t.after(() => agent.destroy());

  const slow = request(server.port, '/slow-stream', { agent });
  await server.waitFor(msg('slow request started'));
  server.child.kill('SIGTERM');
  await server.waitFor(msg('shutting down'));
  assert.equal(await tryConnect(server.port), 'ECONNREFUSED');

  server.child.kill('SIGUSR2');
  const response = await slow;
  assert.equal(response.headers.connection, 'keep-alive');
  assert.equal(response.body, 'started\nfinished\n');

  const started = Date.now();
  assert.deepEqual(await server.exited, { code: 0, signal: null });
  assert.ok(Date.now() - started < 5_000, 'exits promptly, without waiting for the keep-alive timeout');
});

test('SIGTERM closes idle keep-alive connections at once', OPTIONS, async (t) => {
  const server = await spawnServer(t);
  const agent = new http.Agent({ keepAlive: true });
  t.after(() => agent.destroy());

  const first = await request(server.port, '/healthz', { agent });
  assert.equal(first.headers.connection, 'keep-alive');
  const socketClosed = once(first.socket, 'close');

  const started = Date.now();
  server.child.kill('SIGTERM');
  await socketClosed;
  assert.deepEqual(await server.exited, { code: 0, signal: null });
  assert.ok(Date.now() - started < 5_000, 'exits promptly, without waiting for the keep-alive timeout');
});

test('a shutdown that outlasts SHUTDOWN_TIMEOUT_MS exits 1 anyway', OPTIONS, async (t) => {
  const server = await spawnServer(t, { args: ['-e', WITH_SLOW_ROUTES], env: { SHUTDOWN_TIMEOUT_MS: '300' } });
  const hanging = request(server.port, '/hang');
  hanging.catch(() => {}); // the socket is reset when the process exits
  await server.waitFor(msg('slow request started'));

  server.child.kill('SIGTERM');
  assert.deepEqual(await server.exited, { code: 1, signal: null });
  const timedOut = server.lines.find(msg('shutdown timed out; exiting with requests in flight'));
  assert.equal(timedOut.level, 'error');
  assert.equal(timedOut.in_flight, 1);
});

test('an invalid setting stops startup with exit code 2 and a message naming it', OPTIONS, async (t) => {
  const server = await spawnServer(t, { env: { PORT: 'eighty' }, expectListening: false });
  assert.deepEqual(await server.exited, { code: 2, signal: null });
  assert.equal(server.lines.length, 1);
  assert.equal(server.lines[0].msg, 'invalid configuration');
  assert.equal(server.lines[0].error, 'PORT: expected an integer from 0 to 65535, got "eighty"');
});

test('a port already in use fails with exit code 1', OPTIONS, async (t) => {
  const blocker = net.createServer().listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  t.after(() => blocker.close());

  const server = await spawnServer(t, { env: { PORT: String(blocker.address().port) }, expectListening: false });
  assert.deepEqual(await server.exited, { code: 1, signal: null });
  const failed = server.lines.find(msg('server failed'));
  assert.match(failed.error, /EADDRINUSE/);
});
