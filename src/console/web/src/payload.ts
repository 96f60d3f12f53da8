/**
 * @module console/web/payload
 * A payload as a person reads it: indented JSON when it is JSON, text when it is UTF-8 text, else hex.
 */
export interface ShownPayload {
  kind: 'json' | 'text' | 'hex' | 'empty';
  text: string;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

export function showPayload(bytes: Uint8Array): ShownPayload {
  if (bytes.length === 0) return { kind: 'empty', text: '(empty)' };
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return { kind: 'hex', text: hex(bytes) };
  }
  // Control characters other than tab and line breaks mean binary that happens to be valid UTF-8.
  // eslint-disable-next-line no-control-regex -- looking for control characters is the point
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(text)) return { kind: 'hex', text: hex(bytes) };
  try {
    return { kind: 'json', text: JSON.stringify(JSON.parse(text), null, 2) };
  } catch {
    return { kind: 'text', text };
  }
}

export function hex(bytes: Uint8Array): string {
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    out.push(Array.from(bytes.subarray(i, i + 16), (b) => b.toString(16).padStart(2, '0')).join(' '));
  }
  return out.join('\n');
}

export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
