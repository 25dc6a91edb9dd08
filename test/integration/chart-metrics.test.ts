// The alerts and the dashboard are written against docs/metrics.md, the metrics contract: every
// `hookbridge_*` name they use is in it (with _bucket/_sum/_count only on histograms), rate() and
// increase() only ever read counters or histogram series, and every expression parses in promtool.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { parse, stringify } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CHART = path.join(ROOT, 'charts/hookbridge');
const METRICS_MD = path.join(ROOT, 'docs/metrics.md');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-chart-metrics-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

type MetricType = 'counter' | 'gauge' | 'histogram';

/** name → type, from the tables of docs/metrics.md (`| \`hookbridge_x\` | counter | ...`). */
function contract(): Map<string, MetricType> {
  const out = new Map<string, MetricType>();
  for (const m of fs.readFileSync(METRICS_MD, 'utf8').matchAll(/^\|\s*`(hookbridge_[a-z0-9_]+)`\s*\|\s*(counter|gauge|histogram)\s*\|/gm)) {
    out.set(m[1], m[2] as MetricType);
  }
  return out;
}

function alertExprs(): Map<string, string> {
  const groups = (parse(fs.readFileSync(path.join(CHART, 'files/alerts.yaml'), 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups;
  return new Map(groups.flatMap((g) => g.rules.map((r) => [`alert ${r.alert}`, r.expr] as const)));
}

interface Panel { title?: string; targets?: { expr?: string; refId?: string }[]; panels?: Panel[] }
interface Dashboard { panels: Panel[]; templating?: { list: { name: string; query?: unknown; definition?: string }[] } }

function dashboard(): Dashboard {
  return JSON.parse(fs.readFileSync(path.join(CHART, 'dashboards/hookbridge.json'), 'utf8')) as Dashboard;
}

function dashboardExprs(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (panels: Panel[]): void => {
    for (const p of panels) {
      for (const t of p.targets ?? []) if (t.expr) out.set(`panel "${p.title}" ${t.refId}`, t.expr);
      walk(p.panels ?? []);
    }
  };
  walk(dashboard().panels);
  for (const v of dashboard().templating?.list ?? []) {
    if (typeof v.definition === 'string' && v.definition.includes('hookbridge_')) out.set(`variable ${v.name}`, v.definition);
  }
  return out;
}

const HISTOGRAM_SUFFIX = /_(bucket|sum|count)$/;

/** The contract name a series name refers to, or an explanation of why it has none. */
function resolve(name: string, known: Map<string, MetricType>): { base?: string; problem?: string } {
  if (known.has(name)) return { base: name };
  const base = name.replace(HISTOGRAM_SUFFIX, '');
  if (base !== name && known.get(base) === 'histogram') return { base };
  if (base !== name && known.has(base)) return { problem: `${name}: ${base} is a ${known.get(base)}, not a histogram` };
  return { problem: `${name} is not in docs/metrics.md` };
}

test('docs/metrics.md lists the metrics (sanity check of the parser)', () => {
  const known = contract();
  assert.ok(known.size >= 25, `only ${known.size} metrics parsed`);
  assert.equal(known.get('hookbridge_end_to_end_duration_seconds'), 'histogram');
  assert.equal(known.get('hookbridge_delivery_attempts_total'), 'counter');
});

for (const [source, exprs] of [['alerts', alertExprs], ['dashboard', dashboardExprs]] as const) {
  test(`${source} name only metrics from docs/metrics.md`, () => {
    const known = contract();
    const problems: string[] = [];
    let seen = 0;
    for (const [where, expr] of exprs()) {
      for (const [name] of expr.matchAll(/hookbridge_[a-z0-9_]+/g)) {
        seen++;
        const r = resolve(name, known);
        if (r.problem) problems.push(`${where}: ${r.problem}`);
      }
      // rate()/increase() over a gauge is always a mistake.
      for (const m of expr.matchAll(/\b(rate|irate|increase)\(\s*(hookbridge_[a-z0-9_]+)/g)) {
        const { base } = resolve(m[2], known);
        if (base && known.get(base) === 'gauge') problems.push(`${where}: ${m[1]}() over gauge ${m[2]}`);
        if (base && known.get(base) === 'histogram' && !HISTOGRAM_SUFFIX.test(m[2])) problems.push(`${where}: ${m[1]}() over histogram ${m[2]} without a suffix`);
      }
    }
    assert.ok(seen > 10, `${source}: only ${seen} metric references found`);
    assert.deepEqual(problems, []);
  });
}

test('the dashboard shows what operators ask for', () => {
  const used = new Set([...dashboardExprs().values()].flatMap((e) => [...e.matchAll(/hookbridge_[a-z0-9_]+/g)].map((m) => m[0].replace(HISTOGRAM_SUFFIX, ''))));
  for (const name of [
    'hookbridge_delivery_attempts_total', // delivery rate and outcomes
    'hookbridge_end_to_end_duration_seconds', // e2e latency percentiles
    'hookbridge_queue_messages', 'hookbridge_queue_oldest_message_age_seconds', // backlog, oldest per subscription
    'hookbridge_dead_letters', 'hookbridge_connected_connectors', 'hookbridge_circuit_state', 'hookbridge_reconcile_errors_total',
  ]) assert.ok(used.has(name), `dashboard has no panel on ${name}`);
});

test('every dashboard expression parses as PromQL', async () => {
  // Grafana's variables replaced by values Prometheus accepts, then each query checked as a recording rule.
  const rules = [...dashboardExprs()].filter(([where]) => where.startsWith('panel')).map(([, expr], i) => ({
    record: `hookbridge_dashboard:query_${i}`,
    expr: expr.replaceAll('$__rate_interval', '5m').replace(/\$\{?(namespace|channel|subscription)\}?/g, '.*'),
  }));
  const file = path.join(tmp, 'dashboard-rules.yaml');
  fs.writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
  const out = await new Promise<{ code: number; text: string }>((resolve, reject) => {
    execFile('promtool', ['check', 'rules', file], (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? Number(err.code) : 0, text: stdout + stderr });
    });
  });
  assert.equal(out.code, 0, out.text);
  assert.match(out.text, new RegExp(`SUCCESS: ${rules.length} rules found`));
});
