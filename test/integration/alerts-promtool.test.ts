// The shipped alerts (charts/hookbridge/files/alerts.yaml) under the real promtool: the rules load,
// the unit tests in charts/hookbridge/tests/alerts.test.yaml pass, every alert is shown both firing
// and silent there, and every alert carries a severity, a `for:` and a runbook link that resolves to
// a section of docs/runbook.md. The chart renders this very file (checked in chart-helm.test.ts).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CHART = path.join(ROOT, 'charts/hookbridge');
const RULES = path.join(CHART, 'files/alerts.yaml');
const RULE_TESTS = path.join(CHART, 'tests/alerts.test.yaml');
const RUNBOOK = path.join(ROOT, 'docs/runbook.md');
const RUNBOOK_BASE = 'https://github.com/hookbridge/hookbridge/blob/main/docs/runbook.md';

interface AlertRule { alert: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
interface RuleTest { name: string; alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }

function promtool(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    execFile('promtool', args, { cwd: ROOT }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? Number(err.code) : 0, out: stdout + stderr });
    });
  });
}

const alerts = (): AlertRule[] =>
  (parse(fs.readFileSync(RULES, 'utf8')) as { groups: { rules: AlertRule[] }[] }).groups.flatMap((g) => g.rules);

/** GitHub's heading anchors: lower-case, punctuation dropped, spaces to dashes. */
const slug = (heading: string): string => heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');

test('promtool accepts the rules file', async () => {
  const r = await promtool(['check', 'rules', RULES]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, new RegExp(`SUCCESS: ${alerts().length} rules found`));
});

test('promtool rule unit tests pass', async () => {
  const r = await promtool(['test', 'rules', RULE_TESTS]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /SUCCESS/);
});

test('SPEC §7 alerts are all shipped', () => {
  const names = new Set(alerts().map((a) => a.alert));
  for (const name of [
    'HookbridgeDeliveryFailureRatioHigh', 'HookbridgeDeadLettersGrowing', 'HookbridgeBacklogNearLimit',
    'HookbridgeBacklogWithoutConnector', 'HookbridgeOldMessages', 'HookbridgeConnectorFlapping',
    'HookbridgeDeliveryLatencyHigh', 'HookbridgeReceiverDown', 'HookbridgeTokenRotationOverdue', 'HookbridgeReconcileErrors',
  ]) assert.ok(names.has(name), `missing alert ${name}`);
});

test('every alert is tested firing and tested silent', () => {
  const cases = (parse(fs.readFileSync(RULE_TESTS, 'utf8')) as { tests: RuleTest[] }).tests
    .flatMap((t) => t.alert_rule_test ?? []);
  for (const { alert } of alerts()) {
    const mine = cases.filter((c) => c.alertname === alert);
    assert.ok(mine.some((c) => (c.exp_alerts ?? []).length > 0), `${alert}: no test case where it fires`);
    assert.ok(mine.some((c) => (c.exp_alerts ?? []).length === 0), `${alert}: no test case where it stays silent`);
  }
});

test('every alert has a severity, a for:, a summary and a runbook section', () => {
  const anchors = new Set(fs.readFileSync(RUNBOOK, 'utf8').split('\n')
    .filter((l) => /^#{2,3} /.test(l)).map((l) => slug(l.replace(/^#+ /, ''))));
  for (const a of alerts()) {
    assert.ok(['warning', 'critical'].includes(a.labels?.severity ?? ''), `${a.alert}: severity`);
    assert.match(a.for ?? '', /^\d+[smh]$/, `${a.alert}: for`);
    assert.ok(a.annotations?.summary, `${a.alert}: summary`);
    const url = a.annotations?.runbook_url ?? '';
    assert.equal(url, `${RUNBOOK_BASE}#${a.alert.toLowerCase()}`, `${a.alert}: runbook_url`);
    assert.ok(anchors.has(a.alert.toLowerCase()), `${a.alert}: no "## ${a.alert}" section in docs/runbook.md`);
  }
});
