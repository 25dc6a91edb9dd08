// A small RFC 6902 applier for the operations the injection emits (add, replace, remove, test). The
// apiserver applies the real patch; tests and the server's self-check apply it here to see the pod it
// produces, so a path that the apiserver would refuse (a missing parent, an index past the end) fails here too.
import type { JsonPatchOp } from './mutation.ts';

const unescape = (s: string): string => s.replace(/~1/g, '/').replace(/~0/g, '~');

export function applyJsonPatch<T>(doc: T, ops: JsonPatchOp[]): T {
  let root: unknown = structuredClone(doc);
  for (const op of ops) {
    if (op.path === '') { root = structuredClone(op.value); continue; }
    const parts = op.path.split('/').slice(1).map(unescape);
    const last = parts.pop() as string;
    let parent: unknown = root;
    for (const p of parts) {
      if (parent === null || typeof parent !== 'object' || !(p in parent)) throw new Error(`${op.op} ${op.path}: no parent at ${p}`);
      parent = (parent as Record<string, unknown>)[p];
    }
    if (parent === null || typeof parent !== 'object') throw new Error(`${op.op} ${op.path}: parent is not a container`);
    if (Array.isArray(parent)) {
      const idx = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(idx) || idx < 0 || idx > parent.length || (op.op !== 'add' && idx >= parent.length)) throw new Error(`${op.op} ${op.path}: bad index`);
      if (op.op === 'add') parent.splice(idx, 0, structuredClone(op.value));
      else if (op.op === 'replace') parent[idx] = structuredClone(op.value);
      else if (op.op === 'remove') parent.splice(idx, 1);
      else if (JSON.stringify(parent[idx]) !== JSON.stringify(op.value)) throw new Error(`test ${op.path} failed`);
      continue;
    }
    const obj = parent as Record<string, unknown>;
    if (op.op !== 'add' && !(last in obj)) throw new Error(`${op.op} ${op.path}: no member ${last}`);
    if (op.op === 'add' || op.op === 'replace') obj[last] = structuredClone(op.value);
    else if (op.op === 'remove') delete obj[last];
    else if (JSON.stringify(obj[last]) !== JSON.stringify(op.value)) throw new Error(`test ${op.path} failed`);
  }
  return root as T;
}
