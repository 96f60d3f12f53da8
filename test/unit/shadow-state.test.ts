/**
 * @module test/unit/shadow-state.test
 * The shadow document's pure rules as tables: the update merge, per-leaf metadata, the delta and its
 * metadata, the accepted response's metadata. AWS's documented examples are among the rows (tagged).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { JsonObject, RequestState } from '../../src/services/shadow/request.js';
import {
  applyUpdate, computeDelta, deltaMetadata, EMPTY_DOCUMENT, jsonEqual, requestMetadata, type ShadowDocument, type ShadowState,
} from '../../src/services/shadow/state.js';

/** Applies requests in turn at timestamps 1, 2, 3, ... */
const run = (...requests: Array<RequestState | null>): ShadowDocument =>
  requests.reduce<ShadowDocument>((doc, request, i) => applyUpdate(doc, request, i + 1), EMPTY_DOCUMENT);

interface MergeCase {
  name: string;
  start: Array<RequestState | null>;
  request: RequestState | null;
  state: ShadowState;
}

const mergeCases: MergeCase[] = [
  { name: 'a new shadow takes the request\'s sections', start: [], request: { desired: { color: 'RED' } }, state: { desired: { color: 'RED' } } },
  { name: 'only the keys named change; the others stay', start: [{ desired: { a: 1, b: 2 } }], request: { desired: { b: 3, c: 4 } }, state: { desired: { a: 1, b: 3, c: 4 } } },
  { name: 'objects merge at every depth', start: [{ reported: { light: { color: 'red', level: 5 } } }], request: { reported: { light: { level: 7 } } }, state: { reported: { light: { color: 'red', level: 7 } } } },
  { name: 'AWS: arrays are replaced whole (device-shadow-document.md "Arrays")', start: [{ desired: { colors: ['RED', 'GREEN', 'BLUE'] } }], request: { desired: { colors: ['RED'] } }, state: { desired: { colors: ['RED'] } } },
  { name: 'a scalar replaces an object and an object a scalar', start: [{ desired: { a: { b: 1 }, c: 5 } }], request: { desired: { a: 2, c: { d: 1 } } }, state: { desired: { a: 2, c: { d: 1 } } } },
  { name: 'AWS: null removes a key (device-shadow-data-flow.md "engine": null)', start: [{ desired: { color: { r: 10 }, engine: 'ON' } }], request: { desired: { engine: null } }, state: { desired: { color: { r: 10 } } } },
  { name: 'null removes a nested key; an object left empty goes with it', start: [{ desired: { a: { b: 1 }, c: 1 } }], request: { desired: { a: { b: null } } }, state: { desired: { c: 1 } } },
  { name: 'null for a key that is not there changes nothing', start: [{ desired: { a: 1 } }], request: { desired: { zz: null, y: { x: null } } }, state: { desired: { a: 1 } } },
  { name: 'AWS: "desired": null removes the section (device-shadow-document.md "Empty Sections")', start: [{ desired: { color: 'RED' }, reported: { color: 'GREEN' } }], request: { reported: { color: 'red' }, desired: null }, state: { reported: { color: 'red' } } },
  { name: '"reported": null removes the section', start: [{ desired: { a: 1 }, reported: { a: 2 } }], request: { reported: null }, state: { desired: { a: 1 } } },
  { name: 'a section whose last key is removed is removed', start: [{ reported: { a: 1 } }], request: { reported: { a: null } }, state: {} },
  { name: 'AWS: "state": null empties the shadow (it still exists)', start: [{ desired: { a: 1 }, reported: { b: 2 } }], request: null, state: {} },
  { name: 'AWS: a request with neither section is valid and changes nothing', start: [{ desired: { a: 1 } }], request: {}, state: { desired: { a: 1 } } },
  { name: 'an empty object merges as nothing', start: [{ desired: { a: { b: 1 } } }], request: { desired: { a: {}, n: {} } }, state: { desired: { a: { b: 1 } } } },
  { name: 'JSON scalars of every type are kept', start: [], request: { reported: { s: 'x', n: -1.5, t: true, f: false, z: 0, e: '' } }, state: { reported: { s: 'x', n: -1.5, t: true, f: false, z: 0, e: '' } } },
  { name: 'a key named __proto__ is an ordinary key', start: [], request: JSON.parse('{"desired":{"__proto__":{"x":1}}}') as RequestState, state: JSON.parse('{"desired":{"__proto__":{"x":1}}}') as ShadowState },
];

describe('shadow - merge', () => {
  for (const c of mergeCases) {
    test(`shadow - merge: ${c.name}`, () => {
      const before = run(...c.start);
      const snapshot = JSON.stringify(before);
      const after = applyUpdate(before, c.request, 100);
      assert.deepEqual(after.state, c.state);
      assert.equal(JSON.stringify(after.state), JSON.stringify(c.state), 'same keys, in the same order');
      assert.equal(JSON.stringify(before), snapshot, 'the previous document is not changed');
    });
  }
});

interface MetadataCase {
  name: string;
  start: Array<RequestState | null>;
  request: RequestState | null;
  metadata: ShadowState;
}

// Timestamps: the start requests are written at 1, 2, ...; the request under test at 100.
const metadataCases: MetadataCase[] = [
  { name: 'AWS: every leaf has {"timestamp"} in epoch seconds (device-shadow-document.md example)', start: [], request: { desired: { color: 'RED' }, reported: { color: 'GREEN' } }, metadata: { desired: { color: { timestamp: 100 } }, reported: { color: { timestamp: 100 } } } },
  { name: 'objects give nested metadata', start: [], request: { reported: { light: { color: 'red', level: 5 } } }, metadata: { reported: { light: { color: { timestamp: 100 }, level: { timestamp: 100 } } } } },
  { name: 'an array\'s metadata is one entry per element, objects inside nested', start: [], request: { desired: { seq: ['a', { b: 1 }, [2]] } }, metadata: { desired: { seq: [{ timestamp: 100 }, { b: { timestamp: 100 } }, [{ timestamp: 100 }]] } } },
  { name: 'only the keys written get the new timestamp', start: [{ desired: { a: 1, b: { c: 1, d: 1 } } }], request: { desired: { b: { d: 2 } } }, metadata: { desired: { a: { timestamp: 1 }, b: { c: { timestamp: 1 }, d: { timestamp: 100 } } } } },
  { name: 'a removed key loses its metadata', start: [{ desired: { a: 1, b: 1 } }], request: { desired: { a: null } }, metadata: { desired: { b: { timestamp: 1 } } } },
  { name: 'a scalar that becomes an object gets object metadata, and back', start: [{ desired: { a: 1, b: { c: 1 } } }], request: { desired: { a: { x: 1 }, b: 2 } }, metadata: { desired: { a: { x: { timestamp: 100 } }, b: { timestamp: 100 } } } },
  { name: 'a state key named "timestamp" is data, not metadata', start: [{ reported: { timestamp: 5, o: { timestamp: 6 } } }], request: { reported: { o: { timestamp: 7 } } }, metadata: { reported: { timestamp: { timestamp: 1 }, o: { timestamp: { timestamp: 100 } } } } },
  { name: 'a removed section loses its metadata', start: [{ desired: { a: 1 }, reported: { a: 1 } }], request: { desired: null }, metadata: { reported: { a: { timestamp: 1 } } } },
  { name: '"state": null empties the metadata', start: [{ desired: { a: 1 } }], request: null, metadata: {} },
];

describe('shadow - metadata', () => {
  for (const c of metadataCases) {
    test(`shadow - metadata: ${c.name}`, () => {
      assert.deepEqual(applyUpdate(run(...c.start), c.request, 100).metadata, c.metadata);
    });
  }
  test('shadow - metadata: the accepted response\'s metadata has the request\'s shape, nulls timestamped too', () => {
    assert.deepEqual(requestMetadata({ desired: { a: 1, b: null, c: { d: [1, 2] } }, reported: null }, 9), {
      desired: { a: { timestamp: 9 }, b: { timestamp: 9 }, c: { d: [{ timestamp: 9 }, { timestamp: 9 }] } },
      reported: { timestamp: 9 },
    });
    assert.deepEqual(requestMetadata(null, 9), {});
    assert.deepEqual(requestMetadata({}, 9), {});
  });
});

interface DeltaCase {
  name: string;
  state: ShadowState;
  delta: JsonObject | undefined;
}

const deltaCases: DeltaCase[] = [
  { name: 'AWS: the developer guide\'s example document (color and sequence differ)', state: { desired: { color: 'RED', sequence: ['RED', 'GREEN', 'BLUE'] }, reported: { color: 'GREEN' } }, delta: { color: 'RED', sequence: ['RED', 'GREEN', 'BLUE'] } },
  { name: 'AWS: a desired key with no reported equivalent is included', state: { desired: { a: 1 } }, delta: { a: 1 } },
  { name: 'AWS: a reported-only key is not included', state: { desired: { a: 1 }, reported: { a: 1, b: 2 } }, delta: undefined },
  { name: 'AWS: a key deleted from reported but still desired is included', state: { desired: { a: 1, b: 2 }, reported: { b: 2 } }, delta: { a: 1 } },
  { name: 'AWS: keys that agree are not included', state: { desired: { a: 1, b: 2 }, reported: { a: 1, b: 3 } }, delta: { b: 2 } },
  { name: 'AWS: the nested path is kept (lights.color)', state: { desired: { lights: { color: 'RED' }, engine: 'ON' }, reported: { lights: { color: 'GREEN' }, engine: 'ON' } }, delta: { lights: { color: 'RED' } } },
  { name: 'AWS: arrays compare whole', state: { desired: { c: [1, 2, 3] }, reported: { c: [1, 2] } }, delta: { c: [1, 2, 3] } },
  { name: 'equal arrays give no delta; objects inside compare by value, not key order', state: { desired: { c: [{ x: 1, y: 2 }] }, reported: { c: [{ y: 2, x: 1 }] } }, delta: undefined },
  { name: 'a desired object against a reported scalar is included whole', state: { desired: { a: { b: 1 } }, reported: { a: 5 } }, delta: { a: { b: 1 } } },
  { name: 'values of different types differ ("1" vs 1, false vs 0)', state: { desired: { a: '1', b: false }, reported: { a: 1, b: 0 } }, delta: { a: '1', b: false } },
  { name: 'no desired section: no delta', state: { reported: { a: 1 } }, delta: undefined },
  { name: 'AWS: the data-flow example: reported catches up with desired, no delta', state: { desired: { color: { r: 10 }, engine: 'ON' }, reported: { color: { r: 10 }, engine: 'ON' } }, delta: undefined },
];

describe('shadow - delta', () => {
  for (const c of deltaCases) {
    test(`shadow - delta: ${c.name}`, () => {
      assert.deepEqual(computeDelta(c.state), c.delta);
    });
  }
  test('shadow - delta: its metadata is desired\'s metadata for exactly the delta\'s keys, nested path kept', () => {
    const doc = run({ desired: { lights: { color: 'RED', level: 1 }, engine: 'ON', seq: [1] } }, { reported: { lights: { color: 'GREEN', level: 1 }, engine: 'ON' } });
    const delta = computeDelta(doc.state);
    assert.deepEqual(delta, { lights: { color: 'RED' }, seq: [1] });
    assert.deepEqual(deltaMetadata(delta ?? {}, doc.metadata.desired), { lights: { color: { timestamp: 1 } }, seq: [{ timestamp: 1 }] });
  });
  test('shadow - delta: jsonEqual is deep and ignores key order only', () => {
    assert.equal(jsonEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }), true);
    assert.equal(jsonEqual({ a: 1, b: 2 }, { b: 2, a: 1 }), true);
    assert.equal(jsonEqual([1, 2], [2, 1]), false);
    assert.equal(jsonEqual({ a: 1 }, { a: 1, b: undefined } as unknown as JsonObject), false);
    assert.equal(jsonEqual({ toString: 1 }, { valueOf: 1 }), false, 'inherited members do not count');
  });
});
