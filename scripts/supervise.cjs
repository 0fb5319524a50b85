#!/usr/bin/env node
'use strict';
// Usage: node scripts/supervise.cjs <command> [args...]
// Runs <command> and ends it when our stdin closes, i.e. when the Node process that spawned us dies for any
// reason (Ctrl-C, SIGTERM, SIGKILL, crash): no orphaned dev server keeps its port. SIGINT/SIGTERM sent to us
// are forwarded. Exits with the child's code. Used by scripts/dev/servers.ts.
const { spawn } = require('node:child_process');

const [cmd, ...args] = process.argv.slice(2);
if (!cmd) {
  process.stderr.write('usage: supervise.cjs <command> [args...]\n');
  process.exit(2);
}
const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
let stopping = false;
function stop(signal) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  if (!stopping) {
    stopping = true;
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  }
}
process.stdin.on('data', () => {});
process.stdin.on('close', () => stop('SIGTERM'));
process.stdin.on('end', () => stop('SIGTERM'));
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.on(signal, () => stop(signal === 'SIGHUP' ? 'SIGTERM' : signal));
child.on('error', (err) => {
  process.stderr.write(`supervise.cjs: cannot start ${cmd}: ${err.message}\n`);
  process.exit(127);
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 15 : 1)));
