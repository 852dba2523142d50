/**
 * Settings: turns the process environment into a typed, validated settings
 * object before anything listens. It owns the defaults and the error messages
 * that name the offending variable; it must not read anything but the env
 * object it is given, so tests never depend on the real environment.
 */
'use strict';

// ECS stops a task with SIGTERM and sends SIGKILL after the container's
// stopTimeout (30 s by default). Finishing our own shutdown 5 s earlier
// leaves room to flush logs and exit with a code we chose.
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 25_000;

// The ALB keeps idle connections to targets open for 60 s by default. If the
// app closed them sooner, the ALB could reuse a socket the app is closing and
// answer the client with a 502, so the app must outwait it.
const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** An invalid setting; its message names the variable. */
class ConfigError extends Error {
  name = 'ConfigError';
}

function integer(env, name, fallback, min, max) {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw.trim());
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(
      `${name}: expected an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

/** Reads the settings from `env` (process.env in production). */
function loadConfig(env) {
  const secret = env.SECRET_WORD;
  return {
    port: integer(env, 'PORT', 3000, 0, 65_535),
    host: env.HOST && env.HOST.trim() !== '' ? env.HOST.trim() : '0.0.0.0',
    // An empty value counts as unset: a blank SSM parameter is a mistake to
    // report, not a secret to show.
    secretWord: secret === undefined || secret === '' ? null : secret,
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', DEFAULT_SHUTDOWN_TIMEOUT_MS, 0, 600_000),
    // Capped so that headersTimeout (this plus 1 s, see server.js) stays
    // within node's 300 s requestTimeout, as node requires.
    keepAliveTimeoutMs: integer(env, 'KEEP_ALIVE_TIMEOUT_MS', DEFAULT_KEEP_ALIVE_TIMEOUT_MS, 1, 240_000),
  };
}

module.exports = { loadConfig, ConfigError };
