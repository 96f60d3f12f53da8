/**
 * @module console/web/router
 * Hash routes (`#/things/my-device`): the server serves one page for /console/, and a reload or a
 * bookmark lands on the same view. Path segments are percent-encoded.
 */
import { useEffect, useState } from 'preact/hooks';

export function currentPath(): string[] {
  const hash = location.hash.replace(/^#\/?/, '');
  return hash === '' ? [] : hash.split('/').map((s) => decodeURIComponent(s));
}

export function href(...segments: string[]): string {
  return `#/${segments.map((s) => encodeURIComponent(s)).join('/')}`;
}

export function navigate(...segments: string[]): void {
  location.hash = href(...segments);
}

export function useRoute(): string[] {
  const [path, setPath] = useState(currentPath);
  useEffect(() => {
    const update = (): void => setPath(currentPath());
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return path;
}
