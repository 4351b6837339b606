/** One simulated cluster's Kubernetes objects, with resource versions and uids as an API server keeps them. */
import { randomUUID } from 'node:crypto';
import type { KubeObject, Node, Pod } from '../../shared/model/kube';
import { groupOf } from './kinds';

export class KubeStore {
  private items: KubeObject[] = [];
  private rv = 1000;

  constructor(items: KubeObject[], private readonly nowIso: () => string) {
    for (const item of items) this.add(structuredClone(item));
  }

  resourceVersion(): string {
    return String(this.rv);
  }

  all(): KubeObject[] {
    return this.items;
  }

  /** Objects of one kind (matched on API group + kind), optionally in one namespace. */
  list(group: string, kind: string, namespace?: string): KubeObject[] {
    return this.items.filter(
      (o) => o.kind === kind && groupOf(o.apiVersion) === group && (namespace === undefined || (o.metadata.namespace ?? 'default') === namespace),
    );
  }

  get(group: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.list(group, kind, namespace).find((o) => o.metadata.name === name);
  }

  add(obj: KubeObject): KubeObject {
    obj.metadata.uid ??= randomUUID();
    obj.metadata.creationTimestamp ??= this.nowIso();
    obj.metadata.resourceVersion = String(++this.rv);
    this.items.push(obj);
    return obj;
  }

  /** Replaces an object in place (same uid), bumping its resourceVersion. */
  replace(old: KubeObject, next: KubeObject): KubeObject {
    next.metadata.uid = old.metadata.uid;
    next.metadata.creationTimestamp = old.metadata.creationTimestamp;
    next.metadata.resourceVersion = String(++this.rv);
    const i = this.items.indexOf(old);
    if (i >= 0) this.items[i] = next;
    else this.items.push(next);
    return next;
  }

  touch(obj: KubeObject): void {
    obj.metadata.resourceVersion = String(++this.rv);
  }

  remove(obj: KubeObject): void {
    const i = this.items.indexOf(obj);
    if (i >= 0) this.items.splice(i, 1);
    this.rv++;
  }

  nodes(): Node[] {
    return this.list('', 'Node') as Node[];
  }

  pods(): Pod[] {
    return this.list('', 'Pod') as Pod[];
  }
}
