/**
 * Routes: the table of paths this service answers and what each one says.
 * Each handler gets `(req, res)` and answers through respond.js. It owns the
 * wording of the checks; it must not do method checks, logging or error
 * handling (app.js does), and it reads no environment itself: the settings
 * and the container verdict are passed in.
 */
'use strict';

const { escapeHtml, page } = require('./html');
const { sendHtml, sendJson } = require('./respond');

const SERVICE = 'quest';

// Path and the one-line question each check answers, in index order.
const CHECKS = [
  ['/docker', 'Is the service running in a container?'],
  ['/secret_word', 'What is the secret word?'],
  ['/loadbalanced', 'Did this request come through an AWS load balancer?'],
  ['/tls', 'Did the client connect over HTTPS at the load balancer?'],
  ['/healthz', 'Health check for the load balancer (JSON).'],
];

/** The first value of a header that proxies may send as a comma-separated list. */
function firstValue(header) {
  return header === undefined ? undefined : header.split(',')[0].trim();
}

function answer(res, title, text) {
  sendHtml(res, 200, page(`${SERVICE}: ${title}`, `<h1>${escapeHtml(title)}</h1>\n<p>${text}</p>`));
}

function index(_req, res) {
  const items = CHECKS.map(
    ([path, question]) => `<li><a href="${path}">${path}</a>: ${escapeHtml(question)}</li>`,
  ).join('\n');
  const body = `<h1>${SERVICE}</h1>\n<p>The ${SERVICE} service. Checks:</p>\n<ul>\n${items}\n</ul>`;
  sendHtml(res, 200, page(SERVICE, body));
}

/**
 * Builds the route table: a Map from exact path to handler.
 * `settings.secretWord` is null when SECRET_WORD is unset; `container` is the
 * result of detectContainer().
 */
function createRoutes({ secretWord, container }) {
  return new Map([
    ['/', index],

    ['/docker', (_req, res) => {
      const text = container.inContainer
        ? `Yes: running in a container (${escapeHtml(container.reason)}).`
        : `No: not running in a container (${escapeHtml(container.reason)}).`;
      answer(res, 'docker', text);
    }],

    ['/secret_word', (_req, res) => {
      const text = secretWord === null
        ? 'SECRET_WORD is not set.'
        : `The secret word is <strong>${escapeHtml(secretWord)}</strong>.`;
      answer(res, 'secret word', text);
    }],

    ['/loadbalanced', (req, res) => {
      const trace = req.headers['x-amzn-trace-id'];
      const text = trace === undefined
        ? 'No: this request did not come through an AWS load balancer (no X-Amzn-Trace-Id header).'
        : `Yes: this request came through an AWS load balancer (X-Amzn-Trace-Id: ${escapeHtml(trace)}).`;
      answer(res, 'load balanced', text);
    }],

    ['/tls', (req, res) => {
      const proto = firstValue(req.headers['x-forwarded-proto']);
      let text;
      if (proto === undefined) {
        text = 'No: the request did not say how the client connected (no X-Forwarded-Proto header).';
      } else if (proto.toLowerCase() === 'https') {
        text = 'Yes: the client connected over HTTPS at the load balancer (X-Forwarded-Proto: https).';
      } else {
        text = `No: the client did not connect over HTTPS (X-Forwarded-Proto: ${escapeHtml(proto)}).`;
      }
      answer(res, 'tls', text);
    }],

    ['/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' })],
  ]);
}

module.exports = { createRoutes, SERVICE };
