/**
 * @module console/web/pages/thing-shadows
 * A thing's Device Shadows on its page: the classic shadow and each named shadow (the console route
 * reads them as iot-data's ListNamedShadowsForThing and GetThingShadow do, under the key's policies),
 * each with its version, last update and its desired, reported and delta state as formatted JSON.
 */
import type { RefusedShadow, ShadowView, ThingShadowsResponse } from '../../../api-types';
import { consoleApi } from '../api';
import { ErrorNote, Loading, formatTime, useAsync } from '../components';

const SECTIONS = ['desired', 'reported', 'delta'] as const;

const titleOf = (name: string | null): string => (name === null ? 'Classic shadow' : `Named shadow ${name}`);

function Shadow(props: { shadow: ShadowView }) {
  const { shadow } = props;
  const title = titleOf(shadow.shadowName);
  return (
    <section class="card" aria-label={title}>
      <h3>{title}</h3>
      <dl class="facts">
        <dt>Version</dt><dd>{shadow.version}</dd>
        <dt>Last updated</dt><dd>{formatTime(shadow.lastUpdated, 'ms')}</dd>
      </dl>
      <div class="shadow-states">
        {SECTIONS.map((section) => (
          <div key={section}>
            <h4>{section}</h4>
            {shadow.state[section] === undefined
              ? <p class="hint">No {section} state.</p>
              : <pre class="payload json" aria-label={`${title}: ${section}`}>{JSON.stringify(shadow.state[section], null, 2)}</pre>}
          </div>
        ))}
      </div>
    </section>
  );
}

function Refused(props: { shadow: RefusedShadow }) {
  const title = titleOf(props.shadow.shadowName);
  return (
    <section class="card" aria-label={title}>
      <h3>{title}</h3>
      <p class="note error">{props.shadow.refused} (AccessDeniedException)</p>
    </section>
  );
}

function Shadows(props: { data: ThingShadowsResponse }) {
  const { shadows, truncated } = props.data;
  if (shadows.length === 0) return <p class="hint">This thing has no shadows. A device makes one by publishing to <code>$aws/things/…/shadow/update</code> (or UpdateThingShadow).</p>;
  return (
    <>
      {shadows.map((s) => ('refused' in s ? <Refused key={s.shadowName} shadow={s} /> : <Shadow key={s.shadowName ?? ''} shadow={s} />))}
      {truncated && <p class="hint">More named shadows exist than are shown here; list them with ListNamedShadowsForThing.</p>}
    </>
  );
}

/** The Device shadows part of a thing's page, loaded on its own so a refusal leaves the rest of the page. */
export function ThingShadows(props: { thingName: string }) {
  const shadows = useAsync(() => consoleApi.shadows(props.thingName), [props.thingName]);
  return (
    <section aria-labelledby="thing-shadows">
      <h2 id="thing-shadows">Device shadows</h2>
      <p><button type="button" onClick={shadows.reload} disabled={shadows.loading}>Refresh shadows</button></p>
      <ErrorNote error={shadows.error} />
      {shadows.loading && !shadows.data && <Loading />}
      {shadows.data && <Shadows data={shadows.data} />}
    </section>
  );
}
