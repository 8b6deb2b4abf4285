#!/usr/bin/env node
// Prints a snippet of snippets/rubric.json with every placeholder at its default, the way a user who
// tabs straight through it would get it. CI checks the expanded `scheme` snippet with `rubric check`
// and `rubric test`. Usage: node scripts/expand-snippet.js NAME
'use strict';
const fs = require('fs');
const path = require('path');

/** Expands `${N:default}`, `${N|a,b|}`, `$N` (a mirror of placeholder N) and `$0`. */
function expand(body) {
  const values = new Map();
  // first pass: learn the default of every numbered placeholder (nested ones included)
  function parse(s, i, stopAtBrace) {
    let out = '';
    while (i < s.length) {
      const c = s[i];
      if (c === '\\' && i + 1 < s.length) {
        out += s[i + 1];
        i += 2;
      } else if (stopAtBrace && c === '}') {
        return [out, i + 1];
      } else if (c === '$' && s[i + 1] === '{') {
        const m = /^\$\{(\d+)([:|])/.exec(s.slice(i));
        if (!m) throw new Error(`unsupported snippet syntax at ${JSON.stringify(s.slice(i, i + 20))}`);
        const n = m[1];
        i += m[0].length;
        let text;
        if (m[2] === '|') {
          const end = s.indexOf('|}', i);
          text = s.slice(i, end).split(',')[0];
          i = end + 2;
        } else {
          [text, i] = parse(s, i, true);
        }
        if (!values.has(n)) values.set(n, text);
        out += text;
      } else if (c === '$' && /\d/.test(s[i + 1] ?? '')) {
        const m = /^\$(\d+)/.exec(s.slice(i));
        const n = m[1];
        i += m[0].length;
        out += `\u0000${n}\u0000`; // resolved once every placeholder is known
      } else {
        out += c;
        i += 1;
      }
    }
    return [out, i];
  }
  const [raw] = parse(body, 0, false);
  return raw.replace(/\u0000(\d+)\u0000/g, (_, n) => (n === '0' ? '' : values.get(n) ?? ''));
}

const name = process.argv[2];
const snippets = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'snippets', 'rubric.json'), 'utf8'));
const entry = Object.entries(snippets).find(([key, s]) => key === name || s.prefix === name);
if (!entry) {
  console.error(`no snippet \`${name}\`; there are: ${Object.values(snippets).map((s) => s.prefix).join(', ')}`);
  process.exit(2);
}
const body = Array.isArray(entry[1].body) ? entry[1].body.join('\n') : entry[1].body;
process.stdout.write(expand(body).replace(/\t/g, '  ').replace(/\s+$/, '') + '\n');
