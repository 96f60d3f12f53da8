/**
 * @module auth/policy/certificate-fields
 * The certificate attributes that `${iot:Certificate.Subject.*}` and `...Issuer.*` read, from node's
 * X509Certificate. Node prints a name one attribute per line (`C=US\nO=Example Corp\nCN=dev`), the
 * members of a multi-valued RDN joined by ` + `, values escaped as RFC 2253 says (`\,` `\+` `\"`,
 * `\XX` for a byte). Values keep certificate order, since AWS's `.N` counts in it.
 */
import type { CertificateNameFields } from './types.js';

/** OpenSSL short names -> AWS IoT policy attribute names. Others (L, emailAddress...) AWS does not offer. */
const ATTRIBUTE_NAMES: ReadonlyMap<string, string> = new Map([
  ['CN', 'CommonName'],
  ['C', 'Country'],
  ['O', 'Organization'],
  ['OU', 'OrganizationalUnit'],
  ['ST', 'State'],
  ['serialNumber', 'SerialNumber'],
  ['title', 'Title'],
  ['SN', 'Surname'],
  ['GN', 'GivenName'],
  ['initials', 'Initials'],
  ['pseudonym', 'Pseudonym'],
  ['generationQualifier', 'GenerationQualifier'],
  ['dnQualifier', 'DistinguishedNameQualifier'],
]);

const HEX_DIGIT = /^[0-9A-Fa-f]$/;
const isHex = (c: string | undefined): boolean => c !== undefined && HEX_DIGIT.test(c);

/** Splits node's multi-line name text into [shortName, value] pairs, unescaping values. */
function readAttributes(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) break;
    const name = text.slice(i, eq);
    // `\XX` escapes are bytes of UTF-8 and may spell one character together; other text is already characters.
    let value = '';
    let bytes: number[] = [];
    const flush = (): void => {
      if (bytes.length > 0) value += Buffer.from(bytes).toString('utf8');
      bytes = [];
    };
    let j = eq + 1;
    for (; j < text.length; j++) {
      const c = text[j] as string;
      if (c === '\n' || text.startsWith(' + ', j)) break;
      if (c === '\\' && isHex(text[j + 1]) && isHex(text[j + 2])) {
        bytes.push(parseInt(text.slice(j + 1, j + 3), 16));
        j += 2;
        continue;
      }
      flush();
      if (c === '\\' && j + 1 < text.length) j += 1;
      value += text[j] as string;
    }
    flush();
    out.push([name, value]);
    i = text.startsWith(' + ', j) ? j + 3 : j + 1;
  }
  return out;
}

/** One name (node's `subject` or `issuer` text) as AWS attribute -> values in certificate order. */
export function distinguishedNameFields(text: string): Record<string, string[]> {
  const fields: Record<string, string[]> = {};
  for (const [short, value] of readAttributes(text)) {
    const name = ATTRIBUTE_NAMES.get(short);
    if (name === undefined) continue;
    (fields[name] ??= []).push(value);
  }
  return fields;
}

/**
 * The subject and issuer attribute maps of a certificate, for PolicyContext.certificate. Takes node's
 * X509Certificate (node:crypto) or anything with its `subject` and `issuer` strings.
 */
export function certificateNameFields(x509: { readonly subject: string; readonly issuer: string }): {
  subject: CertificateNameFields;
  issuer: CertificateNameFields;
} {
  return { subject: distinguishedNameFields(x509.subject), issuer: distinguishedNameFields(x509.issuer) };
}
