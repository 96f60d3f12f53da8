/**
 * @module console/web/pages/mqtt-client
 * The MQTT test client, as AWS's console has it: subscribe to topic filters (`#` included), watch
 * messages arrive (payload as JSON, text or hex; QoS, retain, time and MQTT 5 properties), pause and
 * clear; publish with a topic, payload, QoS, retain and user properties. It acts as the signed-in
 * access key: its policies decide what the client may do.
 */
import { Fragment } from 'preact';
import { useEffect, useReducer, useState } from 'preact/hooks';
import type { SessionInfo } from '../../../api-types';
import { ErrorNote, Field, Page, useAction } from '../components';
import { showPayload } from '../payload';
import { testClient, type ReceivedMessage } from '../test-client';

const STATUS: Record<string, string> = { connecting: 'Connecting…', connected: 'Connected', reconnecting: 'Reconnecting…', closed: 'Disconnected' };

function describe(value: unknown): string {
  if (value instanceof Uint8Array) return showPayload(value).text;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function MessageView(props: { message: ReceivedMessage }) {
  const m = props.message;
  const shown = showPayload(m.payload);
  const properties = Object.entries(m.properties).filter(([k]) => k !== 'topicAlias');
  return (
    <article class="message" aria-label={`Message on ${m.topic}`}>
      <header>
        <code class="topic">{m.topic}</code>
        <span>{new Date(m.time).toLocaleTimeString()}</span>
        <span>QoS {m.qos}</span>
        {m.retain && <span class="tag">retained</span>}
        <span class="hint">{shown.kind}</span>
      </header>
      <pre class={`payload ${shown.kind}`}>{shown.text}</pre>
      {properties.length > 0 && (
        <dl class="props">
          {properties.map(([k, v]) => <Fragment key={k}><dt>{k}</dt><dd>{describe(v)}</dd></Fragment>)}
        </dl>
      )}
    </article>
  );
}

function SubscribeForm() {
  const client = testClient();
  const [filter, setFilter] = useState('#');
  const [qos, setQos] = useState<0 | 1>(0);
  const action = useAction();
  const submit = (e: Event): void => {
    e.preventDefault();
    void action.run(() => client.subscribe(filter, qos));
  };
  return (
    <form class="form" onSubmit={submit} aria-label="Subscribe to a topic">
      <Field label="Topic filter" id="topic-filter" hint="# is every topic ($ topics excepted); + is one level">
        <input id="topic-filter" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} required spellcheck={false} aria-describedby="topic-filter-hint" />
      </Field>
      <Field label="Subscription QoS" id="sub-qos">
        <select id="sub-qos" value={qos} onChange={(e) => setQos(Number(e.currentTarget.value) as 0 | 1)}>
          <option value={0}>0 - at most once</option>
          <option value={1}>1 - at least once</option>
        </select>
      </Field>
      <ErrorNote error={action.error} />
      <button type="submit" class="primary" disabled={action.busy}>Subscribe</button>
    </form>
  );
}

function PublishForm() {
  const client = testClient();
  const [topic, setTopic] = useState('');
  const [payload, setPayload] = useState('{\n  "message": "Hello from the topicd console"\n}');
  const [qos, setQos] = useState<0 | 1>(0);
  const [retain, setRetain] = useState(false);
  const [props, setProps] = useState<Array<[string, string]>>([]);
  const [sent, setSent] = useState('');
  const action = useAction();
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setSent('');
    if (await action.run(() => client.publish(topic, payload, qos, retain, props.filter(([k]) => k !== '')))) setSent(`Published to ${topic}.`);
  };
  const setProp = (i: number, part: 0 | 1, value: string): void => setProps(props.map((p, j) => (j === i ? (part === 0 ? [value, p[1]] : [p[0], value]) : p)));
  return (
    <form class="form" onSubmit={(e) => void submit(e)} aria-label="Publish to a topic">
      <Field label="Topic name" id="publish-topic">
        <input id="publish-topic" value={topic} onInput={(e) => setTopic(e.currentTarget.value)} required spellcheck={false} />
      </Field>
      <Field label="Message payload" id="publish-payload">
        <textarea id="publish-payload" rows={4} value={payload} onInput={(e) => setPayload(e.currentTarget.value)} spellcheck={false} />
      </Field>
      <div class="row">
        <Field label="QoS" id="publish-qos">
          <select id="publish-qos" value={qos} onChange={(e) => setQos(Number(e.currentTarget.value) as 0 | 1)}>
            <option value={0}>0</option>
            <option value={1}>1</option>
          </select>
        </Field>
        <span class="check">
          <input id="publish-retain" type="checkbox" checked={retain} onChange={(e) => setRetain(e.currentTarget.checked)} />
          <label for="publish-retain">Retain message</label>
        </span>
      </div>
      <fieldset>
        <legend>User properties (MQTT 5)</legend>
        {props.map(([k, v], i) => (
          <div class="row" key={i}>
            <Field label={`Name ${i + 1}`} id={`prop-name-${i}`}><input id={`prop-name-${i}`} value={k} onInput={(e) => setProp(i, 0, e.currentTarget.value)} /></Field>
            <Field label={`Value ${i + 1}`} id={`prop-value-${i}`}><input id={`prop-value-${i}`} value={v} onInput={(e) => setProp(i, 1, e.currentTarget.value)} /></Field>
            <button type="button" onClick={() => setProps(props.filter((_, j) => j !== i))} aria-label={`Remove user property ${i + 1}`}>Remove</button>
          </div>
        ))}
        <button type="button" onClick={() => setProps([...props, ['', '']])}>Add user property</button>
      </fieldset>
      <ErrorNote error={action.error} />
      {sent && <p class="note" role="status">{sent}</p>}
      <button type="submit" class="primary" disabled={action.busy}>Publish</button>
    </form>
  );
}

export function MqttClientPage(_props: { session: SessionInfo }) {
  const client = testClient();
  const [, rerender] = useReducer((n: number, _action: void) => n + 1, 0);
  useEffect(() => client.onChange(() => rerender()), [client]);
  const unsubscribe = useAction();
  return (
    <Page title="MQTT test client">
      <p class="status-line" role="status">
        <span class={`dot ${client.status}`} aria-hidden="true" /> {STATUS[client.status]} as <code>{client.clientId}</code>
      </p>
      {client.error && <p class="note error" role="alert">{client.error}</p>}
      <div class="mqtt">
        <div class="mqtt-forms">
          <h2>Subscribe to a topic</h2>
          <SubscribeForm />
          {client.subscriptions.length > 0 && (
            <ul class="subscriptions" aria-label="Subscriptions">
              {client.subscriptions.map((s) => (
                <li key={s.filter}>
                  <code>{s.filter}</code> (QoS {s.qos})
                  <button type="button" class="link" onClick={() => void unsubscribe.run(() => client.unsubscribe(s.filter))} aria-label={`Unsubscribe from ${s.filter}`}>Unsubscribe</button>
                </li>
              ))}
            </ul>
          )}
          <ErrorNote error={unsubscribe.error} />
          <h2>Publish to a topic</h2>
          <PublishForm />
        </div>
        <section class="mqtt-messages" aria-labelledby="messages-title">
          <div class="messages-head">
            <h2 id="messages-title">Messages</h2>
            <button type="button" onClick={() => client.setPaused(!client.paused)} aria-pressed={client.paused}>{client.paused ? `Resume (${client.held.length} held)` : 'Pause'}</button>
            <button type="button" onClick={() => client.clear()}>Clear</button>
          </div>
          <div class="messages" role="log" aria-label="Received messages">
            {client.messages.length === 0 && <p class="hint">No messages yet. Subscribe to a topic filter, then publish.</p>}
            {client.messages.map((m) => <MessageView key={m.id} message={m} />)}
          </div>
        </section>
      </div>
    </Page>
  );
}
