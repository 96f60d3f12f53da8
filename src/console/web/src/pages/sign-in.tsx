/**
 * @module console/web/pages/sign-in
 * Sign in with an access key, as the AWS CLI would use it (the admin key is in DATA/credentials). A
 * wrong secret is said plainly. The secret goes to topicd once and is not kept by the page.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { SessionInfo } from '../../../api-types';
import { consoleApi } from '../api';
import { ErrorNote, Field, useAction } from '../components';

export function SignIn(props: { onSignedIn: (session: SessionInfo) => void }) {
  const [accessKeyId, setAccessKeyId] = useState('');
  const [secret, setSecret] = useState('');
  const action = useAction();
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => {
    document.title = 'Sign in - topicd console';
    first.current?.focus();
  }, []);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    await action.run(async () => {
      const session = await consoleApi.signIn({ accessKeyId: accessKeyId.trim(), secretAccessKey: secret });
      setSecret('');
      props.onSignedIn(session);
    });
  };
  return (
    <main class="sign-in">
      <form onSubmit={(e) => void submit(e)} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">topicd console</h1>
        <p>Sign in with an access key. The admin key is in <code>data/credentials</code>.</p>
        <Field label="Access key ID" id="access-key-id">
          <input id="access-key-id" ref={first} value={accessKeyId} onInput={(e) => setAccessKeyId(e.currentTarget.value)}
            autocomplete="username" spellcheck={false} required />
        </Field>
        <Field label="Secret access key" id="secret-access-key">
          <input id="secret-access-key" type="password" value={secret} onInput={(e) => setSecret(e.currentTarget.value)}
            autocomplete="current-password" required />
        </Field>
        <ErrorNote error={action.error} />
        <button type="submit" class="primary" disabled={action.busy}>Sign in</button>
      </form>
    </main>
  );
}
