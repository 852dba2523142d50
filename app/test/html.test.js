// HTML escaping and the page shell.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');

const { escapeHtml, page } = require('../src/html');

test('escapeHtml replaces the five characters that matter in HTML', () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  assert.equal(escapeHtml('plain text'), 'plain text');
});

test('page escapes its title and keeps the body as given', () => {
  const html = page('<quest>', '<p>hi</p>');
  assert.match(html, /^<!doctype html>\n/);
  assert.match(html, /<title>&lt;quest&gt;<\/title>/);
  assert.match(html, /<body><p>hi<\/p><\/body>/);
});
