/**
 * Graceful shutdown: on SIGTERM or SIGINT, stop accepting connections, let
 * requests in flight finish, close keep-alive connections as soon as they
 * fall idle, and exit 0; if that takes longer than the timeout, exit 1 anyway.
 * It owns the process's exit during shutdown; it must not know about routes.
 */
'use strict';

/**
 * Wires shutdown to `server` and to `signals` on `proc`, and returns
 * `shutdown(reason)` so that callers can also trigger it directly.
 * `exit` and `proc` are parameters so that tests need not kill themselves.
 */
function installGracefulShutdown(server, {
  timeoutMs,
  log,
  signals = ['SIGTERM', 'SIGINT'],
  proc = process,
  exit = (code) => proc.exit(code),
}) {
  const inFlight = new Set();
  let closing = false;

  // Prepended so that every response is tracked before a handler can touch it.
  server.prependListener('request', (_req, res) => {
    inFlight.add(res);
    // A request that arrives on a kept-alive connection during shutdown is
    // served, but the client is told not to send another one on it.
    if (closing) res.setHeader('Connection', 'close');
    res.once('close', () => {
      inFlight.delete(res);
      // server.close() only closes connections that are idle at the time it
      // is called; one that falls idle later would stay open until the
      // keep-alive timeout (longer than ECS waits), so close it now. The
      // connection is marked idle after this event, hence setImmediate.
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
  });

  function shutdown(reason) {
    if (closing) {
      log({ level: 'warn', msg: 'already shutting down', reason });
      return;
    }
    closing = true;

    for (const res of inFlight) {
      if (!res.headersSent) res.setHeader('Connection', 'close');
    }

    // unref: the timer alone must not keep the process alive.
    const deadline = setTimeout(() => {
      log({ level: 'error', msg: 'shutdown timed out; exiting with requests in flight', in_flight: inFlight.size });
      exit(1);
    }, timeoutMs);
    deadline.unref();

    // Stops listening at once (new connections are refused); the callback runs
    // when the last connection has closed.
    server.close(() => {
      clearTimeout(deadline);
      log({ level: 'info', msg: 'stopped' });
      exit(0);
    });
    server.closeIdleConnections();
    // Logged last, so a reader of this line knows the listener is closed.
    log({ level: 'info', msg: 'shutting down', reason, in_flight: inFlight.size, timeout_ms: timeoutMs });
  }

  for (const signal of signals) proc.on(signal, () => shutdown(signal));
  return shutdown;
}

module.exports = { installGracefulShutdown };
