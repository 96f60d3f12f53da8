/**
 * @module console/web/policy-editor
 * The policy document editor: a plain textarea (every browser's editing, undo and keyboard use) with
 * line numbers, where a problem is shown on its line: a JSON syntax error as the user types, and the
 * server's MalformedPolicyException at the member its path names. "Go to the problem" puts the caret
 * there.
 */
import { useMemo, useRef } from 'preact/hooks';
import { ApiError, messageOf } from './api';
import { lineColumn, locate, pathOfMessage, spanOf } from './policy-json';

export interface EditorProblem {
  line: number;
  offset: number;
  text: string;
}

/** The problem to show: the local syntax error first, else the server's refusal placed by its path. */
export function problemOf(text: string, serverError: unknown): EditorProblem | undefined {
  const located = locate(text);
  if (located.error) {
    const { line, column } = lineColumn(text, located.error.offset);
    return { line, offset: located.error.offset, text: `Line ${line}, column ${column}: ${located.error.message}` };
  }
  if (serverError === undefined || serverError === null) return undefined;
  const message = messageOf(serverError);
  const path = serverError instanceof ApiError ? pathOfMessage(serverError.message) : undefined;
  const span = path === undefined ? undefined : spanOf(located.spans, path);
  if (!span) return { line: 0, offset: 0, text: message };
  const { line } = lineColumn(text, span.start);
  return { line, offset: span.start, text: `Line ${line}: ${message}` };
}

export function PolicyEditor(props: { id: string; label: string; value: string; onInput: (text: string) => void; serverError?: unknown }) {
  const area = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const problem = useMemo(() => problemOf(props.value, props.serverError), [props.value, props.serverError]);
  const lines = props.value.split('\n').length;
  const goTo = (): void => {
    const el = area.current;
    if (!el || !problem) return;
    el.focus();
    el.setSelectionRange(problem.offset, Math.min(props.value.length, problem.offset + 1));
  };
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <div class={`editor${problem ? ' invalid' : ''}`}>
        <div class="gutter" ref={gutter} aria-hidden="true">
          {Array.from({ length: lines }, (_, i) => <div key={i} class={problem?.line === i + 1 ? 'bad' : undefined}>{i + 1}</div>)}
        </div>
        <textarea id={props.id} ref={area} value={props.value} spellcheck={false} wrap="off" rows={18}
          aria-invalid={problem ? 'true' : 'false'} aria-describedby={`${props.id}-problem`}
          onInput={(e) => props.onInput(e.currentTarget.value)}
          onScroll={(e) => { if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop; }} />
      </div>
      <div id={`${props.id}-problem`} class="problem" role={problem ? 'alert' : undefined}>
        {problem && (
          <>
            <span>{problem.text}</span>
            {problem.line > 0 && <button type="button" class="link" onClick={goTo}>Go to the problem</button>}
          </>
        )}
      </div>
    </div>
  );
}

/** A document as it is best read: indented when it is JSON, as given otherwise. */
export function pretty(document: string): string {
  try {
    return JSON.stringify(JSON.parse(document), null, 2);
  } catch {
    return document;
  }
}
