// The log line format: one JSON object per line, time first.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');

const { createLogger } = require('../src/log');

test('each call writes exactly one JSON line with the time first', () => {
  const written = [];
  const stream = { write: (chunk) => written.push(chunk) };
  const log = createLogger(stream, () => new Date('2024-05-01T12:00:00.000Z'));

  log({ msg: 'hello', count: 2 });
  log({ msg: 'multi\nline' });

  assert.deepEqual(written, [
    '{"time":"2024-05-01T12:00:00.000Z","msg":"hello","count":2}\n',
    '{"time":"2024-05-01T12:00:00.000Z","msg":"multi\\nline"}\n',
  ]);
});
