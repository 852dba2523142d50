/**
 * Entry point: reads the settings from the environment, detects the
 * container once, builds the app, listens, and installs graceful shutdown.
 * It owns the process (its exit codes and its startup log line); everything
 * it wires together lives in its own file.
 *
 * Exit codes: 0 after a clean shutdown, 1 when the server fails or shutdown
 * times out, 2 when the environment holds an invalid setting.
 */
'use strict';

const http = require('node:http');

const { createApp } = require('./app');
const { loadConfig, ConfigError } = require('./config');
const { detectContainer } = require('./container');
const { createLogger } = require('./log');
const { createRoutes } = require('./routes');
const { installGracefulShutdown } = require('./shutdown');

const EXIT_FAILURE = 1;
const EXIT_CONFIG = 2;

/**
 * Starts the service and returns the http.Server. Options exist for tests:
 * `env` (default process.env), `stdout` for log lines, `containerPaths` for
 * detectContainer, and `extraRoutes` (see createApp).
 */
function start({ env = process.env, stdout = process.stdout, containerPaths, extraRoutes } = {}) {
  const settings = loadConfig(env);
  const log = createLogger(stdout);
  const container = detectContainer(containerPaths);

  const routes = createRoutes({ secretWord: settings.secretWord, container });
  const server = http.createServer(createApp({ routes, extraRoutes, log }));
  server.keepAliveTimeout = settings.keepAliveTimeoutMs;
  // Node must not give up on a request's headers while the connection is
  // still within its keep-alive window, or the ALB sees a reset (a 502).
  server.headersTimeout = settings.keepAliveTimeoutMs + 1_000;

  installGracefulShutdown(server, { timeoutMs: settings.shutdownTimeoutMs, log });

  server.on('error', (error) => {
    log({ level: 'error', msg: 'server failed', error: error.message });
    process.exit(EXIT_FAILURE);
  });
  server.listen(settings.port, settings.host, () => {
    const { address, port } = server.address();
    log({ level: 'info', msg: 'listening', address, port, in_container: container.inContainer });
  });
  return server;
}

function main() {
  try {
    start();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    createLogger(process.stdout)({ level: 'error', msg: 'invalid configuration', error: error.message });
    process.exitCode = EXIT_CONFIG;
  }
}

if (require.main === module) main();

module.exports = { start };
