/**
 * @module console/static-pages
 * Serves the console's built pages (`npm run build` puts them in dist/console/) under /console/.
 * The few files are read once into memory, so a request can only ever name one of them (no path is
 * ever joined from the URL). Hashed assets are cached for good; index.html never, and it carries the
 * Content-Security-Policy that keeps the pages to this host (no CDN, no remote font, no inline script).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

export const CONSOLE_PREFIX = '/console';
/** dist/src/console/static-pages.js -> dist/console/ */
export const DEFAULT_ASSETS_DIR = fileURLToPath(new URL('../../console/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** `connect-src 'self'` covers the test client's ws:// to this same host (CSP level 3). */
const CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: blob:", "connect-src 'self'",
  "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

interface Asset {
  body: Buffer;
  type: string;
}

function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (sub: string): void => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = sub === '' ? entry.name : `${sub}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else if (TYPES[extname(entry.name)] !== undefined) assets.set(rel, { body: readFileSync(join(dir, rel)), type: TYPES[extname(entry.name)]! });
    }
  };
  if (existsSync(dir)) walk('');
  return assets;
}

function sendPage(reply: FastifyReply, body: Buffer | string, type: string): FastifyReply {
  return reply
    .header('content-security-policy', CSP)
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-cache')
    .type(type)
    .send(body);
}

export function registerStaticPages(app: FastifyInstance, assetsDir: string): void {
  const assets = loadAssets(assetsDir);
  const index = assets.get('index.html');

  app.get(CONSOLE_PREFIX, async (_request, reply) => reply.redirect(`${CONSOLE_PREFIX}/`));
  app.get(`${CONSOLE_PREFIX}/`, async (_request, reply) => {
    if (!index) {
      return sendPage(reply.code(503), '<!doctype html><title>topicd console</title><p>The console is not built: run <code>npm run build</code>.</p>', TYPES['.html']!);
    }
    return sendPage(reply, index.body, index.type);
  });
  app.get(`${CONSOLE_PREFIX}/*`, async (request, reply) => {
    const name = (request.params as { '*': string })['*'];
    const asset = name === 'index.html' ? undefined : assets.get(name);
    if (!asset) {
      return reply.code(404).header('x-amzn-ErrorType', 'ResourceNotFoundException').type('application/json')
        .send(JSON.stringify({ message: `No console file ${name}.` }));
    }
    // Vite names assets by their content hash: a new build is a new name.
    const immutable = name.startsWith('assets/');
    return reply
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .type(asset.type)
      .send(asset.body);
  });
}
