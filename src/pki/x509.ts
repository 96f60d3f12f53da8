/**
 * @module pki/x509
 * The one door to @peculiar/x509: it needs a Reflect metadata polyfill loaded before it (its
 * dependency injection uses it) and a WebCrypto provider, node's own here. Importing x509 from this
 * module rather than from the package makes both true wherever it is used.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

export { x509 };
