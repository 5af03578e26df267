import { describe, expect, test } from 'vitest';
import { Metrics } from '../../../src/observability/index.ts';

/** The value of one exposed sample line, by its name and labels as prom-client prints them. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const RESOLVE = 'route="/v1/resolve",method="GET"';

describe('HTTP request metrics', () => {
  test('counts answers by code and places latencies in cumulative buckets', async () => {
    const metrics = new Metrics();
    const series = metrics.requestSeries('/v1/resolve', 'GET');
    series.record(200, 0.00005);
    series.record(200, 0.00025); // on a bound: counted in that bucket
    series.record(304, 0.0003);
    series.record(500, 7); // above every bound: only in +Inf
    metrics.observeRequest('/policies', 'POST', 201, 0.02);

    const text = await metrics.registry.metrics();
    expect(sample(text, `railyard_http_requests_total{${RESOLVE},code="200"}`)).toBe(2);
    expect(sample(text, `railyard_http_requests_total{${RESOLVE},code="304"}`)).toBe(1);
    expect(sample(text, `railyard_http_requests_total{${RESOLVE},code="500"}`)).toBe(1);
    expect(sample(text, 'railyard_http_requests_total{route="/policies",method="POST",code="201"}')).toBe(1);

    const bucket = (le: string) =>
      sample(text, `railyard_http_request_duration_seconds_bucket{${RESOLVE},le="${le}"}`);
    expect(bucket('0.0001')).toBe(1);
    expect(bucket('0.00025')).toBe(2);
    expect(bucket('0.0005')).toBe(3);
    expect(bucket('5')).toBe(3);
    expect(bucket('+Inf')).toBe(4);
    expect(sample(text, `railyard_http_request_duration_seconds_count{${RESOLVE}}`)).toBe(4);
    expect(sample(text, `railyard_http_request_duration_seconds_sum{${RESOLVE}}`)).toBeCloseTo(7.0006, 9);
    expect(text).toContain('# TYPE railyard_http_request_duration_seconds histogram');
  });

  test('a scrape hands each answer to the counter once; later answers add to it', async () => {
    const metrics = new Metrics();
    const series = metrics.requestSeries('/v1/resolve', 'GET');
    expect(metrics.requestSeries('/v1/resolve', 'GET')).toBe(series);
    series.record(200, 0.001);
    await metrics.registry.metrics();
    series.record(200, 0.001);
    const text = await metrics.registry.metrics();
    expect(sample(text, `railyard_http_requests_total{${RESOLVE},code="200"}`)).toBe(2);
    expect(sample(text, `railyard_http_request_duration_seconds_count{${RESOLVE}}`)).toBe(2);
  });
});
