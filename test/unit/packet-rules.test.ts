import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MqttDecodeError } from '../../src/protocol/decode-error.js';
import { checkFrame, isMqttString } from '../../src/protocol/packet-rules.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** checkFrame on a frame with a one-byte remaining length. */
const check = (frame: string, version: 4 | 5): MqttDecodeError | undefined => {
  const bytes = hex(frame);
  return checkFrame(bytes, 0, 2, bytes.length, version);
};

describe('packet rules - UTF-8 strings', () => {
  it('packet rules - [MQTT-1.5.4-1] [MQTT-1.5.4-2] well-formed UTF-8 without U+0000 only', () => {
    for (const good of ['', 'a/b', 'dévices/€/𝄞', '\uFEFFbom', '\u0001control', '\uFFFF', '\uFFFD']) {
      const b = Buffer.from(good);
      assert.equal(isMqttString(b, 0, b.length), true, JSON.stringify(good));
    }
    for (const bad of ['00', '6100', 'ff', 'c0af', 'eda080', 'edbfbf', 'f4908080', 'e282', 'f0']) {
      const b = hex(bad);
      assert.equal(isMqttString(b, 0, b.length), false, bad);
    }
  });
});

describe('packet rules - frames', () => {
  const cases: Array<[string, string, 4 | 5, string | undefined, number | undefined]> = [
    ['a good QoS 1 PUBLISH', '32 08 0003 742f61 0001 78', 4, undefined, undefined],
    ['a QoS 1 PUBLISH without packet id', '32 05 0003 742f61', 4, 'MQTT_MALFORMED_PACKET', 0x81],
    ['a QoS 2 PUBLISH with one byte of packet id', '34 06 0003 742f61 00', 5, 'MQTT_MALFORMED_PACKET', 0x81],
    ['a QoS 1 PUBLISH with packet id 0', '32 09 0003 742f61 0000 00 78', 5, 'MQTT_PROTOCOL_ERROR', 0x82],
    ['a v5 PUBLISH whose properties run past the packet', '30 07 0003 742f61 05 02', 5, 'MQTT_MALFORMED_PACKET', 0x81],
    ['a v5 PUBLISH with Topic Alias twice', '30 0c 0003 742f61 06 230001 230002', 5, 'MQTT_PROTOCOL_ERROR', 0x82],
    ['a v5 PUBLISH with two User Properties of one name', '30 14 0003 742f61 0e 26 0001 6b 0001 76 26 0001 6b 0001 76', 5, undefined, undefined],
    ['a PUBACK of one byte', '40 01 00', 4, 'MQTT_MALFORMED_PACKET', 0x81],
    ['a v5 PUBACK with a Reason String of ill-formed UTF-8', '40 08 0001 00 04 1f 0001 ff', 5, 'MQTT_MALFORMED_PACKET', 0x81],
    ['a v5 DISCONNECT with Session Expiry twice', 'e0 0c 00 0a 11 0000003c 11 0000003c', 5, 'MQTT_PROTOCOL_ERROR', 0x82],
    ['a v5 DISCONNECT with Receive Maximum (a CONNECT property)', 'e0 05 00 03 21 0001', 5, 'MQTT_MALFORMED_PACKET', 0x81],
    ['a SUBSCRIBE whose filter lacks its options byte', '82 07 0001 0003 742f61', 4, 'MQTT_MALFORMED_PACKET', 0x81],
  ];
  for (const [what, frame, version, code, reasonCode] of cases) {
    it(`packet rules - v${version}: ${what} ${code === undefined ? 'passes' : `is ${code}`}`, () => {
      const err = check(frame, version);
      assert.equal(err?.code, code, err?.message);
      assert.equal(err?.reasonCode, reasonCode);
      assert.equal(err?.connectVersion, undefined);
    });
  }

  it('packet rules - a CONNECT\'s error names its version, read from the CONNECT itself', () => {
    // v5 CONNECT with Maximum Packet Size 0 on a connection still at its default (4)
    const v5 = check('10 15 0004 4d515454 05 02 003c 05 27 00000000 0001 61', 4);
    assert.equal(v5?.reasonCode, 0x82);
    assert.equal(v5?.connectVersion, 5);
    const v4 = check('10 0f 0004 4d515454 04 02 003c 0003 61ff62', 4);
    assert.equal(v4?.reasonCode, 0x81);
    assert.equal(v4?.connectVersion, 4);
    // a protocol level topicd does not speak is the channel's to answer (CONNACK 0x84 / 0x01)
    assert.equal(check('10 0c 0004 4d515454 07 02 003c 0000', 4), undefined);
  });
});
