import { zlibSync } from "fflate";
import { describe, expect, it } from "vitest";
import { unpackSnapshot } from "../src/snapshot";
import { snapshot } from "./fixtures";

const packed = (value: unknown): Uint8Array => zlibSync(new TextEncoder().encode(JSON.stringify(value)));

describe("unpackSnapshot", () => {
  it("decodes the trait's buffer however the manager hands it over", () => {
    const snap = snapshot();
    const bytes = packed(snap);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(unpackSnapshot(view)).toEqual(snap);
    expect(unpackSnapshot(bytes)).toEqual(snap);
    expect(unpackSnapshot(bytes.slice().buffer)).toEqual(snap);
  });

  it("keeps non-ASCII text and reads a view into a larger buffer at its offset", () => {
    const snap = snapshot({ counts: { "messages ✓ 日本": 1 } });
    const bytes = packed(snap);
    const larger = new Uint8Array(bytes.byteLength + 8);
    larger.set(bytes, 5);
    expect(unpackSnapshot(new DataView(larger.buffer, 5, bytes.byteLength))).toEqual(snap);
  });

  it("is empty before the first snapshot and takes an object as it is", () => {
    expect(unpackSnapshot(new DataView(new ArrayBuffer(0)))).toEqual({});
    expect(unpackSnapshot(null)).toEqual({});
    expect(unpackSnapshot(undefined)).toEqual({});
    const snap = snapshot();
    expect(unpackSnapshot(snap)).toBe(snap);
  });

  it("throws on a corrupt buffer (the view reports it instead of showing half a state)", () => {
    expect(() => unpackSnapshot(new Uint8Array([1, 2, 3, 4]))).toThrow();
  });
});
