// Every route, the headers they read and write, 404, 405, HEAD, handler
// failures and the per-request log line, against an in-process server on a
// random loopback port.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { once } = require('node:events');

const { createApp } = require('../src/app');
const { createRoutes } = require('../src/routes');

const IN_CONTAINER = { inContainer: true, reason: '/.dockerenv exists' };
const ON_HOST = { inContainer: false, reason: 'no container sign found' };
const TRACE = 'Root=1-67891233-abcdef012345678912345678';

/**
 * Starts the app on 127.0.0.1:0 and returns `{ url, logs, nextLog }`;
 * `logs` collects every logged object, `nextLog()` waits for the next one.
 */
async function serve(t, { secretWord = null, container = IN_CONTAINER, extraRoutes } = {}) {
  const logs = [];
  const waiting = [];
  const log = (fields) => {
    logs.push(fields);
    while (waiting.length > 0) waiting.shift()(fields);
  };
  const routes = createRoutes({ secretWord, container });
  const server = http.createServer(createApp({ routes, extraRoutes, log }));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return {
    url: (path) => `http://127.0.0.1:${server.address().port}${path}`,
    logs,
    nextLog: () => new Promise((resolve) => waiting.push(resolve)),
  };
}

/** fetch, plus the body as text. */
async function get(url, init) {
  const response = await fetch(url, init);
  return { response, body: await response.text() };
}

test('/ names the service and links every check', async (t) => {
  const app = await serve(t);
  const { response, body } = await get(app.url('/'));
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.match(body, /<title>quest<\/title>/);
  assert.match(body, /<h1>quest<\/h1>/);
  for (const path of ['/docker', '/secret_word', '/loadbalanced', '/tls', '/healthz']) {
    assert.ok(body.includes(`<a href="${path}">`), `index links ${path}`);
  }
});

test('every HTML answer carries Content-Length and the security and caching headers', async (t) => {
  const app = await serve(t);
  const { response, body } = await get(app.url('/'));
  assert.equal(response.headers.get('content-length'), String(Buffer.byteLength(body)));
  assert.equal(response.headers.get('cache-control'), 'no-store');
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  assert.match(response.headers.get('content-security-policy'), /^default-src 'none'/);
});

test('/docker says yes, and why, in a container', async (t) => {
  const app = await serve(t, { container: IN_CONTAINER });
  const { response, body } = await get(app.url('/docker'));
  assert.equal(response.status, 200);
  assert.match(body, /<p>Yes: running in a container \(\/\.dockerenv exists\)\.<\/p>/);
});

test('/docker says no outside a container', async (t) => {
  const app = await serve(t, { container: ON_HOST });
  const { body } = await get(app.url('/docker'));
  assert.match(body, /<p>No: not running in a container \(no container sign found\)\.<\/p>/);
});

test('/secret_word answers with SECRET_WORD', async (t) => {
  const app = await serve(t, { secretWord: 'TwelveFactor' });
  const { response, body } = await get(app.url('/secret_word'));
  assert.equal(response.status, 200);
  assert.match(body, /<p>The secret word is <strong>TwelveFactor<\/strong>\.<\/p>/);
});

test('/secret_word escapes the secret it echoes', async (t) => {
  const app = await serve(t, { secretWord: '<script>alert("x")</script>&' });
  const { body } = await get(app.url('/secret_word'));
  assert.ok(!body.includes('<script>'));
  assert.ok(body.includes('<strong>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;</strong>'));
});

test('/secret_word says so when SECRET_WORD is not set', async (t) => {
  const app = await serve(t, { secretWord: null });
  const { response, body } = await get(app.url('/secret_word'));
  assert.equal(response.status, 200);
  assert.match(body, /<p>SECRET_WORD is not set\.<\/p>/);
  assert.ok(!body.includes('The secret word is'));
});

test('/loadbalanced says yes and shows the trace id when X-Amzn-Trace-Id is present', async (t) => {
  const app = await serve(t);
  const { response, body } = await get(app.url('/loadbalanced'), { headers: { 'X-Amzn-Trace-Id': TRACE } });
  assert.equal(response.status, 200);
  assert.ok(body.includes(`<p>Yes: this request came through an AWS load balancer (X-Amzn-Trace-Id: ${TRACE}).</p>`));
});

test('/loadbalanced says no without X-Amzn-Trace-Id', async (t) => {
  const app = await serve(t);
  const { body } = await get(app.url('/loadbalanced'));
  assert.ok(body.includes('<p>No: this request did not come through an AWS load balancer (no X-Amzn-Trace-Id header).</p>'));
});

test('/loadbalanced escapes the trace id it echoes', async (t) => {
  const app = await serve(t);
  const { body } = await get(app.url('/loadbalanced'), { headers: { 'X-Amzn-Trace-Id': '<i>x</i>' } });
  assert.ok(body.includes('(X-Amzn-Trace-Id: &lt;i&gt;x&lt;/i&gt;)'));
});

for (const proto of ['https', 'HTTPS', 'https, http']) {
  test(`/tls says yes for X-Forwarded-Proto: ${proto}`, async (t) => {
    const app = await serve(t);
    const { body } = await get(app.url('/tls'), { headers: { 'X-Forwarded-Proto': proto } });
    assert.ok(body.includes('<p>Yes: the client connected over HTTPS at the load balancer (X-Forwarded-Proto: https).</p>'));
  });
}

test('/tls says no for X-Forwarded-Proto: http', async (t) => {
  const app = await serve(t);
  const { body } = await get(app.url('/tls'), { headers: { 'X-Forwarded-Proto': 'http' } });
  assert.ok(body.includes('<p>No: the client did not connect over HTTPS (X-Forwarded-Proto: http).</p>'));
});

test('/tls says no without X-Forwarded-Proto', async (t) => {
  const app = await serve(t);
  const { body } = await get(app.url('/tls'));
  assert.ok(body.includes('<p>No: the request did not say how the client connected (no X-Forwarded-Proto header).</p>'));
});

test('/healthz answers 200 with a small JSON body', async (t) => {
  const app = await serve(t);
  const { response, body } = await get(app.url('/healthz'));
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'application/json; charset=utf-8');
  assert.equal(response.headers.get('cache-control'), 'no-store');
  assert.deepEqual(JSON.parse(body), { status: 'ok' });
});

test('a query string does not change the route', async (t) => {
  const app = await serve(t);
  const { response } = await get(app.url('/healthz?from=alb'));
  assert.equal(response.status, 200);
});

test('HEAD answers with the headers of GET and no body', async (t) => {
  const app = await serve(t, { secretWord: 'TwelveFactor' });
  const full = await get(app.url('/secret_word'));
  const head = await get(app.url('/secret_word'), { method: 'HEAD' });
  assert.equal(head.response.status, 200);
  assert.equal(head.body, '');
  assert.equal(head.response.headers.get('content-length'), full.response.headers.get('content-length'));
  assert.equal(head.response.headers.get('content-type'), full.response.headers.get('content-type'));
});

for (const path of ['/nope', '/docker/', '/Docker', '/secret_word/extra', '//docker']) {
  test(`${path} is 404`, async (t) => {
    const app = await serve(t);
    const { response, body } = await get(app.url(path));
    assert.equal(response.status, 404);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(body, /<h1>404<\/h1>/);
  });
}

for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
  test(`${method} on a route is 405 with Allow: GET, HEAD`, async (t) => {
    const app = await serve(t);
    const { response, body } = await get(app.url('/docker'), { method });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get('allow'), 'GET, HEAD');
    assert.match(body, new RegExp(`Method ${method} is not allowed here\\.`));
  });
}

test('a method other than GET or HEAD on an unknown path is still 404', async (t) => {
  const app = await serve(t);
  const { response } = await get(app.url('/nope'), { method: 'POST' });
  assert.equal(response.status, 404);
  assert.equal(response.headers.get('allow'), null);
});

test('each request logs one line: method, path without query, status, duration and trace id', async (t) => {
  const app = await serve(t);
  const logged = app.nextLog();
  await get(app.url('/loadbalanced?token=hidden'), { headers: { 'X-Amzn-Trace-Id': TRACE } });
  const line = await logged;

  assert.deepEqual(Object.keys(line), ['method', 'path', 'status', 'duration_ms', 'trace_id']);
  assert.equal(line.method, 'GET');
  assert.equal(line.path, '/loadbalanced');
  assert.equal(line.status, 200);
  assert.equal(typeof line.duration_ms, 'number');
  assert.ok(line.duration_ms >= 0 && line.duration_ms < 10_000);
  assert.equal(line.trace_id, TRACE);
  assert.equal(app.logs.length, 1);
});

test('the log line has a null trace id without the header, and logs 404 and 405 too', async (t) => {
  const app = await serve(t);
  let logged = app.nextLog();
  await get(app.url('/nope'));
  assert.deepEqual({ ...(await logged), duration_ms: 0 }, {
    method: 'GET', path: '/nope', status: 404, duration_ms: 0, trace_id: null,
  });

  logged = app.nextLog();
  await get(app.url('/tls'), { method: 'DELETE' });
  assert.deepEqual({ ...(await logged), duration_ms: 0 }, {
    method: 'DELETE', path: '/tls', status: 405, duration_ms: 0, trace_id: null,
  });
});

test('a handler that throws gives a 500 and an error log line', async (t) => {
  const extraRoutes = [['/boom', () => { throw new Error('kaboom'); }]];
  const app = await serve(t, { extraRoutes });
  const { response, body } = await get(app.url('/boom'));
  assert.equal(response.status, 500);
  assert.match(body, /Internal error\./);
  assert.ok(!body.includes('kaboom'), 'the error is not shown to the client');

  const error = app.logs.find((line) => line.level === 'error');
  assert.equal(error.msg, 'request handler failed');
  assert.equal(error.path, '/boom');
  assert.match(error.error, /kaboom/);
});

test('a handler that rejects gives a 500 too', async (t) => {
  const extraRoutes = [['/reject', async () => { throw new Error('later'); }]];
  const app = await serve(t, { extraRoutes });
  const { response } = await get(app.url('/reject'));
  assert.equal(response.status, 500);
});
