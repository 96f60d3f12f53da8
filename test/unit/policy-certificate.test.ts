/**
 * @module test/unit/policy-certificate.test
 * Certificate name attributes for `${iot:Certificate.Subject.*}` / `Issuer.*`, read from node's
 * X509Certificate: AWS names, multi-valued attributes in certificate order, RFC 2253 escapes.
 * The fixture was made with `openssl req -x509 -utf8 -multivalue-rdn -subj ...` (self-signed, so the
 * issuer is the subject).
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, test } from 'node:test';
import { certificateNameFields, compilePolicy, distinguishedNameFields, evaluate, topicArn } from '../../src/auth/policy/index.js';

const PEM = `-----BEGIN CERTIFICATE-----
MIIECjCCA6+gAwIBAgIUMYuao9Y9ZZq/uXFYxCrYvhlQlSMwCgYIKoZIzj0EAwIw
ggFXMQswCQYDVQQGEwJVUzETMBEGA1UECAwKV2FzaGluZ3RvbjEVMBMGA1UECgwM
RXhhbXBsZSBDb3JwMRMwEQYDVQQKDApBbnlDb21wYW55MR4wDAYDVQQLDAVGbGVl
dDAOBgNVBAsMB1NlbnNvcnMxJjAOBgNVBAMMB3RoaW5nLTEwFAYDVQQDDA1BZG1p
bmlzdHJhdG9yMRowGAYDVQQDDBFab8OrLCAidGhlIiArIG9uZTEOMAwGA1UEBRMF
U04tNDIxDjAMBgNVBAwMBVByb2JlMQwwCgYDVQQEDANEb2UxDTALBgNVBCoMBEph
bmUxCzAJBgNVBCsMAkpEMQswCQYDVQRBDAJqZDEMMAoGA1UELAwDSUlJMQwwCgYD
VQQuEwNEUTExEDAOBgNVBAcMB1NlYXR0bGUxHjAcBgkqhkiG9w0BCQEWD29wc0Bl
eGFtcGxlLmNvbTAgFw0yNjExMjkwNzEzMDhaGA8yMTI2MTEwNTA3MTMwOFowggFX
MQswCQYDVQQGEwJVUzETMBEGA1UECAwKV2FzaGluZ3RvbjEVMBMGA1UECgwMRXhh
bXBsZSBDb3JwMRMwEQYDVQQKDApBbnlDb21wYW55MR4wDAYDVQQLDAVGbGVldDAO
BgNVBAsMB1NlbnNvcnMxJjAOBgNVBAMMB3RoaW5nLTEwFAYDVQQDDA1BZG1pbmlz
dHJhdG9yMRowGAYDVQQDDBFab8OrLCAidGhlIiArIG9uZTEOMAwGA1UEBRMFU04t
NDIxDjAMBgNVBAwMBVByb2JlMQwwCgYDVQQEDANEb2UxDTALBgNVBCoMBEphbmUx
CzAJBgNVBCsMAkpEMQswCQYDVQRBDAJqZDEMMAoGA1UELAwDSUlJMQwwCgYDVQQu
EwNEUTExEDAOBgNVBAcMB1NlYXR0bGUxHjAcBgkqhkiG9w0BCQEWD29wc0BleGFt
cGxlLmNvbTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABKMZ2hLMouQRmPs20Nc0
XwIVGqnEtpoH6Oqh+YKT3b7P+n9N/izmuYMUQ2J/t3XOHT203h3pj1/i/o/Mf3jO
cJKjUzBRMB0GA1UdDgQWBBSVSR+jhW9Z9OulwRrEos1tPCij4DAfBgNVHSMEGDAW
gBSVSR+jhW9Z9OulwRrEos1tPCij4DAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49
BAMCA0kAMEYCIQDfmKz0Ym9mqyjUsqERwlwIty4Hey2E26Cb60dg/BiEfwIhAMBw
fmDUzgWKA9tuZcLyhtIjt2cuKlxTC7X3p3Ufy5iY
-----END CERTIFICATE-----
`;

const EXPECTED = {
  Country: ['US'],
  State: ['Washington'],
  Organization: ['Example Corp', 'AnyCompany'],
  // A multi-valued RDN keeps its DER (sorted) order, which is the certificate's order.
  OrganizationalUnit: ['Fleet', 'Sensors'],
  CommonName: ['thing-1', 'Administrator', 'Zoë, "the" + one'],
  SerialNumber: ['SN-42'],
  Title: ['Probe'],
  Surname: ['Doe'],
  GivenName: ['Jane'],
  Initials: ['JD'],
  Pseudonym: ['jd'],
  GenerationQualifier: ['III'],
  DistinguishedNameQualifier: ['DQ1'],
};

describe('policy certificate - name fields', () => {
  test('policy certificate - every AWS attribute from a real certificate, values in order; L and emailAddress left out', () => {
    const fields = certificateNameFields(new X509Certificate(PEM));
    assert.deepEqual(fields.subject, EXPECTED);
    assert.deepEqual(fields.issuer, EXPECTED);
  });

  test('policy certificate - RFC 2253 escapes, hex bytes as UTF-8, multi-valued separators', () => {
    assert.deepEqual(distinguishedNameFields('CN=a\\0Ab\nO=\\C3\\A9t\\C3\\A9\nOU=x\\  + OU=y\\\\\nC=\\#1'), {
      CommonName: ['a\nb'],
      Organization: ['été'],
      OrganizationalUnit: ['x ', 'y\\'],
      Country: ['#1'],
    });
    assert.deepEqual(distinguishedNameFields(''), {});
  });

  test('policy certificate - the fields drive ${iot:Certificate.Subject.CommonName.1} and .List', () => {
    const p = compilePolicy('p', JSON.stringify({
      Version: '2012-10-17',
      Statement: [{
        Effect: 'Allow',
        Action: 'iot:Publish',
        Resource: 'arn:aws:iot:us-east-1:123456789012:topic/role/${iot:Certificate.Subject.CommonName.1}',
        Condition: { 'ForAnyValue:StringEquals': { 'iot:Certificate.Issuer.Organization.List': 'AnyCompany' } },
      }],
    }));
    const context = { clientId: 'thing-1', certificate: { id: 'x', ...certificateNameFields(new X509Certificate(PEM)) } };
    const ask = (topic: string) => evaluate([p], { action: 'iot:Publish', resource: topicArn('us-east-1', '123456789012', topic) }, context);
    assert.deepEqual(ask('role/Administrator'), { allowed: true, reason: 'allow', decidedBy: { policyName: 'p', statementIndex: 0, effect: 'Allow' } });
    assert.deepEqual(ask('role/thing-1'), { allowed: false, reason: 'implicit-deny' });
  });
});
