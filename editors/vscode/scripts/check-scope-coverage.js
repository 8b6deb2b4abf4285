#!/usr/bin/env node
// Fails unless every scope the grammar can assign is asserted by at least one grammar test in
// tests/grammar/, so a new rule in the grammar comes with a test.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const grammar = JSON.parse(fs.readFileSync(path.join(root, 'syntaxes', 'rubric.tmLanguage.json'), 'utf8'));

const defined = new Set();
(function collect(node) {
  if (Array.isArray(node)) return node.forEach(collect);
  if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if ((k === 'name' || k === 'contentName') && typeof v === 'string' && v !== grammar.name) {
        v.split(/\s+/).forEach((s) => defined.add(s));
      } else {
        collect(v);
      }
    }
  }
})(grammar.repository);
for (const p of grammar.patterns) if (p.name) defined.add(p.name);

const asserted = new Set();
const dir = path.join(root, 'tests', 'grammar');
for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.rubric'))) {
  for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
    const m = /^\/\/\s*(?:\^+|<~*-+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const required = m[1].split(/\s+-\s+|\s+-$/)[0];
    required.split(/\s+/).filter(Boolean).forEach((s) => asserted.add(s));
  }
}

const missing = [...defined].filter((s) => !asserted.has(s)).sort();
console.log(`${defined.size} scopes in the grammar, ${defined.size - missing.length} asserted by tests/grammar`);
if (missing.length > 0) {
  console.log(`not asserted by any grammar test:\n  ${missing.join('\n  ')}`);
  process.exit(1);
}
