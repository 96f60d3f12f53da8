/**
 * @module test/fuzz/mutate
 * Byte-level mutations shared by the fuzzers: bit flips, byte sets, truncations, insertions, deletions,
 * duplicated and swapped slices. Each returns a new buffer; the input is never changed.
 */
import type { Random } from './random.js';

/** Bytes that break parsers most often: zero, the sign bits, the continuation bit, CR and LF, '%'. */
const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x0d, 0x0a, 0x25, 0x3a, 0x20, 0xc0, 0xed];

export function flipBits(rng: Random, input: Buffer): Buffer {
  const out = Buffer.from(input);
  if (out.length === 0) return out;
  for (let n = rng.range(1, 3); n > 0; n--) {
    const i = rng.int(out.length);
    out[i] = out[i]! ^ (1 << rng.int(8));
  }
  return out;
}

export function setByte(rng: Random, input: Buffer): Buffer {
  const out = Buffer.from(input);
  if (out.length === 0) return out;
  out[rng.int(out.length)] = rng.chance(0.6) ? rng.pick(INTERESTING) : rng.int(256);
  return out;
}

export function truncate(rng: Random, input: Buffer): Buffer {
  return input.subarray(0, rng.int(input.length));
}

export function insertBytes(rng: Random, input: Buffer): Buffer {
  const at = rng.int(input.length + 1);
  const extra = rng.chance(0.5) ? Buffer.from([rng.pick(INTERESTING)]) : rng.bytes(rng.range(1, 16));
  return Buffer.concat([input.subarray(0, at), extra, input.subarray(at)]);
}

export function deleteSlice(rng: Random, input: Buffer): Buffer {
  if (input.length === 0) return input;
  const at = rng.int(input.length);
  const end = Math.min(input.length, at + rng.range(1, 8));
  return Buffer.concat([input.subarray(0, at), input.subarray(end)]);
}

/** A slice repeated right after itself: a duplicated field or property when it lands on one. */
export function duplicateSlice(rng: Random, input: Buffer): Buffer {
  if (input.length === 0) return input;
  const at = rng.int(input.length);
  const end = Math.min(input.length, at + rng.range(1, 24));
  return Buffer.concat([input.subarray(0, end), input.subarray(at, end), input.subarray(end)]);
}

export function swapSlices(rng: Random, input: Buffer): Buffer {
  if (input.length < 2) return input;
  const cut = rng.range(1, input.length - 1);
  return Buffer.concat([input.subarray(cut), input.subarray(0, cut)]);
}

const BYTE_MUTATIONS = [flipBits, setByte, truncate, insertBytes, deleteSlice, duplicateSlice, swapSlices];

/** One to three random byte-level mutations. */
export function mutateBytes(rng: Random, input: Buffer): Buffer {
  let out = input;
  for (let n = rng.range(1, 3); n > 0; n--) out = rng.pick(BYTE_MUTATIONS)(rng, out);
  return out;
}
