import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../cli/flags.ts';
import { run } from './listen.ts';

test('hookbridge listen refuses a Standard Webhooks signing secret that is not base64, without echoing it', async () => {
  await assert.rejects(run(['--receiver', 'http://127.0.0.1:1', '--channel', 'demo/github', '--forward-to', 'http://127.0.0.1:2/', '--token', 't', '--signing-secret', 'plain text secret']),
    (e: unknown) => e instanceof UsageError && /not base64/.test(e.message) && !e.message.includes('plain text secret'));
});
