/**
 * @module test/unit/shadow-request.test
 * Shadow request checks and error documents: every refusal AWS lists (device-shadow-error-messages.md)
 * as a row, with the document it becomes; the limits at their edges; the topic grammar.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { errorDocument, shadowErrors, type ShadowError } from '../../src/services/shadow/errors.js';
import { AWS_SHADOW_LIMITS } from '../../src/services/shadow/limits.js';
import { decodeJson, parseUpdateRequest, readClientToken, readOptionalClientToken } from '../../src/services/shadow/request.js';
import { formatShadowTopic, parseShadowTopic } from '../../src/services/shadow/topics.js';

const limits = AWS_SHADOW_LIMITS;
/** The refusal a payload meets on the update path, as the service reads it. */
function refusal(payload: Buffer | string): ShadowError | undefined {
  try {
    const doc = decodeJson(Buffer.isBuffer(payload) ? payload : Buffer.from(payload));
    readClientToken(doc, limits);
    parseUpdateRequest(doc, limits);
    return undefined;
  } catch (err) {
    return err as ShadowError;
  }
}

/** A request nested `n` deep, state counting as 1: n = 6 is `{"state":{"desired":{"a":{"a":{"a":{"a":{"a":1}}}}}}}`. */
const nested = (n: number): string => `{"state":{"desired":${'{"a":'.repeat(n - 1)}1${'}'.repeat(n - 1)}}}`;

const refusals: Array<[string, Buffer | string, number, string, string]> = [
  ['AWS: 400 Invalid JSON', '{"state":', 400, 'InvalidRequestException', 'Invalid JSON'],
  ['AWS: 400 Invalid JSON (an empty payload)', '', 400, 'InvalidRequestException', 'Invalid JSON'],
  ['AWS: 400 Invalid JSON (not an object)', '[1]', 400, 'InvalidRequestException', 'Invalid JSON'],
  ['AWS: 400 Missing required node: state', '{"clientToken":"t"}', 400, 'InvalidRequestException', 'Missing required node: state'],
  ['AWS: 400 State node must be an object', '{"state":5}', 400, 'InvalidRequestException', 'State node must be an object'],
  ['AWS: 400 State node must be an object (an array)', '{"state":[]}', 400, 'InvalidRequestException', 'State node must be an object'],
  ['AWS: 400 Desired node must be an object', '{"state":{"desired":"on"}}', 400, 'InvalidRequestException', 'Desired node must be an object'],
  ['AWS: 400 Reported node must be an object', '{"state":{"reported":[1]}}', 400, 'InvalidRequestException', 'Reported node must be an object'],
  ['AWS: 400 Invalid version (a string)', '{"state":{},"version":"3"}', 400, 'InvalidRequestException', 'Invalid version'],
  ['AWS: 400 Invalid version (negative)', '{"state":{},"version":-1}', 400, 'InvalidRequestException', 'Invalid version'],
  ['AWS: 400 Invalid version (a fraction)', '{"state":{},"version":1.5}', 400, 'InvalidRequestException', 'Invalid version'],
  ['AWS: 400 Invalid clientToken (over 64 bytes)', `{"state":{},"clientToken":"${'x'.repeat(65)}"}`, 400, 'InvalidRequestException', 'Invalid clientToken'],
  ['AWS: 400 Invalid clientToken (bytes, not characters)', `{"state":{},"clientToken":"${'é'.repeat(33)}"}`, 400, 'InvalidRequestException', 'Invalid clientToken'],
  ['AWS: 400 Invalid clientToken (not a string)', '{"state":{},"clientToken":7}', 400, 'InvalidRequestException', 'Invalid clientToken'],
  ['AWS: 400 too many levels of nesting; maximum is 6', nested(7), 400, 'InvalidRequestException', 'JSON contains too many levels of nesting; maximum is 6'],
  ['AWS: 400 too many levels of nesting (arrays count)', '{"state":{"desired":{"a":{"b":{"c":{"d":{"e":[1]}}}}}}}', 400, 'InvalidRequestException', 'JSON contains too many levels of nesting; maximum is 6'],
  ['AWS: 400 State contains an invalid node (a key besides desired/reported)', '{"state":{"delta":{"a":1}}}', 400, 'InvalidRequestException', 'State contains an invalid node'],
  ['AWS: 400 State contains an invalid node (arrays can\'t have null values)', '{"state":{"desired":{"colors":[null,"RED","GREEN"]}}}', 400, 'InvalidRequestException', 'State contains an invalid node'],
  ['AWS: 413 the state is over 8 KB', `{"state":{"reported":{"a":"${'x'.repeat(8200)}"}}}`, 413, 'RequestEntityTooLargeException', 'The payload exceeds the maximum size allowed'],
  ['AWS: 415 not UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 415, 'UnsupportedDocumentEncodingException', 'Unsupported documented encoding; supported encoding is UTF-8'],
];

describe('shadow - update request refusals', () => {
  for (const [name, payload, status, code, message] of refusals) {
    test(`shadow - ${name}`, () => {
      const err = refusal(payload);
      assert.ok(err, 'refused');
      assert.deepEqual([err.status, err.code, err.message], [status, code, message]);
    });
  }
});

describe('shadow - update requests accepted at the edges', () => {
  test('shadow - AWS: a 64-byte client token is accepted and kept', () => {
    const token = 'é'.repeat(32);
    assert.equal(parseUpdateRequest({ state: {}, clientToken: token }, limits).clientToken, token);
  });
  test('shadow - depth 6 counted from state is accepted: desired holds 5 levels of keys', () => {
    assert.equal(refusal(nested(6)), undefined);
    assert.equal(refusal('{"state":{"desired":{"a":{"b":{"c":{"d":{"e":1}}}}}}}'), undefined);
  });
  test('shadow - exactly 8 KB of state is accepted', () => {
    const state = { reported: { a: '' } };
    state.reported.a = 'x'.repeat(8192 - JSON.stringify(state).length);
    assert.equal(refusal(JSON.stringify({ state })), undefined);
  });
  test('shadow - the request reads as sent: sections, null sections, version, token; other top-level keys ignored', () => {
    assert.deepEqual(parseUpdateRequest({ state: { desired: { a: 1 }, reported: null }, version: 4, clientToken: 't', timestamp: 9 }, limits),
      { state: { desired: { a: 1 }, reported: null }, version: 4, clientToken: 't' });
    assert.deepEqual(parseUpdateRequest({ state: null }, limits), { state: null }, 'AWS: "state": null');
    assert.deepEqual(parseUpdateRequest({ state: {}, version: null }, limits), { state: {} }, 'a null version is no version');
  });
  test('shadow - /get and /delete payloads: AWS ignores them, but a client token is echoed and checked', () => {
    assert.equal(readOptionalClientToken(Buffer.alloc(0), limits), undefined);
    assert.equal(readOptionalClientToken(Buffer.from('not json'), limits), undefined);
    assert.equal(readOptionalClientToken(Buffer.from('{"clientToken":"abc"}'), limits), 'abc');
    assert.throws(() => readOptionalClientToken(Buffer.from(`{"clientToken":"${'x'.repeat(65)}"}`), limits), /Invalid clientToken/);
  });
});

describe('shadow - error documents', () => {
  const cases: Array<[string, ShadowError, number, string, string]> = [
    ['AWS: 400', shadowErrors.invalidJson(), 400, 'InvalidRequestException', 'Invalid JSON'],
    ['AWS: 401', shadowErrors.unauthorized(), 401, 'UnauthorizedException', 'Unauthorized'],
    ['AWS: 403', shadowErrors.forbidden(), 403, 'ForbiddenException', 'Forbidden'],
    ['AWS: 404', shadowErrors.noShadow('Limits'), 404, 'ResourceNotFoundException', "No shadow exists with name: 'Limits'"],
    ['AWS: 409', shadowErrors.versionConflict(), 409, 'ConflictException', 'Version conflict'],
    ['AWS: 413', shadowErrors.tooLarge(), 413, 'RequestEntityTooLargeException', 'The payload exceeds the maximum size allowed'],
    ['AWS: 415', shadowErrors.notUtf8(), 415, 'UnsupportedDocumentEncodingException', 'Unsupported documented encoding; supported encoding is UTF-8'],
    ['AWS: 429', shadowErrors.throttled(), 429, 'ThrottlingException', 'Too Many Requests'],
    ['AWS: 500', shadowErrors.internal(new Error('disk')), 500, 'InternalFailureException', 'Internal service failure'],
  ];
  for (const [name, err, status, code, message] of cases) {
    test(`shadow - error document ${name} ${message}`, () => {
      assert.deepEqual([err.status, err.code], [status, code]);
      assert.deepEqual(JSON.parse(errorDocument(err, 1700000000, 'tok').toString()), { code: status, message, timestamp: 1700000000, clientToken: 'tok' });
      assert.deepEqual(JSON.parse(errorDocument(err, 1700000000).toString()), { code: status, message, timestamp: 1700000000 }, 'no token: none echoed');
    });
  }
});

describe('shadow - topics', () => {
  test('shadow - AWS: classic and named request and response topics parse (device-shadow-mqtt.md)', () => {
    assert.deepEqual(parseShadowTopic('$aws/things/lamp-1/shadow/get'), { thingName: 'lamp-1', shadowName: '', operation: 'get' });
    assert.deepEqual(parseShadowTopic('$aws/things/lamp:1/shadow/update/delta'), { thingName: 'lamp:1', shadowName: '', operation: 'update', response: 'delta' });
    assert.deepEqual(parseShadowTopic('$aws/things/t/shadow/name/$cfg_1/delete/accepted'), { thingName: 't', shadowName: '$cfg_1', operation: 'delete', response: 'accepted' });
    assert.deepEqual(parseShadowTopic('$aws/things/t/shadow/name/n/update/documents'), { thingName: 't', shadowName: 'n', operation: 'update', response: 'documents' });
  });
  test('shadow - AWS: names outside the rules and other topics are not shadow topics', () => {
    for (const topic of [
      '$aws/things/t/shadow', '$aws/things/t/shadow/list', '$aws/things/t/shadow/get/delta', '$aws/things/t/shadow/delete/documents',
      '$aws/things/t/shadow/get/accepted/x', '$aws/things/t/shadow/name/n', '$aws/things/t/shadow/name//get',
      '$aws/things/bad name/shadow/get', `$aws/things/${'t'.repeat(129)}/shadow/get`, `$aws/things/t/shadow/name/${'n'.repeat(65)}/get`,
      '$aws/things/$t/shadow/get', '$aws/things/t/jobs/get', 'things/t/shadow/get', '$aws/things//shadow/get',
    ]) assert.equal(parseShadowTopic(topic), null, topic);
    assert.notEqual(parseShadowTopic(`$aws/things/${'t'.repeat(128)}/shadow/name/${'n'.repeat(64)}/get`), null, 'the longest names');
  });
  test('shadow - topics format back to what they parse from', () => {
    assert.equal(formatShadowTopic({ thingName: 't', shadowName: '' }, 'update', 'accepted'), '$aws/things/t/shadow/update/accepted');
    assert.equal(formatShadowTopic({ thingName: 't', shadowName: 'n' }, 'get'), '$aws/things/t/shadow/name/n/get');
  });
});
