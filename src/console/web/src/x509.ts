/**
 * @module console/web/x509
 * @peculiar/x509 in the browser, with what it needs loaded first (a Reflect metadata polyfill) and the
 * page's WebCrypto. Imported lazily (it is most of a chunk of its own): only the create-thing page
 * needs it.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(crypto);

export { x509 };
