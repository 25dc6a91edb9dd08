import assert from 'node:assert/strict';
import { test } from 'node:test';
import { envName, parseFlags, usage, UsageError, type FlagSpec } from './flags.ts';

const SPEC = {
  port: { type: 'number', default: 8080, help: 'port' },
  host: { type: 'string', help: 'host' },
  file: { type: 'list', short: 'f', help: 'files' },
  'log-level': { type: 'string', default: 'info', help: 'level' },
  'forbid-loopback': { type: 'boolean', default: false, help: 'refuse loopback' },
  help: { type: 'boolean', short: 'h', help: 'help' },
} satisfies FlagSpec;

const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseFlags(SPEC, argv, env);

test('defaults: the spec default, else [] for lists, false for booleans, undefined for strings', () => {
  assert.deepEqual({ ...parse([]) }, { _: [], port: 8080, host: undefined, file: [], 'log-level': 'info', 'forbid-loopback': false, help: false });
});

test('--name value, --name=value, short flags, and positionals in any order', () => {
  const f = parse(['serve', '--port', '9000', '--host=::1', '-f', 'a.yaml', 'extra', '-h', '-']);
  assert.equal(f.port, 9000);
  assert.equal(f.host, '::1');
  assert.deepEqual(f.file, ['a.yaml']);
  assert.equal(f.help, true);
  assert.deepEqual(f._, ['serve', 'extra', '-']);
});

test('short flags: -f value, -fvalue, -f=value', () => {
  assert.deepEqual(parse(['-f', 'a', '-fb', '-f=c']).file, ['a', 'b', 'c']);
});

test('a value may start with a dash or contain =; an empty inline value is a value', () => {
  assert.equal(parse(['--port', '-1']).port, -1);
  assert.equal(parse(['--host', '--port']).host, '--port', 'a string flag takes the next argument whatever it is');
  assert.equal(parse(['--host=a=b']).host, 'a=b');
  assert.equal(parse(['--host=']).host, '');
});

test('repeated flags: lists collect, others keep the last', () => {
  const f = parse(['-f', 'a', '--file', 'b', '--file=c', '--port', '1', '--port', '2']);
  assert.deepEqual(f.file, ['a', 'b', 'c']);
  assert.equal(f.port, 2);
});

test('booleans: bare is true; =false and =0 are false; they never take the next argument', () => {
  assert.equal(parse(['--forbid-loopback'])['forbid-loopback'], true);
  assert.equal(parse(['--forbid-loopback=false'])['forbid-loopback'], false);
  assert.equal(parse(['--forbid-loopback=0'])['forbid-loopback'], false);
  assert.equal(parse(['--forbid-loopback=yes'])['forbid-loopback'], true);
  const f = parse(['--forbid-loopback', 'false']);
  assert.equal(f['forbid-loopback'], true);
  assert.deepEqual(f._, ['false']);
});

test('every flag falls back to HOOKBRIDGE_<NAME>; the command line wins', () => {
  const env = { HOOKBRIDGE_PORT: '7000', HOOKBRIDGE_LOG_LEVEL: 'debug', HOOKBRIDGE_FILE: 'a,b,,c', HOOKBRIDGE_FORBID_LOOPBACK: 'false', HOOKBRIDGE_HELP: '1' };
  const f = parse([], env);
  assert.deepEqual([f.port, f['log-level'], f.file, f['forbid-loopback'], f.help], [7000, 'debug', ['a', 'b', 'c'], false, true]);
  const g = parse(['--port', '1', '-f', 'x', '--log-level=warn'], env);
  assert.deepEqual([g.port, g['log-level'], g.file], [1, 'warn', ['x']], 'a list on the command line replaces the env list');
  assert.equal(envName('rabbitmq-url'), 'HOOKBRIDGE_RABBITMQ_URL');
});

test('usage errors name the flag as typed', () => {
  const refused = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    try { parse(argv, env); } catch (err) { assert.ok(err instanceof UsageError, String(err)); return err.message; }
    return assert.fail(`accepted ${argv.join(' ')}`);
  };
  assert.equal(refused(['--bogus']), 'unknown flag --bogus');
  assert.equal(refused(['--bogus=1']), 'unknown flag --bogus=1');
  assert.equal(refused(['-x']), 'unknown flag -x');
  assert.equal(refused(['--port']), 'flag --port needs a value');
  assert.equal(refused(['-f']), 'flag --file needs a value');
  assert.equal(refused(['--port', 'eighty']), 'flag --port needs a number, got "eighty"');
  assert.equal(refused([], { HOOKBRIDGE_PORT: 'x' }), 'flag --port needs a number, got "x"');
  assert.equal(refused(['--']), 'unknown flag --');
});

test('usage lists every flag with its short form, default and environment variable', () => {
  assert.equal(usage('demo', 'a demo command', SPEC), [
    'hookbridge demo — a demo command',
    '',
    'Flags:',
    '  --port  port (default 8080)  [$HOOKBRIDGE_PORT]',
    '  --host  host  [$HOOKBRIDGE_HOST]',
    '  --file, -f  files  [$HOOKBRIDGE_FILE]',
    '  --log-level  level (default "info")  [$HOOKBRIDGE_LOG_LEVEL]',
    '  --forbid-loopback  refuse loopback (default false)  [$HOOKBRIDGE_FORBID_LOOPBACK]',
    '  --help, -h  help  [$HOOKBRIDGE_HELP]',
    '',
  ].join('\n'));
});
