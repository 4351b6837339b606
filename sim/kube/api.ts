/**
 * Each cluster's Kubernetes API, as much of it as @kubernetes/client-node needs for aksnet: list/get of
 * core/v1 nodes, pods, services, configmaps, namespaces; networking.k8s.io/v1 networkpolicies; apps/v1
 * daemonsets; karpenter.sh/v1 nodepools (with merge-patch and json-patch); node delete (a deleted node
 * drains; under NAP Auto, Karpenter replaces it while its NodePool may still provision).
 * Served under `{kubeEndpoint}/clusters/{token}` — the `server` of the kubeconfig AKS hands out.
 */
import type { KubeObject, Node } from '../../shared/model/kube';
import { NAP_NODE_LABEL } from '../../shared/model/kube';
import type { ClusterRecord } from '../aks/cluster';
import { kubeOf, napReplacesNode, removeNode } from '../aks/cluster';
import type { SimWorld } from '../world';
import type { KubeKind } from './kinds';
import { apiVersionOf, KUBE_KINDS } from './kinds';
import { jsonPatch, mergePatch, PatchError } from './patch';

export interface KubeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType: string;
  body: unknown;
}

export interface KubeResponse {
  status: number;
  body: unknown;
  /** Set for writes, for the operation log. */
  logged?: { cluster: ClusterRecord; path: string };
}

function status(code: number, reason: string, message: string): KubeResponse {
  return { status: code, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code } };
}

interface Route {
  kind: KubeKind;
  namespace?: string;
  name?: string;
}

function route(segments: string[]): Route | KubeResponse {
  // /api/v1/... or /apis/{group}/{version}/...
  let group = '';
  let version: string;
  let rest: string[];
  if (segments[0] === 'api') {
    version = segments[1];
    rest = segments.slice(2);
  } else if (segments[0] === 'apis') {
    group = segments[1];
    version = segments[2];
    rest = segments.slice(3);
  } else return status(404, 'NotFound', `the server could not find the requested resource (${segments.join('/')})`);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const kind = KUBE_KINDS.find((k) => k.group === group && k.version === version && k.plural === rest[0]);
  if (!kind || rest.length > 2) return status(404, 'NotFound', `the server could not find the requested resource (${segments.join('/')})`);
  return { kind, namespace, name: rest[1] };
}

/** `k=v`, `k!=v`, `k` and `!k` terms joined by commas. */
function labelMatch(selector: string | null, labels: Record<string, string> = {}): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const t = term.trim();
    let m: RegExpExecArray | null;
    if ((m = /^([^!=]+)!=(.*)$/.exec(t))) return labels[m[1].trim()] !== m[2].trim();
    if ((m = /^([^!=]+)==?(.*)$/.exec(t))) return labels[m[1].trim()] === m[2].trim();
    if (t.startsWith('!')) return !(t.slice(1) in labels);
    return t === '' || t in labels;
  });
}

function fieldMatch(selector: string | null, obj: KubeObject): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const m = /^([^!=]+)(!=|==?)(.*)$/.exec(term.trim());
    if (!m) return true;
    let cur: unknown = obj;
    for (const p of m[1].trim().split('.')) cur = typeof cur === 'object' && cur !== null ? (cur as Record<string, unknown>)[p] : undefined;
    const eq = String(cur ?? '') === m[3].trim();
    return m[2] === '!=' ? !eq : eq;
  });
}

function namespaceObjects(store: ReturnType<typeof kubeOf>): KubeObject[] {
  const explicit = store.list('', 'Namespace');
  const names = new Set(explicit.map((n) => n.metadata.name));
  const derived = [...new Set(store.all().map((o) => o.metadata.namespace).filter((n): n is string => !!n && !names.has(n)))].map(
    (name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name }, status: { phase: 'Active' } }) as KubeObject,
  );
  return [...explicit, ...derived];
}

export function handleKube(world: SimWorld, rec: ClusterRecord, req: KubeRequest): KubeResponse {
  world.settle();
  const segments = req.path.split('/').filter(Boolean);
  if (segments.length === 1 && segments[0] === 'version') {
    const v = rec.resource.properties?.currentKubernetesVersion ?? rec.resource.properties?.kubernetesVersion ?? '1.30.0';
    return { status: 200, body: { major: v.split('.')[0], minor: v.split('.')[1], gitVersion: `v${v}`, platform: 'linux/amd64' } };
  }
  const r = route(segments);
  if ('status' in r) return r;
  const store = kubeOf(rec, world);
  const { kind } = r;
  const namespace = kind.namespaced ? r.namespace : undefined;
  const found = (): KubeObject | undefined =>
    kind.kind === 'Namespace' ? namespaceObjects(store).find((n) => n.metadata.name === r.name) : store.get(kind.group, kind.kind, namespace ?? (kind.namespaced ? 'default' : undefined), r.name!);
  const notFound = (): KubeResponse => status(404, 'NotFound', `${kind.plural}${kind.group ? `.${kind.group}` : ''} "${r.name}" not found`);

  if (req.method === 'GET' && !r.name) {
    const all = kind.kind === 'Namespace' ? namespaceObjects(store) : store.list(kind.group, kind.kind, namespace);
    const items = all.filter((o) => labelMatch(req.query.get('labelSelector'), o.metadata.labels) && fieldMatch(req.query.get('fieldSelector'), o));
    return { status: 200, body: { apiVersion: apiVersionOf(kind), kind: `${kind.kind}List`, metadata: { resourceVersion: store.resourceVersion() }, items } };
  }
  if (req.method === 'GET') {
    const obj = found();
    return obj ? { status: 200, body: obj } : notFound();
  }
  if (req.method === 'PATCH' && r.name) {
    const obj = found();
    if (!obj || kind.kind === 'Namespace') return notFound();
    let next: unknown;
    try {
      if (req.contentType.startsWith('application/json-patch+json')) next = jsonPatch(obj, req.body);
      else if (req.contentType.startsWith('application/merge-patch+json') || req.contentType.startsWith('application/strategic-merge-patch+json')) next = mergePatch(obj, req.body);
      else return status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got '${req.contentType}')`);
    } catch (e) {
      if (e instanceof PatchError) return status(422, 'Invalid', e.message);
      throw e;
    }
    const updated = store.replace(obj, next as KubeObject);
    return { status: 200, body: updated, logged: { cluster: rec, path: req.path } };
  }
  if (req.method === 'DELETE' && r.name) {
    const obj = found();
    if (!obj || kind.kind === 'Namespace') return notFound();
    if (kind.kind === 'Node') {
      removeNode(rec, world, obj as Node);
      const napPool = obj.metadata.labels?.[NAP_NODE_LABEL];
      if (napPool) napReplacesNode(rec, world, napPool);
    } else store.remove(obj);
    return {
      status: 200,
      body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: r.name, kind: kind.plural, uid: obj.metadata.uid } },
      logged: { cluster: rec, path: req.path },
    };
  }
  if (req.method === 'POST' && !r.name) {
    const obj = req.body as KubeObject;
    if (!obj || typeof obj !== 'object' || !obj.metadata?.name) return status(422, 'Invalid', 'metadata.name: Required value');
    if (store.get(kind.group, kind.kind, namespace, obj.metadata.name)) return status(409, 'AlreadyExists', `${kind.plural} "${obj.metadata.name}" already exists`);
    const created = store.add({ ...structuredClone(obj), apiVersion: apiVersionOf(kind), kind: kind.kind, metadata: { ...obj.metadata, ...(namespace ? { namespace } : {}) } });
    return { status: 201, body: created, logged: { cluster: rec, path: req.path } };
  }
  return status(405, 'MethodNotAllowed', `${req.method} is not supported on ${req.path} by the simulator`);
}
