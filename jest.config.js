/** @type {import('jest').Config} */
// ESM-only packages (the Kubernetes client and its dependencies) are transformed to CommonJS for jest;
// at run time Node 20.19+ loads them natively through require(esm).
const esmPackages = ['@kubernetes/client-node', 'openid-client', 'oauth4webapi', 'jose', 'jsonpath-plus', '@jsep-plugin', 'jsep'];
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  // Only the Functions worker provides @azure/functions-core; in tests the local host's stand-in plays it.
  moduleNameMapper: { '^@azure/functions-core$': '<rootDir>/local/functionsCore.ts' },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  testTimeout: 60000,
  // Most suites wait on servers and child processes, not the CPU: two workers on a 2-core machine beat one.
  maxWorkers: 2,
};
