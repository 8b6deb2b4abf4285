#!/usr/bin/env node
// A stand-in for the `rubric` binary: `--version`, a minimal `lsp` (initialize, shutdown, exit)
// and `test DIR`, which prints $FAKE_RUBRIC_TEST_OUTPUT and exits with $FAKE_RUBRIC_TEST_CODE.
'use strict';
const [cmd, ...rest] = process.argv.slice(2);
if (cmd === '--version') {
  console.log('rubric 0.0.0-fake');
  process.exit(0);
}
if (cmd === 'test') {
  process.stdout.write(process.env.FAKE_RUBRIC_TEST_OUTPUT ?? '');
  process.exit(Number(process.env.FAKE_RUBRIC_TEST_CODE ?? '0'));
}
if (cmd !== 'lsp') {
  console.error(`error: unknown command \`${cmd}\``);
  process.exit(2);
}
const unexpected = rest.find((a) => a !== '--stdio');
if (unexpected !== undefined) {
  // as the real `rubric lsp`, which takes only `--stdio` (the language client adds it)
  console.error(`error: unexpected argument \`${unexpected}\``);
  process.exit(2);
}
let buf = Buffer.alloc(0);
const send = (msg) => {
  const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...msg }));
  process.stdout.write(`Content-Length: ${body.length}\r\n\r\n`);
  process.stdout.write(body);
};
process.stdin.on('data', (chunk) => {
  buf = Buffer.concat([buf, chunk]);
  for (;;) {
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const len = Number(/Content-Length: (\d+)/i.exec(buf.subarray(0, end).toString())[1]);
    if (buf.length < end + 4 + len) return;
    const msg = JSON.parse(buf.subarray(end + 4, end + 4 + len).toString());
    buf = buf.subarray(end + 4 + len);
    if (msg.method === 'initialize') send({ id: msg.id, result: { capabilities: { hoverProvider: true } } });
    else if (msg.method === 'shutdown') send({ id: msg.id, result: null });
    else if (msg.method === 'exit') process.exit(0);
    else if (msg.id !== undefined && msg.method) send({ id: msg.id, result: null });
  }
});
process.stdin.on('end', () => process.exit(0));
