/* global require */
/* eslint-disable @typescript-eslint/no-require-imports */
// Lets a child `node` process run the TypeScript sources directly (tests only): .ts files are
// transpiled with @swc/core, the compiler jest already uses, so tests need no build step.
const fs = require('node:fs');
const swc = require('@swc/core');

require.extensions['.ts'] = function compileTs(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { code } = swc.transformSync(source, {
    filename,
    sourceMaps: 'inline',
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
