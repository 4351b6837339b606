#!/usr/bin/env node
'use strict';
// Thin launcher: the compiled CLI lives in dist/ (built by `npm run build`, run by `prepare` on `npm ci`).
require('../dist/cli/main.js').main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
