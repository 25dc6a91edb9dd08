import assert from 'node:assert/strict';
import { test } from 'node:test';
import { columns, metricSum } from './views.ts';

test('columns cuts cells at the header offsets, keeping empty cells empty', () => {
  const table = [
    'NAME     READY   URL                                    SUBSCRIPTIONS   CONNECTED   BACKLOG   DLQ   REASON   AGE',
    'orders   True    http://127.0.0.1:1234/webhook/demo/x   1               0           20        0              2m',
  ].join('\n');
  assert.deepEqual(columns(table), {
    NAME: 'orders', READY: 'True', URL: 'http://127.0.0.1:1234/webhook/demo/x', SUBSCRIPTIONS: '1',
    CONNECTED: '0', BACKLOG: '20', DLQ: '0', REASON: '', AGE: '2m',
  });
  assert.throws(() => columns('NAME\n'), /header and one row/);
});

test('metricSum adds every label set of exactly that metric', () => {
  const text = [
    '# HELP hookbridge_connector_connected 1 while the stream is up',
    'hookbridge_connector_connected{namespace="a",subscription="x"} 1',
    'hookbridge_connector_connected{namespace="b",subscription="y"} 1',
    'hookbridge_connector_connected_other 7',
    'hookbridge_connector_reconnects_total 3',
  ].join('\n');
  assert.equal(metricSum(text, 'hookbridge_connector_connected'), 2);
  assert.equal(metricSum(text, 'hookbridge_connector_reconnects_total'), 3);
  assert.equal(metricSum(text, 'hookbridge_missing'), 0);
});
