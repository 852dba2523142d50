// Settings from the environment: defaults, parsing, and the exact messages
// that name a bad variable.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');

const { loadConfig, ConfigError } = require('../src/config');

test('an empty environment gives the defaults', () => {
  assert.deepEqual(loadConfig({}), {
    port: 3000,
    host: '0.0.0.0',
    secretWord: null,
    shutdownTimeoutMs: 25_000,
    keepAliveTimeoutMs: 65_000,
  });
});

test('every setting is read from its variable', () => {
  const env = {
    PORT: '8080',
    HOST: '127.0.0.1',
    SECRET_WORD: 'TwelveFactor',
    SHUTDOWN_TIMEOUT_MS: '1000',
    KEEP_ALIVE_TIMEOUT_MS: '70000',
  };
  assert.deepEqual(loadConfig(env), {
    port: 8080,
    host: '127.0.0.1',
    secretWord: 'TwelveFactor',
    shutdownTimeoutMs: 1000,
    keepAliveTimeoutMs: 70_000,
  });
});

test('PORT=0 is allowed, so that tests can ask for a random port', () => {
  assert.equal(loadConfig({ PORT: '0' }).port, 0);
});

test('blank values fall back to the defaults and an empty SECRET_WORD counts as unset', () => {
  const settings = loadConfig({ PORT: ' ', HOST: '', SECRET_WORD: '' });
  assert.equal(settings.port, 3000);
  assert.equal(settings.host, '0.0.0.0');
  assert.equal(settings.secretWord, null);
});

test('a secret word is kept exactly as given, spaces included', () => {
  assert.equal(loadConfig({ SECRET_WORD: ' two words ' }).secretWord, ' two words ');
});

for (const bad of ['abc', '3.5', '-1', '65536', '80a']) {
  test(`PORT=${JSON.stringify(bad)} is rejected with a message naming PORT`, () => {
    assert.throws(() => loadConfig({ PORT: bad }), (error) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.message, `PORT: expected an integer from 0 to 65535, got ${JSON.stringify(bad)}`);
      return true;
    });
  });
}

test('a bad SHUTDOWN_TIMEOUT_MS is rejected with a message naming it', () => {
  assert.throws(() => loadConfig({ SHUTDOWN_TIMEOUT_MS: 'soon' }), {
    name: 'ConfigError',
    message: 'SHUTDOWN_TIMEOUT_MS: expected an integer from 0 to 600000, got "soon"',
  });
});

test('KEEP_ALIVE_TIMEOUT_MS above 240 s is rejected, to stay within node\'s request timeout', () => {
  assert.throws(() => loadConfig({ KEEP_ALIVE_TIMEOUT_MS: '300000' }), {
    name: 'ConfigError',
    message: 'KEEP_ALIVE_TIMEOUT_MS: expected an integer from 1 to 240000, got "300000"',
  });
});
