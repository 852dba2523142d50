/**
 * Logging: one JSON object per line on a writable stream (stdout in
 * production), which CloudWatch Logs and most log shippers parse without
 * configuration. It owns the line format; it must not decide what is worth
 * logging, and it never writes to disk (the task's root filesystem is
 * read-only).
 */
'use strict';

/** Returns `log(fields)`, which writes `{time, ...fields}` as one line. */
function createLogger(stream = process.stdout, now = () => new Date()) {
  return function log(fields) {
    stream.write(`${JSON.stringify({ time: now().toISOString(), ...fields })}\n`);
  };
}

module.exports = { createLogger };
