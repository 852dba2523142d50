/**
 * The request handler: matches a path to a route, enforces GET/HEAD, turns
 * failures into 404/405/500 answers, and logs one JSON line per request when
 * its response closes. It owns the HTTP rules common to every route; it must
 * not open sockets or read the environment (server.js does both).
 */
'use strict';

const { escapeHtml, page } = require('./html');
const { sendHtml } = require('./respond');

const ALLOWED_METHODS = new Set(['GET', 'HEAD']);
const ALLOW = 'GET, HEAD';

/** The path without query string or fragment; the query may carry secrets. */
function pathOf(url) {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

function fail(res, status, message, headers) {
  sendHtml(res, status, page(`${status}`, `<h1>${status}</h1>\n<p>${escapeHtml(message)}</p>`), headers);
}

function logWhenClosed(req, res, path, log) {
  const started = process.hrtime.bigint();
  res.once('close', () => {
    const fields = {
      method: req.method,
      path,
      status: res.statusCode,
      // Microsecond precision is plenty; more digits are noise in the logs.
      duration_ms: Math.round(Number(process.hrtime.bigint() - started) / 1e3) / 1e3,
      trace_id: req.headers['x-amzn-trace-id'] ?? null,
    };
    // The client went away before the response was complete.
    if (!res.writableFinished) fields.aborted = true;
    log(fields);
  });
}

/**
 * Returns `handler(req, res)` for http.createServer.
 * `routes`: Map from exact path to `(req, res)` handler (see routes.js).
 * `extraRoutes`: more entries merged over `routes`. Only the tests pass it,
 * to add a deliberately slow handler without shipping one as a route.
 * `log`: the logger from log.js.
 */
function createApp({ routes, extraRoutes = [], log }) {
  const table = new Map([...routes, ...extraRoutes]);

  return async function handle(req, res) {
    const path = pathOf(req.url ?? '/');
    logWhenClosed(req, res, path, log);

    const route = table.get(path);
    if (route === undefined) return fail(res, 404, `Nothing here: ${path}`);
    if (!ALLOWED_METHODS.has(req.method)) {
      return fail(res, 405, `Method ${req.method} is not allowed here.`, { Allow: ALLOW });
    }

    try {
      await route(req, res);
    } catch (error) {
      log({ level: 'error', msg: 'request handler failed', path, error: String(error?.stack ?? error) });
      if (!res.headersSent) fail(res, 500, 'Internal error.');
      else res.destroy();
    }
  };
}

module.exports = { createApp, pathOf };
