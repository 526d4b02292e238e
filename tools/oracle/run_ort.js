#!/usr/bin/env node
'use strict';
// Runs an ONNX model once with ONNX Runtime (CPU) and writes every output as an .npy file:
// the oracle spcc's model tests compare against.
//
//   node tools/oracle/run_ort.js MODEL.onnx OUTDIR NAME=FILE.npy ...
//
// Output OUTPUT is written to OUTDIR/<file name>.npy, where the file name is the output name
// with every character outside [A-Za-z0-9_.-] replaced by '_' (so "/encoder/out:0" becomes
// "_encoder_out_0.npy"). spcc-run names its outputs by the same rule.

const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');
const { readNpy, writeNpy } = require('./npy');

const USAGE = 'usage: node run_ort.js MODEL.onnx OUTDIR NAME=FILE.npy ...';

/// The file name (without .npy) an output is written under.
function outputFileStem(outputName) {
  return outputName.replace(/[^A-Za-z0-9_.-]/g, '_');
}

function parseArgs(argv) {
  if (argv.length < 2 || argv.includes('-h') || argv.includes('--help')) throw new Error(USAGE);
  const [model, outDir, ...feeds] = argv;
  const inputs = new Map();
  for (const arg of feeds) {
    const eq = arg.indexOf('=');
    if (eq <= 0 || eq === arg.length - 1) throw new Error(`bad input '${arg}': expected NAME=FILE.npy`);
    const name = arg.slice(0, eq);
    if (inputs.has(name)) throw new Error(`input '${name}' given twice`);
    inputs.set(name, arg.slice(eq + 1));
  }
  return { model, outDir, inputs };
}

async function main() {
  const { model, outDir, inputs } = parseArgs(process.argv.slice(2));
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });

  const missing = session.inputNames.filter((name) => !inputs.has(name));
  if (missing.length) throw new Error(`${model}: no value given for input(s) ${missing.join(', ')}`);
  const feeds = {};
  for (const [name, file] of inputs) {
    if (!session.inputNames.includes(name)) {
      throw new Error(`${model}: has no input '${name}' (inputs: ${session.inputNames.join(', ')})`);
    }
    const array = readNpy(file);
    feeds[name] = new ort.Tensor(array.type, array.data, array.dims);
  }

  const stems = new Map();
  for (const name of session.outputNames) {
    const stem = outputFileStem(name);
    if (stems.has(stem)) throw new Error(`${model}: outputs '${stems.get(stem)}' and '${name}' both map to ${stem}.npy`);
    stems.set(stem, name);
  }

  const results = await session.run(feeds);
  fs.mkdirSync(outDir, { recursive: true });
  for (const [stem, name] of stems) {
    const tensor = results[name];
    writeNpy(path.join(outDir, stem + '.npy'), tensor.type, tensor.dims.map(Number), tensor.data);
  }
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`run_ort: ${err && err.message ? err.message : err}\n`);
    process.exit(1);
  });
}

module.exports = { outputFileStem };
