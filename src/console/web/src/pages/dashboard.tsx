/**
 * @module console/web/pages/dashboard
 * Connections, messages in and out per second, drops and denials over the last minutes, from the
 * server's samples of its cumulative counters (a rate is the difference of two neighbouring samples
 * over their time apart). A counter the server does not keep is shown as not measured, not as zero.
 */
import { useEffect } from 'preact/hooks';
import type { StatsSample } from '../../../api-types';
import { consoleApi } from '../api';
import { ErrorNote, Loading, Page, useAsync } from '../components';

type Counter = Exclude<keyof StatsSample, 'at'>;

/** Per-second rates between neighbouring samples; null where a counter is not kept. */
function rates(samples: StatsSample[], key: Counter): Array<number | null> {
  const out: Array<number | null> = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    const va = a[key];
    const vb = b[key];
    const seconds = (b.at - a.at) / 1000;
    out.push(va === null || vb === null || seconds <= 0 ? null : Math.max(0, (vb - va) / seconds));
  }
  return out;
}

function Chart(props: { title: string; values: Array<number | null>; unit: string; minutes: number }) {
  const known = props.values.filter((v): v is number => v !== null);
  const last = known[known.length - 1];
  const peak = known.length === 0 ? undefined : Math.max(...known);
  const max = Math.max(1, peak ?? 0);
  const width = 300;
  const height = 80;
  const step = props.values.length > 1 ? width / (props.values.length - 1) : width;
  const points = props.values
    .map((v, i) => (v === null ? null : `${(i * step).toFixed(1)},${(height - (v / max) * (height - 4) - 2).toFixed(1)}`))
    .filter((p) => p !== null)
    .join(' ');
  const current = last === undefined ? 'not measured' : `${Number.isInteger(last) ? last : last.toFixed(1)} ${props.unit}`;
  return (
    <figure class="chart">
      <figcaption>
        <span>{props.title}</span>
        <strong>{current}</strong>
      </figcaption>
      {known.length === 0
        ? <p class="hint">This topicd does not count it yet (issue 13, metrics).</p>
        : (
          <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${props.title} over the last ${props.minutes} minutes; now ${current}; highest ${peak ?? 0}`}>
            <polyline points={points} fill="none" stroke="currentColor" stroke-width="2" />
          </svg>
        )}
      <small class="hint">last {props.minutes} min, peak {peak === undefined ? '-' : Number.isInteger(peak) ? peak : peak.toFixed(1)}</small>
    </figure>
  );
}

export function Dashboard() {
  const stats = useAsync(() => consoleApi.stats(), []);
  useEffect(() => {
    const timer = setInterval(stats.reload, 5_000);
    return () => clearInterval(timer);
  }, [stats.reload]);
  const samples = stats.data?.samples ?? [];
  const minutes = stats.data ? Math.max(1, Math.round((samples.length * stats.data.intervalMs) / 60_000)) : 0;
  const level = (key: Counter) => samples.map((s) => s[key]);
  return (
    <Page title="Dashboard">
      {stats.loading && !stats.data && <Loading />}
      <ErrorNote error={stats.error} />
      {stats.data && (
        <div class="charts">
          <Chart title="Connections" values={level('connections')} unit="" minutes={minutes} />
          <Chart title="Subscriptions" values={level('subscriptions')} unit="" minutes={minutes} />
          <Chart title="Messages in" values={rates(samples, 'messagesIn')} unit="/s" minutes={minutes} />
          <Chart title="Messages out" values={rates(samples, 'messagesOut')} unit="/s" minutes={minutes} />
          <Chart title="Dropped" values={rates(samples, 'dropped')} unit="/s" minutes={minutes} />
          <Chart title="Denied" values={rates(samples, 'denied')} unit="/s" minutes={minutes} />
        </div>
      )}
    </Page>
  );
}
