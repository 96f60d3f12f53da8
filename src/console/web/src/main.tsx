/**
 * @module console/web/main
 * The console's shell: it asks whether a session is open, shows the sign-in page or the navigation and
 * the page the hash names, and goes back to sign-in whenever a call finds the session gone.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { SessionInfo } from '../../api-types';
import { consoleApi, whenSignedOut } from './api';
import { href, useRoute } from './router';
import { SignIn } from './pages/sign-in';
import { Dashboard } from './pages/dashboard';
import { ThingsPage } from './pages/things';
import { ThingPage } from './pages/thing';
import { CreateThingPage } from './pages/thing-create';
import { CertificatesPage } from './pages/certificates';
import { CertificatePage } from './pages/certificate';
import { PoliciesPage } from './pages/policies';
import { PolicyPage } from './pages/policy';
import { TestAuthorizationPage } from './pages/test-authorization';
import { ClientsPage } from './pages/clients';
import { RetainedPage } from './pages/retained';
import { MqttClientPage } from './pages/mqtt-client';
import { endTestClient } from './test-client';
import './styles.css';

const NAV: Array<[label: string, section: string]> = [
  ['Dashboard', ''],
  ['Things', 'things'],
  ['Certificates', 'certificates'],
  ['Policies', 'policies'],
  ['Test authorization', 'test-authorization'],
  ['Clients', 'clients'],
  ['Retained messages', 'retained'],
  ['MQTT test client', 'mqtt'],
];

function View(props: { path: string[]; session: SessionInfo }) {
  const [section = '', id, more] = props.path;
  switch (section) {
    case '': return <Dashboard />;
    case 'things':
      if (id === 'new') return <CreateThingPage />;
      return id === undefined ? <ThingsPage /> : <ThingPage name={id} />;
    case 'certificates': return id === undefined ? <CertificatesPage /> : <CertificatePage id={id} />;
    case 'policies':
      if (id === 'new') return <PolicyPage />;
      return id === undefined ? <PoliciesPage /> : <PolicyPage name={id} version={more} />;
    case 'test-authorization': return <TestAuthorizationPage />;
    case 'clients': return <ClientsPage />;
    case 'retained': return <RetainedPage />;
    case 'mqtt': return <MqttClientPage session={props.session} />;
    default: return <p class="note error" role="alert">No console page at #{props.path.join('/')}.</p>;
  }
}

function App() {
  const [session, setSession] = useState<SessionInfo | null | undefined>(undefined);
  const path = useRoute();
  useEffect(() => {
    whenSignedOut(() => {
      endTestClient();
      setSession(null);
    });
    consoleApi.session().then(setSession, () => setSession(null));
  }, []);
  if (session === undefined) return <p class="note" role="status">Loading…</p>;
  if (session === null) return <SignIn onSignedIn={setSession} />;
  const section = path[0] ?? '';
  const signOut = async (): Promise<void> => {
    endTestClient();
    await consoleApi.signOut().catch(() => undefined);
    setSession(null);
  };
  return (
    <div class="shell">
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
      <header class="top">
        <span class="brand">topicd console</span>
        <span class="who">Signed in as <code>{session.accessKeyId}</code></span>
        <button type="button" class="link" onClick={() => void signOut()}>Sign out</button>
      </header>
      <nav class="side" aria-label="Console">
        <ul>
          {NAV.map(([label, target]) => (
            <li key={target}>
              <a href={href(...(target === '' ? [] : [target]))} aria-current={section === target ? 'page' : undefined}>{label}</a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        <View path={path} session={session} />
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
