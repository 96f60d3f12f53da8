/**
 * @module test/unit/policy-parse.test
 * Policy documents as CreatePolicy must read them: what is accepted and how it is normalized, and for
 * each malformed document the exact problem and its path (MalformedPolicyException, 400).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MalformedPolicyError, isTopicdError } from '../../src/errors.js';
import { compilePolicy, parsePolicy, policySize, POLICY_MAX_CHARS } from '../../src/auth/policy/index.js';
import type { PolicyDocument } from '../../src/auth/policy/index.js';

const ARN = 'arn:aws:iot:us-east-1:123456789012';

/** A one-statement document around `statement` (an object), as JSON text. */
const doc = (statement: unknown, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: [statement], ...extra });

const allow = (rest: Record<string, unknown> = {}): Record<string, unknown> => ({
  Effect: 'Allow',
  Action: 'iot:Publish',
  Resource: `${ARN}:topic/a`,
  ...rest,
});

/** Asserts that parsing `text` fails with exactly this path and problem, the message being `path: problem`. */
function refuses(text: string, path: string, problem: string): void {
  assert.throws(
    () => parsePolicy(text),
    (err: unknown) => {
      assert.ok(err instanceof MalformedPolicyError, `expected MalformedPolicyError, got ${String(err)}`);
      assert.ok(isTopicdError(err));
      assert.equal(err.code, 'MalformedPolicyException');
      assert.equal(err.status, 400);
      assert.equal(err.path, path);
      assert.equal(err.problem, problem);
      assert.equal(err.message, path === '' ? problem : `${path}: ${problem}`);
      return true;
    },
  );
}

describe('policy parse - accepted documents', () => {
  test('policy parse - normalizes strings to arrays and a lone Statement object to an array', () => {
    const parsed = parsePolicy(JSON.stringify({
      Version: '2012-10-17',
      Statement: { Sid: 'One', Effect: 'Allow', Action: 'iot:Connect', Resource: `${ARN}:client/c1` },
    }));
    assert.deepEqual(parsed, {
      Version: '2012-10-17',
      Statement: [{ Sid: 'One', Effect: 'Allow', Action: ['iot:Connect'], Resource: [`${ARN}:client/c1`] }],
    });
  });

  test('policy parse - condition values become strings; JSON of the result parses to the same document', () => {
    const parsed = parsePolicy(doc(allow({
      Condition: { Bool: { 'iot:Connection.Thing.IsAttached': true }, NumericLessThan: { 'x:n': [5, '6.5'] } },
    }), { Id: 'doc-1' }));
    assert.deepEqual(parsed.Statement[0]?.Condition, {
      Bool: { 'iot:Connection.Thing.IsAttached': ['true'] },
      NumericLessThan: { 'x:n': ['5', '6.5'] },
    });
    assert.equal(parsed.Id, 'doc-1');
    assert.deepEqual(parsePolicy(JSON.stringify(parsed)), parsed);
  });

  test('policy parse - NotAction, NotResource, 2008-10-17, wildcards and partitions', () => {
    const parsed = parsePolicy(JSON.stringify({
      Version: '2008-10-17',
      Statement: [
        { Effect: 'Deny', NotAction: ['iot:*', 'IoT:Get*', 'iot:?ublish', 'greengrass:Discover', '*'], NotResource: '*' },
        { Effect: 'Allow', Action: 'iot:Connect', Resource: ['arn:aws:iot:*:*:client/*', 'arn:aws-cn:iot:cn-north-1:123456789012:client/x', 'arn:*:iot:us-?ast-1:12345678901?:*'] },
      ],
    }));
    assert.equal(parsed.Version, '2008-10-17');
    assert.deepEqual(parsed.Statement[0]?.NotResource, ['*']);
    assert.equal(parsed.Statement[1]?.Resource?.length, 3);
  });

  test('policy parse - AWS: empty value lists in conditions are allowed (connect-policy examples)', () => {
    const parsed = parsePolicy(doc(allow({ Condition: { 'ForAllValues:StringEquals': { 'iot:ConnectAttributes': [] } } })));
    assert.deepEqual(parsed.Statement[0]?.Condition, { 'ForAllValues:StringEquals': { 'iot:ConnectAttributes': [] } });
  });

  test('policy parse - every condition operator and its IfExists / set forms are known', () => {
    const operators = [
      'StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike',
      'ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike',
    ];
    for (const op of operators) {
      for (const name of [op, `${op}IfExists`, `ForAllValues:${op}`, `ForAnyValue:${op}IfExists`]) {
        assert.doesNotThrow(() => parsePolicy(doc(allow({ Condition: { [name]: { 'iot:ClientId': 'x' } } }))), name);
      }
    }
    const typed: Array<[string, string]> = [
      ['NumericEquals', '1'], ['NumericNotEquals', '-1.5'], ['NumericLessThan', '2e3'], ['NumericLessThanEquals', '0'],
      ['NumericGreaterThan', '.5'], ['NumericGreaterThanEquals', '10'], ['DateEquals', '2024-01-01T00:00:00Z'],
      ['DateNotEquals', '1700000000'], ['DateLessThan', '2024-01-01'], ['DateLessThanEquals', '2024-01-01'],
      ['DateGreaterThan', '2024-01-01'], ['DateGreaterThanEquals', '2024-01-01'], ['Bool', 'true'], ['Bool', 'FALSE'],
      ['IpAddress', '10.0.0.0/8'], ['NotIpAddress', '2001:db8::/32'], ['IpAddress', '192.0.2.1'], ['Null', 'true'],
    ];
    for (const [op, value] of typed) {
      assert.doesNotThrow(() => parsePolicy(doc(allow({ Condition: { [op]: { 'k:k': value } } }))), `${op} ${value}`);
    }
  });
});

describe('policy parse - malformed documents name the problem and its path', () => {
  test('policy parse - invalid JSON gives line, column and position', () => {
    refuses('{"Version": "2012-10-17",}', '', 'the policy document is not valid JSON: expected a property name, found character "}" at line 1, column 26 (position 25)');
    refuses('{\n  "Version": "2012-10-17"\n  "Statement": []\n}', '', 'the policy document is not valid JSON: expected \',\' or \'}\', found character "\\"" at line 3, column 3 (position 30)');
    refuses('', '', 'the policy document is not valid JSON: unexpected end of input at line 1, column 1 (position 0)');
    refuses('{"Version": "2012-10-17', '', 'the policy document is not valid JSON: unterminated string at line 1, column 13 (position 12)');
    refuses('{} x', '', 'the policy document is not valid JSON: unexpected character "x" after the end of the document at line 1, column 4 (position 3)');
    refuses("{'Version': 1}", '', 'the policy document is not valid JSON: expected a property name, found character "\'" at line 1, column 2 (position 1)');
    refuses('[01]', '', 'the policy document is not valid JSON: invalid number at line 1, column 2 (position 1)');
  });

  test('policy parse - a key given twice is refused, not silently overridden', () => {
    refuses(
      '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Effect":"Allow","Action":"iot:*","Resource":"*"}]}',
      '',
      'the policy document is not valid JSON: duplicate key "Effect" at line 1, column 55 (position 54)',
    );
  });

  test('policy parse - document shape', () => {
    refuses('[]', '', 'a policy document must be a JSON object');
    refuses('"x"', '', 'a policy document must be a JSON object');
    refuses(JSON.stringify({ Version: '2012-10-17', Statment: [] }), 'Statment', 'unknown key; a policy document has Version, Statement and Id');
    refuses(JSON.stringify({ Statement: [allow()] }), 'Version', 'is required ("2012-10-17")');
    refuses(JSON.stringify({ Version: '2012-10-18', Statement: [allow()] }), 'Version', 'must be "2012-10-17" or "2008-10-17"');
    refuses(JSON.stringify({ Version: 2012, Statement: [allow()] }), 'Version', 'must be "2012-10-17" or "2008-10-17"');
    refuses(JSON.stringify({ Version: '2012-10-17' }), 'Statement', 'is required');
    refuses(JSON.stringify({ Version: '2012-10-17', Statement: [] }), 'Statement', 'must hold at least one statement');
    refuses(JSON.stringify({ Version: '2012-10-17', Statement: 'allow all' }), 'Statement', 'must be an object or an array of objects');
    refuses(JSON.stringify({ Version: '2012-10-17', Id: 7, Statement: [allow()] }), 'Id', 'must be a string');
    refuses(JSON.stringify({ Version: '2012-10-17', Statement: [allow(), 'x'] }), 'Statement[1]', 'must be an object');
    refuses(JSON.stringify({ Version: '2012-10-17', 'my key': 1, Statement: [allow()] }), '["my key"]', 'unknown key; a policy document has Version, Statement and Id');
  });

  test('policy parse - statement keys, Effect and Sid', () => {
    refuses(JSON.stringify({ Version: '2012-10-17', Statement: [allow(), allow({ Effect: 'allow' })] }), 'Statement[1].Effect', 'must be "Allow" or "Deny"');
    refuses(doc({ Action: 'iot:*', Resource: '*' }), 'Statement[0].Effect', 'is required ("Allow" or "Deny")');
    refuses(doc(allow({ Principal: '*' })), 'Statement[0].Principal', 'AWS IoT policies have no principal: a policy applies to what it is attached to');
    refuses(doc(allow({ Resources: '*' })), 'Statement[0].Resources', 'unknown key; a statement has Sid, Effect, Action or NotAction, Resource or NotResource, and Condition');
    refuses(doc(allow({ Sid: 1 })), 'Statement[0].Sid', 'must be a string');
    // A lone statement object is at `Statement`, not `Statement[0]`.
    refuses(JSON.stringify({ Version: '2012-10-17', Statement: allow({ Effect: 'Permit' }) }), 'Statement.Effect', 'must be "Allow" or "Deny"');
  });

  test('policy parse - Action and NotAction', () => {
    refuses(doc(allow({ NotAction: 'iot:Connect' })), 'Statement[0]', 'has both Action and NotAction; use one');
    refuses(doc({ Effect: 'Allow', Resource: '*' }), 'Statement[0]', 'needs Action or NotAction');
    refuses(doc(allow({ Action: ['iot:Publish', 's3:GetObject'] })), 'Statement[0].Action[1]', '"s3:GetObject" is not an AWS IoT action (iot:Name, with * or ? as wildcards, or *)');
    refuses(doc(allow({ Action: 'Publish' })), 'Statement[0].Action', '"Publish" is not an AWS IoT action (iot:Name, with * or ? as wildcards, or *)');
    refuses(doc(allow({ Action: 'iot:' })), 'Statement[0].Action', '"iot:" is not an AWS IoT action (iot:Name, with * or ? as wildcards, or *)');
    refuses(doc(allow({ Action: 'iot:Pub/lish' })), 'Statement[0].Action', '"iot:Pub/lish" is not an AWS IoT action (iot:Name, with * or ? as wildcards, or *)');
    refuses(doc(allow({ Action: [] })), 'Statement[0].Action', 'must not be empty');
    refuses(doc(allow({ Action: 7 })), 'Statement[0].Action', 'must be a string or an array of strings');
    refuses(doc(allow({ Action: ['iot:Publish', null] })), 'Statement[0].Action[1]', 'must be a string');
    refuses(doc({ Effect: 'Deny', NotAction: ['ec2:*'], Resource: '*' }), 'Statement[0].NotAction[0]', '"ec2:*" is not an AWS IoT action (iot:Name, with * or ? as wildcards, or *)');
  });

  test('policy parse - Resource and NotResource ARNs', () => {
    refuses(doc(allow({ NotResource: '*' })), 'Statement[0]', 'has both Resource and NotResource; use one');
    refuses(doc({ Effect: 'Allow', Action: 'iot:*' }), 'Statement[0]', 'needs Resource or NotResource');
    refuses(doc(allow({ Resource: 'topic/a' })), 'Statement[0].Resource', '"topic/a" is not an ARN (arn:partition:service:region:account:resource) or "*"');
    refuses(doc(allow({ Resource: ['*', 'arn:aws:iot:us-east-1:topic/a'] })), 'Statement[0].Resource[1]', '"arn:aws:iot:us-east-1:topic/a" is not an ARN (arn:partition:service:region:account:resource) or "*"');
    refuses(doc(allow({ Resource: 'arn:aws:iot:us-east-1:123456789012:' })), 'Statement[0].Resource', '"arn:aws:iot:us-east-1:123456789012:": the resource part is empty');
    refuses(doc(allow({ Resource: 'arn:aws:iot:us-east-1:account:topic/a' })), 'Statement[0].Resource', '"arn:aws:iot:us-east-1:account:topic/a": the account is not valid (12 digits or a wildcard)');
    refuses(doc(allow({ Resource: 'arn:aws:iot:US_EAST:123456789012:topic/a' })), 'Statement[0].Resource', '"arn:aws:iot:US_EAST:123456789012:topic/a": the region is not valid');
    refuses(doc(allow({ Resource: 'arn::iot:us-east-1:123456789012:topic/a' })), 'Statement[0].Resource', '"arn::iot:us-east-1:123456789012:topic/a": the partition is not valid (aws, aws-cn, aws-us-gov)');
    refuses(doc(allow({ Resource: 'arn:aws:IoT:us-east-1:123456789012:topic/a' })), 'Statement[0].Resource', '"arn:aws:IoT:us-east-1:123456789012:topic/a": the service is not valid (iot)');
    refuses(
      doc(allow({ Resource: 'arn:aws:iot:${aws:SourceIp}:123456789012:topic/a' })),
      'Statement[0].Resource',
      '"arn:aws:iot:${aws:SourceIp}:123456789012:topic/a": policy variables are allowed only in the resource part of an ARN',
    );
    refuses(doc({ Effect: 'Deny', Action: 'iot:*', NotResource: [] }), 'Statement[0].NotResource', 'must not be empty');
  });

  test('policy parse - Condition operators, keys and values', () => {
    refuses(doc(allow({ Condition: [] })), 'Statement[0].Condition', 'must be an object of condition operators');
    refuses(doc(allow({ Condition: { StringEqual: { 'iot:ClientId': 'a' } } })), 'Statement[0].Condition.StringEqual', 'unknown condition operator "StringEqual"');
    refuses(doc(allow({ Condition: { stringEquals: { 'iot:ClientId': 'a' } } })), 'Statement[0].Condition.stringEquals', 'unknown condition operator "stringEquals"');
    refuses(doc(allow({ Condition: { NullIfExists: { 'iot:ClientId': 'true' } } })), 'Statement[0].Condition.NullIfExists', 'unknown condition operator "NullIfExists"');
    refuses(doc(allow({ Condition: { 'ForAllValues:Null': { k: 'true' } } })), 'Statement[0].Condition["ForAllValues:Null"]', 'unknown condition operator "ForAllValues:Null"');
    refuses(doc(allow({ Condition: { 'ForSomeValues:StringLike': { k: 'a' } } })), 'Statement[0].Condition["ForSomeValues:StringLike"]', 'unknown condition operator "ForSomeValues:StringLike"');
    refuses(doc(allow({ Condition: { BinaryEquals: { k: 'QUJD' } } })), 'Statement[0].Condition.BinaryEquals', 'unknown condition operator "BinaryEquals"');
    refuses(doc(allow({ Condition: { StringEquals: 'a' } })), 'Statement[0].Condition.StringEquals', 'must be an object of condition keys and their values');
    refuses(doc(allow({ Condition: { StringEquals: { 'iot:ClientId': null } } })), 'Statement[0].Condition.StringEquals["iot:ClientId"]', 'must be a string, number or boolean, or an array of them');
    refuses(doc(allow({ Condition: { StringEquals: { 'iot:ClientId': ['a', { b: 1 }] } } })), 'Statement[0].Condition.StringEquals["iot:ClientId"][1]', 'must be a string, number or boolean, or an array of them');
    refuses(doc(allow({ Condition: { StringEquals: { '': 'a' } } })), 'Statement[0].Condition.StringEquals[""]', 'a condition key must not be empty');
    refuses(doc(allow({ Condition: { NumericLessThan: { 'x:n': ['1', 'ten'] } } })), 'Statement[0].Condition.NumericLessThan["x:n"][1]', '"ten" is not a number');
    refuses(doc(allow({ Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'yes' } } })), 'Statement[0].Condition.Bool["iot:Connection.Thing.IsAttached"]', '"yes" must be "true" or "false"');
    refuses(doc(allow({ Condition: { Null: { 'iot:ClientId': 1 } } })), 'Statement[0].Condition.Null["iot:ClientId"]', '"1" must be "true" or "false"');
    refuses(doc(allow({ Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.256/8' } } })), 'Statement[0].Condition.IpAddress["aws:SourceIp"]', '"10.0.0.256/8" is not an IP address or CIDR block');
    refuses(doc(allow({ Condition: { NotIpAddress: { 'aws:SourceIp': ['10.0.0.0/33'] } } })), 'Statement[0].Condition.NotIpAddress["aws:SourceIp"][0]', '"10.0.0.0/33" is not an IP address or CIDR block');
    refuses(doc(allow({ Condition: { IpAddress: { 'aws:SourceIp': '2001:db8::/129' } } })), 'Statement[0].Condition.IpAddress["aws:SourceIp"]', '"2001:db8::/129" is not an IP address or CIDR block');
    refuses(doc(allow({ Condition: { DateLessThan: { 'aws:CurrentTime': 'tomorrow' } } })), 'Statement[0].Condition.DateLessThan["aws:CurrentTime"]', '"tomorrow" is not a date (ISO 8601 or epoch seconds)');
  });
});

describe('policy parse - AWS: 2048 characters excluding whitespace', () => {
  /** A valid document of exactly `size` non-whitespace characters, padded through its Sid. */
  const sized = (size: number, whitespace = ''): string => {
    const base = doc(allow({ Sid: '' }));
    const text = doc(allow({ Sid: 'x'.repeat(size - policySize(base)) }));
    return whitespace === '' ? text : text.replaceAll(',', `,${whitespace}`);
  };

  test('policy parse - exactly 2048 characters pass, 2049 do not', () => {
    assert.equal(POLICY_MAX_CHARS, 2048);
    assert.equal(policySize(sized(2048)), 2048);
    assert.doesNotThrow(() => parsePolicy(sized(2048)));
    refuses(sized(2049), '', 'the policy document has 2049 characters excluding whitespace; the limit is 2048');
  });

  test('policy parse - whitespace does not count, wherever it is', () => {
    const padded = sized(2048, '\n\t    '.repeat(200));
    assert.ok(padded.length > 4000);
    assert.doesNotThrow(() => parsePolicy(padded));
    assert.equal(policySize('{ "a b": \r\n 1 }'), 8);
  });
});

describe('policy parse - documents given as objects', () => {
  test('policy parse - compilePolicy validates an object document too', () => {
    const good: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['iot:Connect'], Resource: ['*'] }] };
    assert.equal(compilePolicy('p', good).statements.length, 1);
    const bad = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:*'], Resource: ['*'] }] } as unknown as PolicyDocument;
    assert.throws(() => compilePolicy('p', bad), (err: unknown) => err instanceof MalformedPolicyError && err.path === 'Statement[0].Action[0]');
  });
});
