// Watches one Secret through the API (a real watch, not a poll) and hands every version's decoded data to
// a callback the moment the apiserver sends it — the earliest any client (a kubelet, a person with
// kubectl) could read it.
import { KubeConfig, Watch } from '@kubernetes/client-node';

export type SecretData = Record<string, string>;

export class SecretWatch {
  #abort?: AbortController;
  #stopped = false;
  readonly #kc = new KubeConfig();
  readonly #path: string;
  readonly #name: string;
  readonly #onData: (data: SecretData) => void;

  constructor(kubeconfig: string, namespace: string, name: string, onData: (data: SecretData) => void) {
    this.#kc.loadFromFile(kubeconfig);
    this.#path = `/api/v1/namespaces/${namespace}/secrets`;
    this.#name = name;
    this.#onData = onData;
  }

  /** Resolves once the watch is established (its first event is the Secret as it is now). */
  async start(): Promise<this> {
    let established!: () => void;
    const ready = new Promise<void>((r) => { established = r; });
    const run = async (): Promise<void> => {
      this.#abort = await new Watch(this.#kc).watch(this.#path, { fieldSelector: `metadata.name=${this.#name}` }, (phase, obj: { data?: SecretData }) => {
        established();
        if (phase === 'ADDED' || phase === 'MODIFIED') {
          this.#onData(Object.fromEntries(Object.entries(obj.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])));
        }
      }, () => { if (!this.#stopped) setTimeout(() => void run(), 100); });
    };
    await run();
    await ready;
    return this;
  }

  stop(): void {
    this.#stopped = true;
    this.#abort?.abort();
  }
}
