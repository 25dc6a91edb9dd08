// Watches a token rotation from outside: the token Secret and the receiver's config Secret through real
// watches. The moment the Secret holds a new token — the earliest a kubelet could hand it to a connector —
// it opens a stream with it, which tells whether the receiver accepts the token by the time anyone can
// read it (a rotation without a refused connector needs exactly that).
import type { ChannelConfig } from '../../../shared/config.ts';
import { hashToken } from '../../../shared/tokens.ts';
import { StreamClient } from '../../../receiver/test-support.ts';
import { SecretWatch } from './secret-watch.ts';
import { eventually, within } from '../../harness/eventually.ts';

export interface Ref { namespace: string; name: string }

export interface RotationSeen {
  token: string;
  /** When the token Secret first held the new token. */
  at: number;
  /** 0 when a stream opened with the new token at that moment got its hello, else its close code. */
  probeCode: number;
  /** The first receiver config version listing the new token's hash, minus `at` (negative: listed before). */
  receiverListedAfterMs: number;
}

/** Opens a stream with `token`: 0 when the receiver says hello (then closes it), else the close code. */
export async function probeStream(url: string, token: string): Promise<number> {
  const c = new StreamClient(url, token);
  const code = await Promise.race([c.until((x) => x.frames[0]?.type === 'hello').then(() => 0), c.closed.then((x) => x.code)]);
  c.close();
  await c.closed;
  return code;
}

export class RotationObserver {
  readonly #configVersions: { at: number; hashes: string[] }[] = [];
  #seen?: { token: string; at: number; probe: Promise<number> };
  readonly #watches: SecretWatch[];

  constructor(o: { kubeconfig: string; streamUrl: string; oldToken: string; tokenSecret: Ref; receiverConfig: Ref }) {
    this.#watches = [
      new SecretWatch(o.kubeconfig, o.tokenSecret.namespace, o.tokenSecret.name, (d) => {
        if (!this.#seen && d.token && d.token !== o.oldToken) this.#seen = { token: d.token, at: Date.now(), probe: probeStream(o.streamUrl, d.token) };
      }),
      new SecretWatch(o.kubeconfig, o.receiverConfig.namespace, o.receiverConfig.name, (d) => {
        const cfg = JSON.parse(d['channel.json'] ?? '{}') as Partial<ChannelConfig>;
        this.#configVersions.push({ at: Date.now(), hashes: (cfg.subscriptions ?? []).flatMap((s) => s.tokens.map((t) => t.sha256)) });
      }),
    ];
  }

  async start(): Promise<this> {
    await Promise.all(this.#watches.map((w) => w.start()));
    return this;
  }

  /** Waits for the new token, the probe's answer and the receiver config listing it. */
  async seen(timeoutMs = 60_000): Promise<RotationSeen> {
    const s = await eventually(() => this.#seen, { message: 'the token Secret holds a new token', timeoutMs, intervalMs: 20 });
    const probeCode = await within('the receiver answers a stream with the new token', s.probe, 10_000);
    const hash = hashToken(s.token);
    const listed = await eventually(() => this.#configVersions.find((v) => v.hashes.includes(hash)), { message: 'the receiver config lists the new token', intervalMs: 250, timeoutMs });
    return { token: s.token, at: s.at, probeCode, receiverListedAfterMs: listed.at - s.at };
  }

  stop(): void {
    for (const w of this.#watches) w.stop();
  }
}
