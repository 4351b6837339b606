/**
 * Hostile and broken input through the local host (docs/http-api.md § Limits, § Validation of ids): oversized
 * bodies, malformed and deeply nested JSON, huge arrays, path traversal in ids, prototype keys, wrong content
 * types. Each is refused with one clear error naming the field, never a stack trace, and NOTHING is started:
 * the task hub lists no instance (Durable management API) and the simulator saw no write.
 */
jest.mock('@azure/functions-core', () => jest.requireActual('../../local/functionsCore'), { virtual: true });
import { clusterId, nodeSubnetCluster, nsg, SUBSCRIPTION, vnet } from '../support/arm';
import { startHarness, type Harness } from './support/harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness([nodeSubnetCluster({ name: 'aks-a' }), vnet(), nsg()]);
}, 60_000);

afterAll(async () => {
  // The whole file ran against one host: not one instance, not one write.
  try {
    expect(await h.instances()).toEqual([]);
    expect(h.writes()).toEqual([]);
  } finally {
    await h?.close();
  }
});

const spec = { name: 'hostile', target: 'cilium', selector: { subscriptions: [SUBSCRIPTION] }, stages: [{ name: 'all', maxConcurrency: 1 }] };

type Case = [label: string, method: string, path: string, body: string | undefined, status: number, code: string, target?: string, headers?: Record<string, string>];

const big = JSON.stringify({ ...spec, padding: 'x'.repeat(300 * 1024) });
const cases: Case[] = [
  ['an oversized rollout spec', 'POST', '/api/rollouts', big, 413, 'PayloadTooLarge'],
  ['an oversized preflight', 'POST', '/api/preflight', JSON.stringify({ ids: Array(4000).fill(clusterId('aks-a')), target: 'cilium' }), 413, 'PayloadTooLarge'],
  ['malformed JSON', 'POST', '/api/rollouts', '{"name": "x", "target": ', 400, 'InvalidJson'],
  ['a body that is not JSON at all', 'POST', '/api/preflight', 'ids=1&target=cilium', 400, 'InvalidJson'],
  ['100,000 nested arrays', 'POST', '/api/rollouts', '['.repeat(100_000) + ']'.repeat(100_000), 400, 'BodyTooDeep'],
  ['deeply nested objects inside a valid spec', 'POST', '/api/rollouts', JSON.stringify({ ...spec, x: JSON.parse('{"a":'.repeat(40) + '1' + '}'.repeat(40)) }), 400, 'BodyTooDeep'],
  ['an array of 20,000 ids', 'POST', '/api/rollouts', JSON.stringify({ ...spec, selector: { subscriptions: [SUBSCRIPTION], ids: Array(20_000).fill(1) } }), 400, 'ArrayTooLong', 'selector.ids'],
  ['more preflight ids than allowed', 'POST', '/api/preflight', JSON.stringify({ ids: Array.from({ length: 101 }, (_, i) => clusterId(`c-${i}`)), target: 'cilium' }), 400, 'InvalidRequestBody', 'ids'],
  ['a __proto__ key', 'POST', '/api/rollouts', `{"name":"p","__proto__":{"admin":true},"target":"cilium","selector":{"subscriptions":["${SUBSCRIPTION}"]},"stages":[{"name":"a","maxConcurrency":1}]}`, 400, 'ForbiddenKey'],
  ['path traversal in a preflight cluster id', 'POST', '/api/preflight', JSON.stringify({ ids: [`${clusterId('aks-a')}/../../../../providers/Microsoft.Authorization/roleAssignments/x`], target: 'cilium' }), 400, 'InvalidRequestBody', 'ids[0]'],
  ['an encoded traversal in a preflight cluster id', 'POST', '/api/preflight', JSON.stringify({ ids: [clusterId('aks-a').replace('/managedClusters/', '/managedClusters/%2e%2e%2F')], target: 'cilium' }), 400, 'InvalidRequestBody', 'ids[0]'],
  ['a NUL byte in a cluster id', 'POST', '/api/preflight', JSON.stringify({ ids: [`${clusterId('aks-a')}\u0000`], target: 'cilium' }), 400, 'InvalidRequestBody', 'ids[0]'],
  ['path traversal in a rollout id', 'GET', '/api/rollouts/..%2F..%2Fruntime%2Fwebhooks/clusters', undefined, 400, 'InvalidRolloutId', 'id'],
  ['a traversal rollout id on an action', 'POST', '/api/rollouts/..%2Fx/cancel', undefined, 400, 'InvalidRolloutId', 'id'],
  ['a YAML body', 'POST', '/api/rollouts', 'name: x\ntarget: cilium\n', 415, 'UnsupportedMediaType', undefined, { 'content-type': 'application/yaml' }],
  ['a bad page size', 'GET', '/api/rollouts/r-1/clusters?limit=100000', undefined, 400, 'InvalidParameter', 'limit'],
  ['an unknown runtime status in the rollout list', 'GET', '/api/rollouts?status=waitingForApproval', undefined, 400, 'InvalidParameter', 'status'],
  ['an injection attempt as the rollout list status', 'GET', `/api/rollouts?status=${encodeURIComponent("Running' or 1=1 --")}`, undefined, 400, 'InvalidParameter', 'status'],
  ['an edited rollout list token', 'GET', '/api/rollouts?continuationToken=WyIyMDI2IiwiLi4vLi4vZXRjIl0', undefined, 400, 'InvalidContinuationToken', 'continuationToken'],
  ['a rollout list token that is not base64url', 'GET', `/api/rollouts?continuationToken=${encodeURIComponent('a/b+c==')}`, undefined, 400, 'InvalidContinuationToken', 'continuationToken'],
  ['a bad rollout list page size', 'GET', '/api/rollouts?limit=-1', undefined, 400, 'InvalidParameter', 'limit'],
  ['a bad cluster id in the decisions query', 'GET', `/api/remediation/decisions?clusterId=${encodeURIComponent('/subscriptions/x/../../etc')}`, undefined, 400, 'InvalidResourceId', 'clusterId'],
];

it.each(cases)('%s (%s %s), nothing started', async (...row) => {
  // Rest parameters: jest would take a declared parameter past a row's length for a `done` callback.
  const [, method, path, body, status, code, target, headers] = row as Case;
  const res = await h.call(method, path, { ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });
  const error = res.body.error as { code: string; target?: string; message: string } | undefined;
  expect({ status: res.status, code: error?.code, ...(target ? { target: error?.target } : {}) }).toEqual({ status, code, ...(target ? { target } : {}) });
  // One clear line; no stack, no file names, no echo of a huge input.
  expect(error?.message).toMatch(/^[^\n]{1,400}$/);
  expect(res.text).not.toMatch(/\bat .+:\d+:\d+|\.ts\b|node_modules/);
  expect(res.text.length).toBeLessThan(4096);
});

it('the rollout list refuses an anonymous call and a wrong key (401) and answers an empty list with the key', async () => {
  expect((await h.call('GET', '/api/rollouts', { key: null })).status).toBe(401);
  expect((await h.call('GET', '/api/rollouts?status=Running', { key: 'not-the-key' })).status).toBe(401);
  const ok = await h.call('GET', '/api/rollouts');
  expect({ status: ok.status, body: ok.body }).toEqual({ status: 200, body: { value: [] } });
});

it('a broken percent-escape in a route segment is a 400 from the host, before any function runs', async () => {
  const res = await h.call('POST', '/api/rollouts/%E0%A4%A/cancel');
  expect(res.status).toBe(400);
  expect(res.text).not.toMatch(/\bat .+:\d+:\d+|\.ts\b|node_modules/);
});
