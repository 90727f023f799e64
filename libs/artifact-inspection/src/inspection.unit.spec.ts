import { mkdtempSync, readFileSync, symlinkSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { directoryManifest, inspectBytes, inspectPath, scanPickle, bytesSource, SAFE_GLOBALS } from './index.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures');
const fixture = (name: string) => readFileSync(join(FIX, name));
const latin = (s: string) => Buffer.from(s, 'latin1');

describe('format detection from the bytes (fixtures made by each format’s own library)', () => {
  it.each([
    ['churn.onnx', 'onnx'],
    ['model.safetensors', 'safetensors'],
    ['tiny.gguf', 'gguf'],
    ['benign.pkl', 'pickle'],
    ['malicious.pkl', 'pickle'],
    ['malicious-proto0.pkl', 'pickle'],
    ['model.pt', 'pytorch'],
    ['scripted.pt', 'torchscript'],
    ['malicious-deflated.pt', 'pytorch'],
  ])('%s is %s, whatever it is called', (file, format) => {
    // inspectBytes never sees the file name.
    expect(inspectBytes(fixture(file)).format).toBe(format);
  });

  it('calls unknown bytes other', () => {
    expect(inspectBytes(Buffer.from('just some text\n')).format).toBe('other');
  });
});

describe('ONNX', () => {
  it('reads IR version, opset imports and graph inputs/outputs with types and shapes (weights are not inputs)', () => {
    const r = inspectBytes(fixture('churn.onnx'));
    expect(r).toMatchObject({ valid: true, safe: true });
    expect(r.facts).toMatchObject({ irVersion: 9, opsets: 'ai.onnx:17', nodes: 2 });
    expect(r.signature).toEqual({
      inputs: [{ name: 'features', type: 'tensor(float)', shape: ['batch', 4] }],
      outputs: [{ name: 'churn_probability', type: 'tensor(float)', shape: ['batch', 1] }],
    });
  });

  it('sees a changed input shape', () => {
    expect(inspectBytes(fixture('churn-wider.onnx')).signature!.inputs).toEqual([{ name: 'features', type: 'tensor(float)', shape: ['batch', 5] }]);
  });

  it('a truncated model is not taken for ONNX', () => {
    const r = inspectBytes(fixture('churn.onnx').subarray(0, 100));
    expect(r.format).toBe('other');
    expect(r.signature).toBeUndefined();
  });
});

describe('safetensors header validation', () => {
  it('accepts a file written by safetensors and lists its tensors', () => {
    const r = inspectBytes(fixture('model.safetensors'));
    expect(r).toMatchObject({ format: 'safetensors', valid: true, errors: [] });
    expect(r.facts).toMatchObject({ tensors: 2, dtypes: 'F16,F32' });
  });

  it('refuses a truncated file, naming the tensors that run past the end', () => {
    const r = inspectBytes(fixture('truncated.safetensors'));
    expect(r.valid).toBe(false);
    expect(r.errors.join('\n')).toMatch(/tensor 'bias': data_offsets \[32, 36\] end past the data section \(29 bytes\)/);
  });

  it('refuses overlapping offsets', () => {
    const r = inspectBytes(fixture('overlap.safetensors'));
    expect(r.valid).toBe(false);
    expect(r.errors).toContain("tensor 'b' [4, 12] overlaps tensor 'a' [0, 8]");
  });

  const build = (header: object, data: number) => {
    const h = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(h.length));
    return Buffer.concat([len, h, Buffer.alloc(data)]);
  };

  it.each([
    ['an unknown dtype', { a: { dtype: 'F33', shape: [1], data_offsets: [0, 4] } }, 4, /unknown dtype "F33"/],
    ['a negative dimension', { a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4, /shape must be a list of non-negative integers/],
    ['a size that does not match the shape', { a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 4, /needs 8 bytes but data_offsets span 4/],
    ['bytes that belong to no tensor', { a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8, /bytes 0\.\.4 of the data section belong to no tensor/],
    ['reversed offsets', { a: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }, 8, /0 ≤ begin ≤ end/],
  ])('refuses %s', (_what, header, data, message) => {
    const r = inspectBytes(build(header, data));
    expect(r.format).toBe('safetensors');
    expect(r.valid).toBe(false);
    expect(r.errors.join('\n')).toMatch(message);
  });

  it('refuses a header length beyond the file and a header that is not JSON', () => {
    const lie = Buffer.concat([Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{"a":1}')]);
    expect(inspectBytes(lie)).toMatchObject({ format: 'safetensors', valid: false });
    const notJson = build({}, 0);
    notJson.write('{x', 8);
    expect(inspectBytes(notJson).errors.join()).toMatch(/not valid UTF-8 JSON/);
  });
});

describe('GGUF', () => {
  it('reads version, tensor count, architecture, quantization and metadata keys', () => {
    const r = inspectBytes(fixture('tiny.gguf'));
    expect(r).toMatchObject({ format: 'gguf', valid: true, safe: true });
    expect(r.facts).toEqual({ ggufVersion: 3, tensors: 2, architecture: 'llama', quantization: 'MOSTLY_F16', name: 'tiny-llama' });
    expect(r.details!.metadataKeys).toEqual(expect.arrayContaining(['general.architecture', 'general.file_type', 'llama.context_length']));
  });

  it('reports a truncated header instead of reading past the end', () => {
    const r = inspectBytes(fixture('tiny.gguf').subarray(0, 60));
    expect(r).toMatchObject({ format: 'gguf', valid: false });
    expect(r.errors[0]).toMatch(/truncated/);
  });
});

describe('pickle scanning (never loaded)', () => {
  it('clears a pickle of plain data, numpy arrays and an OrderedDict', () => {
    const r = inspectBytes(fixture('benign.pkl'));
    expect(r).toMatchObject({ format: 'pickle', safe: true, unsafeGlobals: [] });
    expect(r.globals).toEqual(['collections.OrderedDict', 'numpy._core.multiarray._reconstruct', 'numpy.ndarray', 'numpy.dtype']);
  });

  it('names os.system (posix.system) and builtins.eval in a pickle built by Python’s pickle', () => {
    const r = inspectBytes(fixture('malicious.pkl'));
    expect(r.safe).toBe(false);
    expect(r.unsafeGlobals).toEqual(['posix.system', 'builtins.eval']);
  });

  it('names them in protocol 0 (GLOBAL + REDUCE) too', () => {
    expect(inspectBytes(fixture('malicious-proto0.pkl')).unsafeGlobals).toEqual(['posix.system']);
  });

  it('finds the global inside a PyTorch zip, stored or deflated', () => {
    expect(inspectBytes(fixture('malicious.pt'))).toMatchObject({ format: 'pytorch', safe: false, unsafeGlobals: ['posix.system'] });
    expect(inspectBytes(fixture('malicious-deflated.pt'))).toMatchObject({ format: 'pytorch', safe: false, unsafeGlobals: ['__builtin__.eval'] }); // protocol 2 writes Python 2 names
    expect(inspectBytes(fixture('model.pt'))).toMatchObject({ safe: true, globals: ['collections.OrderedDict', 'torch._utils._rebuild_tensor_v2', 'torch.FloatStorage'] });
    expect(inspectBytes(fixture('scripted.pt'))).toMatchObject({ format: 'torchscript', safe: true });
  });

  it('INST (protocol 0) imports and calls in one opcode', () => {
    const r = inspectBytes(latin("(S'echo x'\nisubprocess\nPopen\n."));
    expect(r).toMatchObject({ format: 'pickle', safe: false, unsafeGlobals: ['subprocess.Popen'] });
  });

  it('resolves STACK_GLOBAL names hidden behind the memo', () => {
    // 'runpy' and '_run_code' are memoised, then fetched back with BINGET before STACK_GLOBAL.
    const p = Buffer.concat([
      Buffer.from([0x80, 4]),
      Buffer.from([0x8c, 5]), latin('runpy'), Buffer.from([0x94]),
      Buffer.from([0x8c, 9]), latin('_run_code'), Buffer.from([0x94]),
      Buffer.from([0x30, 0x30]), // POP POP
      Buffer.from([0x68, 0, 0x68, 1, 0x93]), // BINGET 0 BINGET 1 STACK_GLOBAL
      Buffer.from([0x29, 0x52, 0x2e]), // EMPTY_TUPLE REDUCE STOP
    ]);
    expect(scanPickle(bytesSource(p))).toMatchObject({ unsafeGlobals: ['runpy._run_code'], problems: [] });
  });

  it('fails closed: a STACK_GLOBAL whose name is not a plain string, an EXT code, an unknown opcode, a truncated stream', () => {
    const computed = Buffer.from([0x80, 4, 0x8c, 1, 0x61, 0x4e, 0x93, 0x29, 0x52, 0x2e]); // module 'a', name None
    expect(inspectBytes(computed)).toMatchObject({ safe: false });
    expect(inspectBytes(computed).errors[0]).toMatch(/STACK_GLOBAL at byte 6 imports a name that is not a plain string/);
    expect(inspectBytes(Buffer.from([0x80, 2, 0x82, 7, 0x29, 0x52, 0x2e]))).toMatchObject({ safe: false });
    expect(inspectBytes(Buffer.from([0x80, 2, 0xff, 0x2e])).errors[0]).toMatch(/unknown opcode 0xff at byte 2/);
    const cut = fixture('benign.pkl').subarray(0, 40);
    expect(inspectBytes(cut)).toMatchObject({ format: 'pickle', safe: false, valid: false });
  });

  it('the allow-list holds data constructors only', () => {
    for (const bad of ['os.system', 'posix.system', 'builtins.eval', 'builtins.exec', 'builtins.getattr', 'subprocess.Popen', 'runpy._run_code', 'builtins.__import__']) {
      expect(SAFE_GLOBALS.has(bad)).toBe(false);
    }
  });
});

describe('SavedModel directories', () => {
  it('digest is the documented manifest: sorted relative paths with their file digests', async () => {
    const m = await directoryManifest(join(FIX, 'savedmodel'));
    expect(m.manifest.split('\n').filter(Boolean).map((l) => l.split('  ')[1])).toEqual([
      'assets/vocab.txt',
      'saved_model.pb',
      'variables/variables.data-00000-of-00001',
      'variables/variables.index',
    ]);
    // Computed independently with the shell recipe documented in savedmodel.ts (find | sort | sha256sum).
    expect(m.digest).toBe('sha256:7c68651d3a6baa63a09f1343d7dda0e82c23bfcdc35a0f7051b7601358149c36');
    const r = await inspectPath(join(FIX, 'savedmodel'));
    expect(r).toMatchObject({ format: 'savedmodel', digest: m.digest, facts: { files: 4 } });
  });

  it('does not depend on where the directory is, and refuses symbolic links', async () => {
    const copy = join(mkdtempSync(join(tmpdir(), 'sm-')), 'elsewhere');
    cpSync(join(FIX, 'savedmodel'), copy, { recursive: true });
    expect((await directoryManifest(copy)).digest).toBe('sha256:7c68651d3a6baa63a09f1343d7dda0e82c23bfcdc35a0f7051b7601358149c36');
    symlinkSync('/etc/passwd', join(copy, 'assets', 'leak'));
    await expect(directoryManifest(copy)).rejects.toThrow(/assets\/leak is not a regular file or directory/);
  });

  it('a directory without saved_model.pb is not an artifact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nosm-'));
    mkdirSync(join(dir, 'x'));
    writeFileSync(join(dir, 'x', 'a'), 'a');
    expect(await inspectPath(dir)).toMatchObject({ valid: false, errors: [expect.stringMatching(/without saved_model.pb/)] });
  });
});

describe('zip entries', () => {
  it('inflates a deflated data.pkl written here, and a zip without data.pkl is other', () => {
    const pkl = latin("cos\nsystem\n(S'id'\ntR.");
    const zip = makeZip([{ name: 'archive/data.pkl', data: pkl }]);
    expect(inspectBytes(zip)).toMatchObject({ format: 'pytorch', safe: false, unsafeGlobals: ['os.system'] });
    expect(inspectBytes(makeZip([{ name: 'readme.txt', data: Buffer.from('hi') }])).format).toBe('other');
  });
});

/** A minimal deflating zip writer, enough for the tests. */
function makeZip(files: { name: string; data: Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const name = Buffer.from(f.name);
    const comp = deflateRawSync(f.data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(8, 8);
    lh.writeUInt32LE(comp.length, 18);
    lh.writeUInt32LE(f.data.length, 22);
    lh.writeUInt16LE(name.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(8, 10);
    ch.writeUInt32LE(comp.length, 20);
    ch.writeUInt32LE(f.data.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(offset, 42);
    locals.push(lh, name, comp);
    central.push(ch, name);
    offset += 30 + name.length + comp.length;
  }
  const cd = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(files.length, 8);
  eocd.writeUInt16LE(files.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}
