/**
 * HTML: the page shell and the escaping of every value placed in it. It owns
 * the rule that nothing from a request or the environment reaches a page
 * unescaped; it must not know about routes or HTTP.
 */
'use strict';

const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for use in HTML element content and quoted attributes. */
function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/** A complete page; `bodyHtml` must already be escaped by the caller. */
function page(title, bodyHtml) {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head><meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title></head>`,
    `<body>${bodyHtml}</body>`,
    '</html>',
    '',
  ].join('\n');
}

module.exports = { escapeHtml, page };
