/** Formats told apart from the bytes. `pytorch` is a torch.save zip, `torchscript` a torch.jit.save one. */
export const DETECTED_FORMATS = ['onnx', 'safetensors', 'gguf', 'torchscript', 'pytorch', 'savedmodel', 'pickle', 'joblib', 'other'] as const;
export type DetectedFormat = (typeof DETECTED_FORMATS)[number];

/** One graph input or output; `shape` entries are sizes, symbolic names, or null when unknown. */
export interface TensorSpec {
  name: string;
  type: string;
  shape?: (number | string | null)[];
}

export interface InspectionReport {
  format: DetectedFormat;
  /** Structure checks passed (header lengths, offsets, parseable). */
  valid: boolean;
  /** Nothing found that runs code on load. False for any global outside the allow-list, or an unparseable pickle. */
  safe: boolean;
  /** Structural problems, each naming what is wrong. */
  errors: string[];
  /** Imported globals outside the allow-list (module.name), e.g. `posix.system`. */
  unsafeGlobals: string[];
  /** Every global a pickle imports (GLOBAL, STACK_GLOBAL, INST) or calls (REDUCE, NEWOBJ, OBJ). */
  globals?: string[];
  /** Graph inputs/outputs found in the artifact (ONNX); becomes the version's signature. */
  signature?: { inputs: TensorSpec[]; outputs: TensorSpec[] };
  /** Small scalar facts worth recording (IR version, opsets, tensor count, architecture, ...). */
  facts: Record<string, string | number | boolean>;
  /** Format-specific detail for humans and --json; not sent to the server. */
  details?: Record<string, unknown>;
}

export const INSPECTOR = 'model-ledger-inspect/1';

export function report(format: DetectedFormat, init: Partial<InspectionReport> = {}): InspectionReport {
  return { format, valid: true, safe: true, errors: [], unsafeGlobals: [], facts: {}, ...init };
}
