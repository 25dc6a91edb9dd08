// The destination of the cluster tier: a Deployment + Service in the Subscription's namespace, running our
// own image (no other image exists on the node). Each pod passes every request it gets, unchanged (method,
// path, headers, raw bytes), to the test's Destination on the node address and answers with its status,
// so the test sees exactly what arrived in the pod, and a pod deleted mid-test loses nothing the test saw.
import type { Cluster } from '../../harness/cluster/cluster.ts';

export const PROXY = `
const http = require('node:http');
const host = process.env.COLLECTOR_HOST, port = Number(process.env.COLLECTOR_PORT);
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.method === 'GET' && req.url === '/healthz') return res.end('ok');
    const headers = { ...req.headers, 'x-recorded-by': process.env.HOSTNAME };
    delete headers.host; delete headers.connection;
    const up = http.request({ host, port, method: req.method, path: req.url, headers }, (r) => {
      r.resume();
      res.writeHead(r.statusCode || 502).end();
    });
    up.on('error', () => res.writeHead(502).end());
    up.end(Buffer.concat(chunks));
  });
}).listen(9000, '0.0.0.0');
`;

export function recorderManifest(cluster: Cluster, namespace: string, collector: URL): string {
  const doc = {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'recorder', namespace, labels: { app: 'recorder' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'recorder' } },
      template: {
        metadata: { labels: { app: 'recorder' } },
        spec: {
          terminationGracePeriodSeconds: 5,
          securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{
            name: 'recorder',
            image: cluster.images.hookbridge,
            imagePullPolicy: 'Never',
            command: ['/nodejs/bin/node', '-e', PROXY],
            env: [{ name: 'COLLECTOR_HOST', value: collector.hostname }, { name: 'COLLECTOR_PORT', value: collector.port }],
            ports: [{ name: 'http', containerPort: 9000 }],
            readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 2 },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
          }],
        },
      },
    },
  };
  const svc = {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: 'recorder', namespace },
    spec: { selector: { app: 'recorder' }, ports: [{ name: 'http', port: 9000, targetPort: 'http' }] },
  };
  return [doc, svc].map((d) => JSON.stringify(d)).join('\n---\n');
}
