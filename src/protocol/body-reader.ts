/**
 * @module protocol/body-reader
 * The fast decoder's reader of one frame's body: bounded reads of MQTT's primitive types (byte,
 * integers, Variable Byte Integer, UTF-8 string, binary) that throw FALL_BACK, instead of an error,
 * wherever mqtt-packet's own rules must decide (a read past the end, a string that breaks a rule).
 */
import { isMqttString } from './packet-rules.js';

/** Thrown inside a decode to say "hand this frame to mqtt-packet"; never leaves the fast decoder. */
export const FALL_BACK = Symbol('fall back');

export const EMPTY = Buffer.alloc(0);

/** Reads one frame's body [start, end) the way mqtt-packet reads it, or throws FALL_BACK. */
export class BodyReader {
  buf: Buffer = EMPTY;
  pos = 0;
  end = 0;

  need(n: number): void {
    if (this.pos + n > this.end) throw FALL_BACK;
  }

  byte(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  uint16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  uint32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** [MQTT-1.5.5] Variable Byte Integer; more than 4 bytes is mqtt-packet's error to raise. */
  varint(): number {
    let value = 0;
    let mul = 1;
    for (let i = 0; i < 4; i++) {
      const b = this.byte();
      value += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return value;
      mul *= 0x80;
    }
    throw FALL_BACK;
  }

  /** A string that meets [MQTT-1.5.4-1] and [MQTT-1.5.4-2]; one that does not is mqtt-packet's and packet-rules' to refuse. */
  string(): string {
    const length = this.uint16();
    this.need(length);
    if (!isMqttString(this.buf, this.pos, this.pos + length)) throw FALL_BACK;
    const s = this.buf.toString('utf8', this.pos, this.pos + length);
    this.pos += length;
    return s;
  }

  binary(): Buffer {
    const length = this.uint16();
    this.need(length);
    const b = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return b;
  }
}
