/**
 * Responses: writes a complete response with the headers every answer needs.
 * It owns Content-Length and the security and caching headers; it must not
 * decide what a route says. HEAD requests get the same headers and no body
 * (node:http drops the body of a HEAD response itself).
 */
'use strict';

// Pages are static text: no scripts, styles or frames are ever needed, so the
// policy forbids them all, which defuses any markup that escaping missed.
const HTML_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

function send(res, status, contentType, body, headers = {}) {
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    // /secret_word must never sit in a shared cache, and no answer here is
    // worth caching: each describes the process and request that produced it.
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(body);
}

function sendHtml(res, status, html, headers = {}) {
  send(res, status, 'text/html; charset=utf-8', html, {
    'Content-Security-Policy': HTML_POLICY,
    ...headers,
  });
}

function sendJson(res, status, value, headers = {}) {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(value)}\n`, headers);
}

module.exports = { send, sendHtml, sendJson };
