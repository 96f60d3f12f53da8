/**
 * @module bus/subjects
 * MQTT topics and filters as NATS subjects, so NATS routes by interest. A topic level becomes a
 * subject token: printable ASCII stays as it is but for `.`, `*`, `>` and the escape `~`, which with
 * every other byte become `~XX` (hex of the UTF-8 byte); an empty level is `~` alone. A filter's `+`
 * is `*`, its `#` is `>` (and its parent, which `a/#` may match too). A topic too long for a subject
 * goes to the one subject every node hears (ALL_SUBJECT), as a retained message does a second time
 * (every node keeps its copy); the receiving node's own topic tree decides.
 */
const PREFIX = 'topicd.m.';
/** What every node hears: topics whose subject would be too long for NATS's control line, retained messages. */
export const ALL_SUBJECT = 'topicd.all';
const MAX_SUBJECT = 1024;

/** Whether char code `c` stays as it is in a token. */
const plain = (c: number): boolean => c > 0x20 && c < 0x7f && c !== 0x2e && c !== 0x2a && c !== 0x3e && c !== 0x7e;

function escapeLevel(level: string): string {
  if (level === '') return '~';
  let out = '';
  for (const byte of Buffer.from(level, 'utf8')) {
    out += plain(byte) ? String.fromCharCode(byte) : `~${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** The subject a topic's messages are published on. Hot path: one scan, one replace when nothing needs escaping. */
export function topicSubject(topic: string): string {
  let simple = topic.length > 0 && topic.charCodeAt(0) !== 0x2f && topic.charCodeAt(topic.length - 1) !== 0x2f;
  for (let i = 0; simple && i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    if (c === 0x2f) simple = topic.charCodeAt(i + 1) !== 0x2f;
    else simple = plain(c);
  }
  const subject = simple ? PREFIX + topic.replaceAll('/', '.') : PREFIX + topic.split('/').map(escapeLevel).join('.');
  return subject.length > MAX_SUBJECT ? ALL_SUBJECT : subject;
}

/** The subjects a filter's messages come on (`a/#` also matches `a`, in the mqtt profile). */
export function filterSubjects(filter: string): string[] {
  const levels = filter.split('/');
  const tokens = levels.map((l) => (l === '+' ? '*' : l === '#' ? '>' : escapeLevel(l)));
  const subject = PREFIX + tokens.join('.');
  if (subject.length > MAX_SUBJECT) return [];
  if (levels.at(-1) === '#' && levels.length > 1) return [subject, PREFIX + tokens.slice(0, -1).join('.')];
  return [subject];
}

/** The one-token subject a client id's holder listens on for claims. */
export function claimSubject(clientId: string): string {
  return `topicd.claim.${escapeLevel(clientId).replaceAll('/', '~2f')}`;
}

export const EVENT_SUBJECT = 'topicd.event';

/** The one-token subject an instance hears the acknowledgements it asked for on. */
export function answerSubject(instance: string): string {
  return `topicd.ack.${escapeLevel(instance).replaceAll('/', '~2f')}`;
}
