// The extension manifest, the code and the files it names agree with each other.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const root = path.join(__dirname, '..', '..');
const read = (p: string) => fs.readFileSync(path.join(root, p), 'utf8');
const manifest = JSON.parse(read('package.json'));
const contributes = manifest.contributes;

describe('package.json', () => {
  it('registers every contributed command in the extension, and no other', () => {
    const code = read(path.join('out', 'extension.js'));
    const registered = [...code.matchAll(/registerCommand\('([^']+)'/g)].map((m) => m[1]).sort();
    const declared = contributes.commands.map((c: { command: string }) => c.command).sort();
    assert.deepEqual(registered, declared);
    assert.ok(declared.includes('rubric.runTests'));
  });

  it('declares the three settings', () => {
    const props = contributes.configuration.properties;
    assert.deepEqual(Object.keys(props).sort(), ['rubric.server.extraArgs', 'rubric.server.path', 'rubric.trace.server']);
    assert.deepEqual(props['rubric.server.extraArgs'].default, []);
    assert.deepEqual(props['rubric.trace.server'].enum, ['off', 'messages', 'verbose']);
  });

  it('keeps the settings that choose the server to the user in an untrusted workspace', () => {
    const untrusted = manifest.capabilities.untrustedWorkspaces;
    assert.equal(untrusted.supported, 'limited');
    assert.ok(untrusted.description.length > 0);
    assert.deepEqual([...untrusted.restrictedConfigurations].sort(), ['rubric.server.extraArgs', 'rubric.server.path']);
  });

  it('ties the rubric language to *.rubric, the grammar, the snippets and the icon', () => {
    const lang = contributes.languages.find((l: { id: string }) => l.id === 'rubric');
    assert.deepEqual(lang.extensions, ['.rubric']);
    const grammar = contributes.grammars[0];
    assert.equal(grammar.language, 'rubric');
    assert.equal(JSON.parse(read(grammar.path)).scopeName, grammar.scopeName);
    assert.equal(grammar.scopeName, 'source.rubric');
    assert.ok(fs.existsSync(path.join(root, contributes.snippets[0].path)));
    assert.ok(fs.existsSync(path.join(root, lang.configuration)));
  });

  it('has a 128x128 PNG icon', () => {
    const png = fs.readFileSync(path.join(root, manifest.icon));
    assert.equal(png.subarray(1, 4).toString('ascii'), 'PNG');
    assert.equal(png.readUInt32BE(16), 128);
    assert.equal(png.readUInt32BE(20), 128);
  });
});

describe('language-configuration.json', () => {
  const conf = JSON.parse(read('language-configuration.json'));
  const increase = new RegExp(conf.indentationRules.increaseIndentPattern);
  const decrease = new RegExp(conf.indentationRules.decreaseIndentPattern);

  it('uses // comments and closes brackets and quotes', () => {
    assert.equal(conf.comments.lineComment, '//');
    const pairs = conf.autoClosingPairs.map((p: { open: string; close: string }) => p.open + p.close);
    for (const p of ['{}', '[]', '()', '""']) assert.ok(pairs.includes(p), p);
  });

  it('indents after an open { or [ and outdents at the closing one', () => {
    for (const line of ['input {', 'grade tier "客户等级" by revenue {', '  given [', 'test "x" {   // note']) {
      assert.ok(increase.test(line), line);
    }
    for (const line of ['  a when x { owner: "a" }', 'let x = [1, 2]', '// {']) {
      assert.ok(!increase.test(line), line);
    }
    for (const line of ['}', '  ]', '} bonus 1.05 when loyal']) assert.ok(decrease.test(line), line);
  });

  it('takes Chinese names and percents as whole words', () => {
    const word = new RegExp(conf.wordPattern, 'g');
    assert.deepEqual('营业额 >= 50% and tier.owner'.match(word), ['营业额', '50%', 'and', 'tier', 'owner']);
  });
});
