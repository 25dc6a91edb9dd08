// `make cluster`: the test bed for a person. Starts the real single-node cluster, builds and imports the
// image, installs the chart from this checkout, prints `export KUBECONFIG=…`, and stays up until Ctrl-C.
// The cluster tier of `make test` (test/cluster/) starts the same thing through the same functions.
import { startCluster } from './cluster.ts';
import { installHookbridge } from './hookbridge.ts';

const began = Date.now();
const cluster = await startCluster();
let stopping = false;
const stop = async (code: number): Promise<never> => {
  if (!stopping) {
    stopping = true;
    process.stderr.write('\ncluster: stopping (Ctrl-C again to force)\n');
    await installed?.rabbit.dispose().catch(() => undefined);
    await cluster.stop();
  }
  process.exit(code);
};
process.on('SIGINT', () => { if (stopping) process.exit(130); void stop(130); });
process.on('SIGTERM', () => { void stop(143); });
let installed: Awaited<ReturnType<typeof installHookbridge>> | undefined;
try {
  installed = process.argv.includes('--no-install') ? undefined : await installHookbridge(cluster);
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  await stop(1);
}
const receiver = installed ? await installed.receiverUrl() : undefined;
process.stdout.write(`
Hookbridge test bed is up (${Math.round((Date.now() - began) / 1000)} s): one node, image ${cluster.images.hookbridge}.

  export KUBECONFIG=${cluster.kubeconfigPath}
  kubectl get nodes,pods -A
${receiver ? `  kubectl apply -f examples/ && kubectl -n demo wait --for=condition=Ready whc/github whsub/echo && kubectl get whc,whsub -A
  curl -i -X POST ${receiver}/webhook/demo/github -H 'Content-Type: application/json' -H 'X-GitHub-Event: push' -d '{"hello":"world"}'
  kubectl -n demo logs deploy/echo        # the delivery, with its signature checked
` : ''}
Logs of the node's processes: ${cluster.dir}/*.log   Pod logs: /var/log/pods/
Ctrl-C stops everything and removes it.
`);
await new Promise(() => { /* until a signal */ });
