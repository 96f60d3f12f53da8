/**
 * @module protocol/topics
 * Topic names and filters: validation against the MQTT rules and AWS IoT's limits, and matching of a
 * name against a filter (the trie in broker/ is the fast path; `topicMatches` is the reference).
 * Errors come back as values (a reason string or null), not throws, since bad topics are common input.
 */

/** AWS IoT: a topic is at most 256 bytes of UTF-8 and 7 slashes (8 levels). */
export const AWS_MAX_TOPIC_BYTES = 256;
export const AWS_MAX_TOPIC_SLASHES = 7;
/** AWS: Basic Ingest topics do not count their `$aws/rules/<rule>/` prefix against the limits. */
const RULES_PREFIX = /^\$aws\/rules\/[^/]+\//;

export interface TopicLimits {
  maxBytes: number;
  maxSlashes: number;
}

export const AWS_TOPIC_LIMITS: TopicLimits = { maxBytes: AWS_MAX_TOPIC_BYTES, maxSlashes: AWS_MAX_TOPIC_SLASHES };
/** The standard's own ceilings: 65535 bytes, any depth. */
export const MQTT_TOPIC_LIMITS: TopicLimits = { maxBytes: 65535, maxSlashes: Number.MAX_SAFE_INTEGER };

function countSlashes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 47) n++;
  return n;
}

function checkLimits(topic: string, limits: TopicLimits, what: string): string | null {
  // Only Basic Ingest topics pay for the regex; every other publish skips it.
  const counted = topic.startsWith('$aws/rules/') ? topic.replace(RULES_PREFIX, '') : topic;
  const bytes = Buffer.byteLength(counted, 'utf8');
  if (bytes > limits.maxBytes) return `${what} is ${bytes} bytes; the limit is ${limits.maxBytes}`;
  const slashes = countSlashes(counted);
  if (slashes > limits.maxSlashes) return `${what} has ${slashes} slashes; the limit is ${limits.maxSlashes}`;
  return null;
}

/** Null when `topic` is a valid name to publish to, else the reason. */
export function validateTopicName(topic: string, limits: TopicLimits = AWS_TOPIC_LIMITS): string | null {
  // [MQTT-4.7.3-1] at least one character
  if (topic.length === 0) return 'topic is empty';
  // [MQTT-3.3.2-2] no wildcards in a topic name
  if (topic.includes('+') || topic.includes('#')) return 'topic must not contain the wildcards + or #';
  // [MQTT-4.7.3-2] no null character
  if (topic.includes('\u0000')) return 'topic must not contain U+0000';
  return checkLimits(topic, limits, 'topic');
}

/** Null when `filter` is a valid subscription filter, else the reason. */
export function validateTopicFilter(filter: string, limits: TopicLimits = AWS_TOPIC_LIMITS): string | null {
  if (filter.length === 0) return 'topic filter is empty';
  if (filter.includes('\u0000')) return 'topic filter must not contain U+0000';
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    // [MQTT-4.7.1-2] '#' alone in its level and last
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      return 'a # wildcard must be alone in the last level of the filter';
    }
    // [MQTT-4.7.1-3] '+' alone in its level
    if (level.includes('+') && level !== '+') return 'a + wildcard must be alone in its level';
  }
  return checkLimits(filter, limits, 'topic filter');
}

export interface MatchOptions {
  /**
   * Whether `a/#` also matches `a` (the standard, [MQTT-4.7.1-2]). AWS IoT says it does not:
   * `sensor/#` matches `sensor/` but not `sensor`.
   */
  hashMatchesParent: boolean;
}

/** Reference matcher. [MQTT-4.7.2-1] wildcards at the first level never match `$` topics. */
export function topicMatches(filter: string, topic: string, options: MatchOptions): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i]!;
    if (level === '#') return i < t.length || options.hashMatchesParent;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/** `$share/{group}/{filter}` split into its parts; null when `filter` is not a shared subscription. */
export function parseSharedFilter(filter: string): { group: string; filter: string } | null {
  if (!filter.startsWith('$share/')) return null;
  const rest = filter.slice(7);
  const slash = rest.indexOf('/');
  if (slash <= 0) return null;
  return { group: rest.slice(0, slash), filter: rest.slice(slash + 1) };
}

/** AWS: a share name is 1..128 characters without `/`, `+` or `#`. */
const MAX_SHARE_NAME = 128;

/** Null when `filter` is a valid subscription filter, shared (`$share/{group}/{filter}`) or not. */
export function validateSubscriptionFilter(filter: string, limits: TopicLimits = AWS_TOPIC_LIMITS): string | null {
  if (!filter.startsWith('$share/')) return validateTopicFilter(filter, limits);
  const shared = parseSharedFilter(filter);
  // [MQTT-4.8.2-1] a share name of at least one character, then a filter
  if (!shared) return 'a shared subscription must be $share/{ShareName}/{filter}';
  if (shared.group.length > MAX_SHARE_NAME) return `share name over ${MAX_SHARE_NAME} characters`;
  // [MQTT-4.8.2-2] no wildcards in the share name
  if (shared.group.includes('+') || shared.group.includes('#')) return 'share name must not contain + or #';
  return validateTopicFilter(shared.filter, limits);
}
