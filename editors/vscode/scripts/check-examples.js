#!/usr/bin/env node
// Tokenizes every .rubric file under the given folders with the TextMate grammar and fails on any
// token scoped `invalid.*` (an unknown escape, an unknown field type, ...). The examples are valid
// schemes, so the grammar must take every one of them without complaint.
// Usage: node scripts/check-examples.js ../../examples
'use strict';
const fs = require('fs');
const path = require('path');
const vt = require('vscode-textmate');
const onig = require('vscode-oniguruma');

function* walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) yield* walk(p);
    } else if (entry.name.endsWith('.rubric')) {
      yield p;
    }
  }
}

async function main() {
  const dirs = process.argv.slice(2);
  if (dirs.length === 0) {
    console.error('usage: check-examples.js DIR...');
    process.exit(2);
  }
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await onig.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vt.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new onig.OnigScanner(patterns),
      createOnigString: (s) => new onig.OnigString(s),
    }),
    loadGrammar: async () => {
      const file = path.join(__dirname, '..', 'syntaxes', 'rubric.tmLanguage.json');
      return vt.parseRawGrammar(fs.readFileSync(file, 'utf8'), file);
    },
  });
  const grammar = await registry.loadGrammar('source.rubric');
  let files = 0;
  let lines = 0;
  let codes = 0;
  const problems = [];
  for (const dir of dirs) {
    for (const file of walk(dir)) {
      files += 1;
      let state = vt.INITIAL;
      const text = fs.readFileSync(file, 'utf8').split(/\r?\n/);
      text.forEach((line, i) => {
        lines += 1;
        const r = grammar.tokenizeLine(line, state, 1000);
        if (r.stoppedEarly) problems.push(`${file}:${i + 1}: tokenizing stopped early`);
        for (const t of r.tokens) {
          const scopes = t.scopes.join(' ');
          if (/\binvalid\./.test(scopes)) {
            problems.push(`${file}:${i + 1}:${t.startIndex + 1}: \`${line.slice(t.startIndex, t.endIndex)}\` is ${scopes}`);
          }
          if (scopes.includes('variable.other.enummember.rubric')) codes += 1;
        }
        state = r.ruleStack;
      });
    }
  }
  for (const p of problems) console.log(p);
  console.log(`${files} files, ${lines} lines, ${codes} grade/tags codes highlighted, ${problems.length} problems`);
  if (files === 0 || problems.length > 0) process.exit(1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
