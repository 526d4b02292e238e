'use strict';
// Minimal reader and writer for NumPy .npy files: little-endian, C order, the dtypes below.
// Reads format versions 1.0, 2.0 and 3.0; writes 1.0 with the header padded to 64 bytes, as
// numpy.save does.

const fs = require('fs');
const os = require('os');

if (os.endianness() !== 'LE') throw new Error('npy.js assumes a little-endian host');

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // "\x93NUMPY"

/// Each supported dtype: its npy descr, its onnxruntime-node tensor type and its typed array.
const DTYPES = [
  { descr: '<f4', ort: 'float32', array: Float32Array },
  { descr: '<f8', ort: 'float64', array: Float64Array },
  { descr: '<f2', ort: 'float16', array: Uint16Array }, // float16 bits, as onnxruntime-node takes them
  { descr: '<i8', ort: 'int64', array: BigInt64Array },
  { descr: '<i4', ort: 'int32', array: Int32Array },
  { descr: '|i1', ort: 'int8', array: Int8Array },
  { descr: '|u1', ort: 'uint8', array: Uint8Array },
  { descr: '|b1', ort: 'bool', array: Uint8Array },
];

function dtypeByDescr(descr) {
  // numpy writes '<f4' and '|u1'; '=' (native order) and no prefix also mean little-endian
  // here, and single-byte types do not care. Big-endian ('>') data is refused.
  const code = /^[<|=]?([a-z]\d+)$/.exec(descr);
  const found = code && DTYPES.find((d) => d.descr.slice(1) === code[1]);
  if (!found) throw new Error(`unsupported npy dtype '${descr}' (supported: ${DTYPES.map((d) => d.descr).join(', ')})`);
  return found;
}

function dtypeByOrtType(type) {
  const found = DTYPES.find((d) => d.ort === type);
  if (!found) throw new Error(`unsupported tensor type '${type}' (supported: ${DTYPES.map((d) => d.ort).join(', ')})`);
  return found;
}

/// Parses the header dict, e.g. "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 16), }".
function parseHeader(text, path) {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descr || !fortran || !shape) throw new Error(`${path}: malformed npy header: ${text.trim()}`);
  if (fortran[1] === 'True') throw new Error(`${path}: Fortran-order arrays are not supported`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((s) => {
    if (!/^\d+$/.test(s)) throw new Error(`${path}: bad dimension '${s}' in npy header`);
    return Number(s);
  });
  return { dtype: dtypeByDescr(descr[1]), dims };
}

/// Reads an .npy file. Returns { type (onnxruntime tensor type), dims (array of numbers),
/// data (typed array of the dtype; a fresh copy, element-aligned) }.
function readNpy(path) {
  const bytes = fs.readFileSync(path);
  if (bytes.length < 10 || !bytes.subarray(0, 6).equals(MAGIC)) throw new Error(`${path}: not an npy file`);
  const major = bytes[6];
  let headerLength;
  let headerStart;
  if (major === 1) {
    headerLength = bytes.readUInt16LE(8);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    headerLength = bytes.readUInt32LE(8);
    headerStart = 12;
  } else {
    throw new Error(`${path}: unsupported npy format version ${major}.${bytes[7]}`);
  }
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) throw new Error(`${path}: truncated npy header`);
  const { dtype, dims } = parseHeader(bytes.toString('latin1', headerStart, dataStart), path);
  const count = dims.reduce((a, b) => a * b, 1);
  const byteLength = count * dtype.array.BYTES_PER_ELEMENT;
  if (bytes.length - dataStart !== byteLength) {
    throw new Error(`${path}: expected ${byteLength} data bytes for shape (${dims.join(', ')}), found ${bytes.length - dataStart}`);
  }
  // Copy into a fresh buffer: the file's data offset need not be aligned for the typed array.
  const buffer = new ArrayBuffer(byteLength);
  new Uint8Array(buffer).set(bytes.subarray(dataStart));
  return { type: dtype.ort, dims, data: new dtype.array(buffer) };
}

/// Writes `data` (a typed array of onnxruntime tensor type `type`) with shape `dims` as an
/// .npy file (format 1.0).
function writeNpy(path, type, dims, data) {
  const dtype = dtypeByOrtType(type);
  const count = dims.reduce((a, b) => a * b, 1);
  if (data.BYTES_PER_ELEMENT !== dtype.array.BYTES_PER_ELEMENT) {
    throw new Error(`${path}: ${type} data given as a ${data.constructor.name}`);
  }
  if (data.length !== count) throw new Error(`${path}: ${data.length} elements for shape (${dims.join(', ')})`);
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '${dtype.descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const unpadded = MAGIC.length + 4 + header.length + 1; // magic, version, length, '\n'
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const prefix = Buffer.alloc(MAGIC.length + 4);
  MAGIC.copy(prefix, 0);
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  let payload = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (type === 'bool') payload = Buffer.from(payload.map((b) => (b ? 1 : 0)));
  fs.writeFileSync(path, Buffer.concat([prefix, Buffer.from(header, 'latin1'), payload]));
}

module.exports = { readNpy, writeNpy, DTYPES };
