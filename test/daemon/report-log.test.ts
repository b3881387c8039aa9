import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReportLogBuffer, reportingLogger } from '../../lib/daemon/report-log.js';

test('entries since the last report, with seconds and microseconds; DEBUG stays out', () => {
  let now = 1_700_000_000_123.456;
  const b = new ReportLogBuffer(10, () => now);
  const seen: string[] = [];
  const log = reportingLogger({ debug: (m) => seen.push(`D ${m}`), info: (m) => seen.push(`I ${m}`), warn: (m) => seen.push(`W ${m}`), error: (m) => seen.push(`E ${m}`) }, b);
  log.debug('d');
  log.info('i');
  now += 1000;
  log.error('e');
  assert.deepEqual(seen, ['D d', 'I i', 'E e']);
  assert.deepEqual(b.take(), [
    { logTimestamp: 1_700_000_000, logMicroTimestamp: 123456, logLevel: 'INFO', logDetails: 'i' },
    { logTimestamp: 1_700_000_001, logMicroTimestamp: 123456, logLevel: 'ERROR', logDetails: 'e' },
  ]);
  assert.deepEqual(b.take(), []);
});

test('a failed report puts its entries back before newer ones; beyond the bound the oldest go and are counted', () => {
  const b = new ReportLogBuffer(3, () => 5000);
  b.add('INFO', 'a');
  b.add('INFO', 'b');
  const sent = b.take();
  b.add('WARN', 'c');
  b.restore(sent);
  assert.deepEqual(b.take().map((e) => e.logDetails), ['a', 'b', 'c']);
  for (const m of ['1', '2', '3', '4', '5']) b.add('INFO', m);
  assert.deepEqual(b.take().map((e) => `${e.logLevel} ${e.logDetails}`), ['WARN 2 earlier log entries were dropped: the manager did not take reports', 'INFO 3', 'INFO 4', 'INFO 5']);
});
