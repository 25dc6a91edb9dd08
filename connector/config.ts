// Reading the connector's configuration file (shared/config/connector.ts defines and validates it) and
// resolving the secret files it names.
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { parseConnectorConfig, type ConnectorConfig } from '../shared/config/connector.ts';

export async function loadConnectorConfig(path: string): Promise<ConnectorConfig> {
  const text = await readFile(path, 'utf8');
  let doc: unknown;
  try { doc = JSON.parse(text); } catch (err) { throw new Error(`${path}: not JSON: ${(err as Error).message}`); }
  return parseConnectorConfig(doc);
}

/** Secret file paths in the config are relative to --secrets-dir (absolute ones are kept). */
export const secretPath = (secretsDir: string, file: string): string => (isAbsolute(file) ? file : resolve(secretsDir, file));
