#!/usr/bin/env node
// Runs before `npm run dev` and `npm test` (predev/pretest): installs the locked dependencies when
// node_modules is missing or older than package-lock.json, so each of the two README commands works
// on a fresh clone by itself. Plain Node on purpose: nothing from node_modules may be needed here.
'use strict';
const { statSync } = require('node:fs');
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const mtime = (file) => {
  try {
    return statSync(path.join(root, file)).mtimeMs;
  } catch {
    return undefined;
  }
};

const installed = mtime('node_modules/.package-lock.json');
const locked = mtime('package-lock.json');
if (installed === undefined || (locked !== undefined && locked > installed)) {
  console.error('[switchboard] installing dependencies (npm ci)...');
  execFileSync('npm', ['ci'], { cwd: root, stdio: 'inherit' });
}
