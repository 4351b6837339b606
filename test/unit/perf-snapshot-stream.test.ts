/**
 * Streaming assessment (assessSnapshotStream over streamSnapshot) gives exactly what the whole-file path
 * gives (JSON.parse → parseSnapshot → assessFleet), whatever the read sizes, and declines (undefined)
 * every document the whole-file path rejects or reads differently, so the caller can fall back to it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateFleet } from '../../sim/generate';
import { sampleFleet } from '../../sim/sample-fleet';
import { assessFleet, assessSnapshotStream, type AssessOptions } from '../../shared/assess';
import type { Assessment } from '../../shared/model/assessment';
import { parseSnapshot, streamSnapshot, type ByteReader } from '../../shared/model/snapshot';

/** A reader over the bytes of `text` that hands out at most `chunk` bytes per call (as fs.readSync may). */
function readerOf(text: string | Buffer, chunk = Number.MAX_SAFE_INTEGER): ByteReader {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  let at = 0;
  return (buf) => {
    const n = Math.min(chunk, buf.length, bytes.length - at);
    bytes.copy(buf, 0, at, at + n);
    at += n;
    return n;
  };
}

/** The whole-file path the CLI has always taken (it strips a BOM before JSON.parse). */
function whole(text: string, options: AssessOptions): Assessment[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return assessFleet(parseSnapshot(JSON.parse(body)), options);
}

const OVERLAY_CILIUM: AssessOptions = { target: 'overlay+cilium' };
const id = (sub: string, name: string): string => `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/${name}`;
const cluster = (clusterId: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: clusterId,
  name: clusterId.split('/').pop(),
  type: 'Microsoft.ContainerService/managedClusters',
  location: 'westeurope',
  properties: {
    kubernetesVersion: '1.30.5',
    networkProfile: { networkPlugin: 'azure', networkPolicy: 'none', serviceCidr: '10.0.0.0/16', dnsServiceIP: '10.0.0.10' },
    agentPoolProfiles: [{ name: 'system', count: 3, vmSize: 'Standard_D4s_v5', osType: 'Linux', mode: 'System', maxPods: 30 }],
    ...extra,
  },
});
const windowsNode = (name: string): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'kubernetes.azure.com/agentpool': 'system' } },
  status: { nodeInfo: { containerRuntimeVersion: 'docker://20.10.9', kernelVersion: '10.0.17763.1' } },
});
const masqConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'azure-ip-masq-agent-config', namespace: 'kube-system' }, data: { 'ip-masq-agent': 'nonMasqueradeCIDRs: ["10.0.0.0/8"]' } };

describe('assessSnapshotStream', () => {
  const fleetText = JSON.stringify(generateFleet({ clusters: 80, subscriptions: 4, seed: 'stream' }));

  it.each([
    ['overlay', {}],
    ['cilium', {}],
    ['overlay+cilium', {}],
    ['overlay', { podCidr: '10.244.0.0/16' }],
  ] as const)('assesses a generated fleet for target %s %j exactly as the whole-file path does', (target, extra) => {
    const options: AssessOptions = { target, ...extra };
    const streamed = assessSnapshotStream(readerOf(fleetText), options);
    expect(streamed?.clusters).toBe(80);
    expect(streamed?.assessments).toEqual(whole(fleetText, options));
  });

  it.each([1, 3, 64, 4093])('gives the same result when the file arrives %i bytes at a time', (chunk) => {
    const text = JSON.stringify(generateFleet({ clusters: 12, subscriptions: 2, seed: `chunks-${chunk}` }), null, chunk === 3 ? 2 : undefined);
    expect(assessSnapshotStream(readerOf(text, chunk), OVERLAY_CILIUM)?.assessments).toEqual(whole(text, OVERLAY_CILIUM));
  });

  it('reads the sample fleet, pretty-printed with a byte order mark, as the whole-file path does', () => {
    const text = `\ufeff${JSON.stringify(sampleFleet(), null, 2)}\n`;
    const streamed = assessSnapshotStream(readerOf(text, 1000), OVERLAY_CILIUM);
    expect(streamed?.assessments).toEqual(whole(text, OVERLAY_CILIUM));
    expect(streamed?.assessments.map((a) => a.verdict)).toContain('blocked');
  });

  it('keeps strings with quotes, backslashes, brackets and non-ASCII text intact across read boundaries', () => {
    // Also what ends a kubernetes entry in a compact file ('},"/subscriptions/'), in a string and, below, inside an item.
    const odd = 'a "quoted" \\ back\\\\slash {not} [an] object, ünïcødé ✓ }]}},"/subscriptions/x \\"';
    const c = cluster(id('s1', 'odd'), { dnsPrefix: odd });
    const text = JSON.stringify({
      resources: [{ ...c, tags: { note: odd, '}{': '][' } }],
      kubernetes: {
        [id('s1', 'odd')]: { items: [windowsNode('n1'), { ...masqConfigMap, data: { 'ip-masq-agent': odd } }] },
        [id('s1', 'other')]: { items: [{ ...masqConfigMap, metadata: { name: odd }, extra: { first: {}, '/subscriptions/nested': [] } }] },
        [id('s1', 'third')]: { items: [windowsNode(odd)] },
      },
    });
    for (const chunk of [1, 2, 5, 17, 1 << 20]) expect(assessSnapshotStream(readerOf(text, chunk), OVERLAY_CILIUM)?.assessments).toEqual(whole(text, OVERLAY_CILIUM));
    expect(JSON.stringify(whole(text, OVERLAY_CILIUM))).toContain('azure-ip-masq-agent-config');
  });

  it('reads a kubernetes entry larger than its read buffer (1 MiB), as the whole-file path does', () => {
    const c = id('s1', 'big');
    const pods = Array.from({ length: 14_000 }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `web-${i}`, namespace: 'shop' },
      spec: { hostNetwork: i % 1000 === 0, containers: [{ name: 'web', ports: [{ containerPort: 80, hostPort: i % 1000 === 0 ? 8080 : undefined }] }] },
    }));
    const policy = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'p', namespace: 'shop' }, spec: { podSelector: {} } };
    const text = JSON.stringify({ resources: [cluster(c), cluster(id('s1', 'small'))], kubernetes: { [c]: { items: [...pods, policy] }, [id('s1', 'small')]: { items: [masqConfigMap] } } });
    expect(text.length).toBeGreaterThan(2 * (1 << 20));
    const streamed = assessSnapshotStream(readerOf(text, 1 << 16), { target: 'cilium' });
    expect(streamed?.assessments).toEqual(whole(text, { target: 'cilium' }));
    expect(streamed?.assessments[0].findings.find((f) => f.rule === 'cilium.host-network-pods')?.message).toContain('14 host-network pods');
  });

  it('a bare array of resources is a fleet without Kubernetes objects', () => {
    const text = JSON.stringify([cluster(id('s1', 'a')), cluster(id('s1', 'b'))]);
    const streamed = assessSnapshotStream(readerOf(text, 9), OVERLAY_CILIUM);
    expect(streamed?.assessments.map((a) => a.name)).toEqual(['a', 'b']);
    expect(streamed?.assessments).toEqual(whole(text, OVERLAY_CILIUM));
    expect(streamed?.assessments[0].findings.map((f) => f.rule)).toContain('facts.kubernetes-missing');
  });

  it('an empty snapshot has no assessments', () => {
    for (const text of ['{}', '[]', ' { "resources" : [ ] , "kubernetes" : { } } ', '{"kubernetes":{}}']) {
      expect(assessSnapshotStream(readerOf(text), OVERLAY_CILIUM)).toEqual({ assessments: [], resources: 0, clusters: 0 });
    }
  });

  it('a cluster listed twice (ids equal but for case) is assessed once, from its last entry', () => {
    const lower = id('s1', 'dup').toLowerCase();
    const text = JSON.stringify({
      resources: [cluster(id('s1', 'dup'), { kubernetesVersion: '1.25.4' }), cluster(lower, { kubernetesVersion: '1.31.2' })],
      kubernetes: {},
    });
    const streamed = assessSnapshotStream(readerOf(text), OVERLAY_CILIUM);
    expect(streamed?.assessments).toHaveLength(1);
    expect(streamed?.assessments).toEqual(whole(text, OVERLAY_CILIUM));
    expect(streamed?.assessments[0].findings.map((f) => f.rule)).not.toContain('overlay.kubernetes-version');
  });

  it('Kubernetes objects under another spelling of the id are ignored: the first spelling counts', () => {
    const c = id('s1', 'win');
    const text = JSON.stringify({
      resources: [cluster(c)],
      kubernetes: { [c]: { items: [windowsNode('kept')] }, [c.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/')]: { items: [masqConfigMap] } },
    });
    const streamed = assessSnapshotStream(readerOf(text, 50), OVERLAY_CILIUM);
    expect(streamed?.assessments).toEqual(whole(text, OVERLAY_CILIUM));
    expect(streamed?.assessments[0].findings.map((f) => f.rule)).not.toContain('overlay.ip-masq-agent-config');
  });

  it('Kubernetes objects of a cluster that is not in resources are ignored', () => {
    const text = JSON.stringify({ resources: [cluster(id('s1', 'a'))], kubernetes: { [id('s2', 'gone')]: { items: [masqConfigMap] } } });
    const streamed = assessSnapshotStream(readerOf(text), OVERLAY_CILIUM);
    expect(streamed?.assessments.map((a) => a.name)).toEqual(['a']);
    expect(streamed?.assessments).toEqual(whole(text, OVERLAY_CILIUM));
  });

  const READ_WHOLE_AS_BEFORE = ['a kubernetes key repeated', 'a VNet with the id of a cluster', 'kubernetes written before resources', 'a repeated top-level key'];
  describe('declines what the whole-file path must read (it then reports the problem or reads it as before)', () => {
    const good = JSON.stringify({ resources: [cluster(id('s1', 'a'))], kubernetes: { [id('s1', 'a')]: { items: [masqConfigMap] } } });
    it.each([
      // JSON.parse keeps the last value of a repeated key; the cluster was assessed from the first by then. Written by hand: JSON.stringify cannot repeat a key.
      ['a kubernetes key repeated', `{"resources":[${JSON.stringify(cluster(id('s1', 'a')))}],"kubernetes":{${JSON.stringify(id('s1', 'a'))}:{"items":[${JSON.stringify(masqConfigMap)}]},${JSON.stringify(id('s1', 'a'))}:{"items":[]}}}`],
      ['a VNet with the id of a cluster', JSON.stringify({ resources: [cluster(id('s1', 'a')), { id: id('s1', 'a'), name: 'v', type: 'Microsoft.Network/virtualNetworks' }] })],
      ['kubernetes written before resources', `{"kubernetes":{${JSON.stringify(id('s1', 'a'))}:{"items":[]}},"resources":[${JSON.stringify(cluster(id('s1', 'a')))}]}`],
      ['a repeated top-level key', `{"resources":[],"resources":[${JSON.stringify(cluster(id('s1', 'a')))}]}`],
      ['truncated JSON', good.slice(0, -3)],
      ['trailing garbage', `${good} x`],
      ['a trailing comma', good.replace(/]}}}$/, ',]}}}')],
      ['two documents', `${good}${good}`],
      ['an unknown top-level key', `{"resources":[],"extra":1}`],
      ['a resource without a name', JSON.stringify({ resources: [{ ...cluster(id('s1', 'a')), name: '' }] })],
      ['a resource id that is not an ARM id', JSON.stringify({ resources: [{ ...cluster(id('s1', 'a')), id: 'clusters/a' }] })],
      ['a resource that is a string', JSON.stringify({ resources: ['x'] })],
      ['tags that are not strings', JSON.stringify({ resources: [{ ...cluster(id('s1', 'a')), tags: { a: 1 } }] })],
      ['a pool without a name', JSON.stringify({ resources: [cluster(id('s1', 'a'), { agentPoolProfiles: [{ count: 1 }] })] })],
      ['a Kubernetes object without metadata', JSON.stringify({ resources: [], kubernetes: { [id('s1', 'a')]: { items: [{ apiVersion: 'v1', kind: 'Pod' }] } } })],
      ['a kubernetes key that is not an ARM id', JSON.stringify({ resources: [], kubernetes: { a: { items: [] } } })],
      ['items that are not an array', JSON.stringify({ resources: [], kubernetes: { [id('s1', 'a')]: { items: {} } } })],
      ['a number', '42'],
      ['nothing', ''],
    ])('%s', (_what, text) => {
      expect(assessSnapshotStream(readerOf(text, 7), OVERLAY_CILIUM)).toBeUndefined();
      let wholeResult: Assessment[] | Error;
      try {
        wholeResult = whole(text, OVERLAY_CILIUM);
      } catch (e) {
        wholeResult = e as Error;
      }
      // Either the whole-file path rejects it too, or (order, repeated keys) it reads it its own way.
      if (!(wholeResult instanceof Error)) expect(READ_WHOLE_AS_BEFORE).toContain(_what);
    });
  });

  it('every CLI fixture is streamed to the same assessments, or declined when the whole-file path rejects it', () => {
    const dir = join(__dirname, '../fixtures/cli');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const text = readFileSync(join(dir, f), 'utf8');
      let expected: Assessment[] | undefined;
      try {
        expected = whole(text, OVERLAY_CILIUM);
      } catch {
        expected = undefined;
      }
      expect({ f, result: assessSnapshotStream(readerOf(text, 333), OVERLAY_CILIUM)?.assessments }).toEqual({ f, result: expected });
    }
  });

  it('stops reading at the first piece that fails, without reading the rest of the file', () => {
    const text = `{"resources":[{"id":"nope"}${',{"id":"x"}'.repeat(20_000)}]}`;
    let calls = 0;
    const read = readerOf(text, 64);
    expect(streamSnapshot((b) => (calls++, read(b)), { resource: () => undefined, kube: () => undefined })).toBe(false);
    expect(calls).toBeLessThan(5);
  });
});
