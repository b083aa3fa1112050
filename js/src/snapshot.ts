// The snapshot trait as it arrives: zlib-compressed JSON in a binary buffer (RunView.snapshot_zlib,
// a DataView from the widget manager, base64 in a saved notebook), or already an object where a
// saved file or a stand-in model hands one over. Decoded synchronously, so a snapshot and the
// deltas after it are applied in the order they came.
import { unzlibSync } from "fflate";
import type { Snapshot } from "./types";

export type PackedSnapshot = DataView | ArrayBuffer | Uint8Array;

const decoder = new TextDecoder();

/** The snapshot in `value`; `{}` when there is none yet (an empty buffer, nothing set). */
export function unpackSnapshot(value: unknown): Snapshot | Record<string, never> {
  if (value === null || value === undefined) return {};
  let bytes: Uint8Array | null = null;
  if (value instanceof Uint8Array) bytes = value;
  else if (value instanceof ArrayBuffer) bytes = new Uint8Array(value);
  else if (ArrayBuffer.isView(value))
    bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (bytes === null) return value as Snapshot;
  if (bytes.byteLength === 0) return {};
  return JSON.parse(decoder.decode(unzlibSync(bytes))) as Snapshot;
}
