// One logger factory for every process: JSON lines (pino) with tokens and secrets redacted.
import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths that may carry credentials anywhere in a log object. Tokens never reach a log line. */
export const REDACT_PATHS = [
  'token', '*.token', 'tokens', '*.tokens', 'secret', '*.secret', 'secrets', '*.secrets',
  'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization',
  'headers.cookie', 'req.headers.cookie', 'password', '*.password', 'adminToken', '*.adminToken',
  'data', '*.data', 'stringData', '*.stringData',
];

/** Anything that looks like a Hookbridge token or webhook secret is masked even in free text. */
const SECRET_TEXT = /\b(hbt_|whsec_)[A-Za-z0-9+/=_-]+/g;
export const scrubSecrets = (text: string): string => text.replace(SECRET_TEXT, '$1[REDACTED]');

export function createLogger(opts: { name: string; level?: string; destination?: NodeJS.WritableStream } ): Logger {
  return pino(
    {
      name: opts.name,
      level: opts.level ?? process.env.HOOKBRIDGE_LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? scrubSecrets(a) : a)) as typeof args;
          method.apply(this, scrubbed);
        },
      },
    },
    (opts.destination ?? process.stdout) as pino.DestinationStream,
  );
}
