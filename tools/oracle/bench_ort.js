#!/usr/bin/env node
'use strict';
// Measures ONNX Runtime (CPU) on a model the way spcc-bench measures a compiled one, with the
// same flags and JSON keys, so tools/bench/compare.py can put them side by side.
//
//   node tools/oracle/bench_ort.js MODEL.onnx [--mode sync|async] [--threads N] [--streams S]
//        [--seconds T] [--warmup K] [--shape NAME=DIMS]... [--json] [--profile]
//
// sync:  one session with intraOpNumThreads N (default: all cores), runs back to back for T
//        seconds (default 3); per-run latency median / p90 / p99 and runs per second.
// async: S worker threads (default: all cores), each with its own session of one intra-op
//        thread, run concurrently for T seconds; total inferences per second, and the latency of
//        every run of every stream. (session.run occupies its JS thread, so concurrent runs need
//        one worker thread each; Promise.all in one thread would not overlap them.)
// Every session: graphOptimizationLevel 'all', interOpNumThreads 1, sequential execution; K
// unmeasured warm-up runs (default 5). Random inputs from a fixed seed: float32 N(0, 1);
// int64 / int32 / bool inputs 0 or 1. --shape fixes dynamic dims (e.g. input_ids=1x16).
// Latencies are wall time around `await session.run(feeds)`, output tensor creation included.
// --profile: after the measurement, one more sync session (the sync thread count; 1 in async
// mode) runs for T seconds with ONNX Runtime's profiler on, then prints its nodes by kernel
// time per run and that time by op type, as spcc-bench --profile does for a compiled model
// (JSON: a "profile" key). ORT names a node it fused after the output it computes, so names
// differ from the ONNX graph's where ORT rewrote it; the profiler's own cost is in those runs.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
const ort = require('onnxruntime-node');

const USAGE = 'usage: node bench_ort.js MODEL.onnx [--mode sync|async] [--threads N] ' +
  '[--streams S] [--seconds T] [--warmup K] [--shape NAME=DIMS]... [--json] [--profile]';

function parseArgs(argv) {
  const options = { model: null, mode: 'sync', threads: 0, streams: 0, seconds: 3, warmup: 5,
    shapes: {}, json: false, profile: false };
  const valueFlags = ['--mode', '--threads', '--streams', '--seconds', '--warmup', '--shape'];
  for (let i = 0; i < argv.length; ++i) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') { process.stdout.write(USAGE + '\n'); process.exit(0); }
    if (arg === '--json') { options.json = true; continue; }
    if (arg === '--profile') { options.profile = true; continue; }
    if (!arg.startsWith('--')) {
      if (options.model) throw new Error(`more than one model given: '${options.model}' and '${arg}'`);
      options.model = arg;
      continue;
    }
    let flag = arg, value;
    const eq = arg.indexOf('=');
    if (eq > 0) { flag = arg.slice(0, eq); value = arg.slice(eq + 1); }
    if (!valueFlags.includes(flag)) throw new Error(`unknown flag '${arg}' (${USAGE})`);
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new Error(`${flag} needs a value`);
      value = argv[++i];
    }
    if (flag === '--mode') {
      if (value !== 'sync' && value !== 'async') throw new Error(`--mode expects sync or async, not '${value}'`);
      options.mode = value;
    } else if (flag === '--seconds') {
      const t = Number(value);
      if (value === '' || !Number.isFinite(t) || t < 0) throw new Error(`--seconds expects a non-negative number, not '${value}'`);
      options.seconds = t;
    } else if (flag === '--shape') {
      const m = /^([^=]+)=(\d+(?:x\d+)*)$/.exec(value);
      if (!m) throw new Error(`--shape expects NAME=DIMS (e.g. input_ids=1x16), not '${value}'`);
      options.shapes[m[1]] = m[2].split('x').map(Number);
    } else {
      const n = Number(value), lowest = flag === '--warmup' ? 0 : 1;
      if (!/^\d+$/.test(value) || n < lowest || n > 4096) {
        throw new Error(`${flag} expects an integer from ${lowest} to 4096, not '${value}'`);
      }
      options[flag.slice(2)] = n;
    }
  }
  if (!options.model) throw new Error(`no model given (${USAGE})`);
  return options;
}

/// Deterministic pseudo-random numbers (mulberry32) and N(0, 1) by Box-Muller.
function makeRng(seed) {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

function randomFeeds(session, shapes) {
  const rng = makeRng(0);
  const feeds = {};
  for (const meta of session.inputMetadata) {
    if (!meta.isTensor) throw new Error(`input '${meta.name}' is not a tensor`);
    const dims = shapes[meta.name] ||
      meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : NaN));
    if (dims.some((d) => !Number.isInteger(d))) {
      throw new Error(`input '${meta.name}' has dynamic dims [${meta.shape}]; fix them with --shape ${meta.name}=DIMS`);
    }
    const count = dims.reduce((a, b) => a * b, 1);
    let data;
    switch (meta.type) {
      case 'float32': data = Float32Array.from({ length: count }, rng.normal); break;
      case 'int64': data = BigInt64Array.from({ length: count }, () => BigInt(rng.uniform() < 0.5 ? 0 : 1)); break;
      case 'int32': data = Int32Array.from({ length: count }, () => (rng.uniform() < 0.5 ? 0 : 1)); break;
      case 'bool': data = Uint8Array.from({ length: count }, () => (rng.uniform() < 0.5 ? 0 : 1)); break;
      default: throw new Error(`input '${meta.name}' has element type ${meta.type}, which bench_ort does not generate`);
    }
    feeds[meta.name] = new ort.Tensor(meta.type, data, dims);
  }
  return feeds;
}

async function createSession(model, threads, profileFilePrefix) {
  return ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    ...(profileFilePrefix ? { enableProfiling: true, profileFilePrefix } : {}),
  });
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/// Warm-up runs, then runs until deadlineMs (at least once); returns each run's latency (ms).
async function measure(session, feeds, warmup, deadlineAt) {
  for (let i = 0; i < warmup; ++i) await session.run(feeds);
  const deadlineMs = deadlineAt();
  const latencies = [];
  do {
    const start = nowMs();
    await session.run(feeds);
    latencies.push(nowMs() - start);
  } while (nowMs() < deadlineMs);
  return latencies;
}

function percentile(sorted, q) {
  if (!sorted.length) return 0;
  const rank = (q / 100) * (sorted.length - 1), lo = Math.floor(rank), hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

function summarize(latencies, seconds) {
  const sorted = Float64Array.from(latencies).sort();
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    runs: sorted.length,
    seconds,
    latency_ms_median: percentile(sorted, 50),
    latency_ms_p90: percentile(sorted, 90),
    latency_ms_p99: percentile(sorted, 99),
    latency_ms_mean: sorted.length ? sum / sorted.length : 0,
    latency_ms_min: sorted.length ? sorted[0] : 0,
    throughput_per_s: seconds > 0 ? sorted.length / seconds : 0,
  };
}

async function runSync(options) {
  const session = await createSession(options.model, options.threads);
  const feeds = randomFeeds(session, options.shapes);
  let start = 0;
  const latencies = await measure(session, feeds, options.warmup, () => {
    start = nowMs();
    return start + options.seconds * 1000;
  });
  return summarize(latencies, (nowMs() - start) / 1000);
}

/// A worker: creates its session, warms up, signals ready; on 'go' (carrying the shared
/// deadline) measures and posts its latencies.
async function workerMain() {
  const { model, shapes, warmup } = workerData;
  const session = await createSession(model, 1);
  const feeds = randomFeeds(session, shapes);
  for (let i = 0; i < warmup; ++i) await session.run(feeds);
  const deadline = await new Promise((resolve) => {
    parentPort.once('message', (message) => resolve(message.deadlineMs));
    parentPort.postMessage({ ready: true });
  });
  const latencies = await measure(session, feeds, 0, () => deadline);
  parentPort.postMessage({ latencies });
}

async function runAsync(options) {
  const workers = [];
  for (let i = 0; i < options.streams; ++i) {
    workers.push(new Worker(__filename, {
      workerData: { model: options.model, shapes: options.shapes, warmup: options.warmup },
    }));
  }
  const nextMessage = (worker) => new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await Promise.all(workers.map(nextMessage)); // every worker warmed up
  // hrtime is process-wide, so one deadline serves every worker.
  const start = nowMs();
  const done = workers.map(nextMessage);
  for (const worker of workers) worker.postMessage({ deadlineMs: start + options.seconds * 1000 });
  const results = await Promise.all(done);
  const seconds = (nowMs() - start) / 1000;
  await Promise.all(workers.map((worker) => worker.terminate()));
  return summarize(results.flatMap((r) => r.latencies), seconds);
}

/// A convolution's kind from its input shapes (X, W): 'depthwise 3x3', '1x1', '7x7', ... so
/// that depthwise and pointwise layers, which ORT both calls Conv, are told apart.
function opLabel(op, inputShapes) {
  if (!/Conv$/.test(op) || !inputShapes || inputShapes.length < 2) return op;
  const [x, w] = inputShapes.map((shape) => Object.values(shape)[0]);
  if (!Array.isArray(x) || !Array.isArray(w) || w.length < 3) return op;
  const kernel = w.slice(2).join('x');
  return w[1] === 1 && w[0] === x[1] && x[1] > 1 ? `${op} (depthwise ${kernel})` : `${op} (${kernel})`;
}

/// Sums the kernel time of each node in ORT's profile (Chrome trace events) over the runs after
/// the first \p skipRuns; returns the nodes, slowest first, in ms per run.
function nodeTimes(events, skipRuns, runs) {
  const nodes = new Map();
  for (const event of events) {
    if (event.cat !== 'Node' || !event.name.endsWith('_kernel_time')) continue;
    const name = event.name.slice(0, -'_kernel_time'.length);
    if (!nodes.has(name)) {
      nodes.set(name, { name, op: opLabel(event.args.op_name, event.args.input_type_shape), seen: 0, us: 0 });
    }
    const node = nodes.get(name);
    if (node.seen++ >= skipRuns) node.us += event.dur;
  }
  return [...nodes.values()]
    .map((node) => ({ name: node.name, op: node.op, ms: node.us / 1000 / runs }))
    .sort((a, b) => b.ms - a.ms || (a.name < b.name ? -1 : 1));
}

/// One sync session with ORT's profiler on, run for options.seconds after one warm-up run.
async function profileNodes(options, threads) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench_ort-'));
  try {
    const session = await createSession(options.model, threads, path.join(dir, 'profile'));
    const feeds = randomFeeds(session, options.shapes);
    const warmup = 1;
    let start = 0;
    const latencies = await measure(session, feeds, warmup, () => {
      start = nowMs();
      return start + options.seconds * 1000;
    });
    const wallMs = nowMs() - start;
    await session.endProfiling();
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
    if (files.length !== 1) throw new Error(`ONNX Runtime wrote ${files.length} profile files, not 1`);
    const events = JSON.parse(fs.readFileSync(path.join(dir, files[0]), 'utf8'));
    const runs = latencies.length;
    const nodes = nodeTimes(events, warmup, runs);
    const ops = new Map();
    for (const node of nodes) ops.set(node.op, (ops.get(node.op) || 0) + node.ms);
    const total = nodes.reduce((sum, node) => sum + node.ms, 0);
    return { runs, threads, ms_per_run_in_kernels: total, ms_per_run: wallMs / runs,
      ops: [...ops.entries()].map(([op, ms]) => ({ op, ms })).sort((a, b) => b.ms - a.ms), nodes };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function profileTable(profile) {
  const share = (ms) => `${(profile.ms_per_run_in_kernels > 0 ? (100 * ms) / profile.ms_per_run_in_kernels : 0).toFixed(1)}%`;
  const lines = [`\nprofile: ${profile.runs} runs on ${profile.threads} intra-op threads, ` +
    `${profile.ms_per_run_in_kernels.toFixed(3)} ms per run in kernels of ${profile.ms_per_run.toFixed(3)} ms per run in all (with the profiler on)`];
  lines.push(`${'op'.padEnd(44)} ${'ms/run'.padStart(10)} ${'share'.padStart(7)}`);
  for (const { op, ms } of profile.ops) lines.push(`${op.padEnd(44)} ${ms.toFixed(4).padStart(10)} ${share(ms).padStart(7)}`);
  lines.push(`${'node'.padEnd(48)} ${'op'.padEnd(20)} ${'ms/run'.padStart(10)} ${'share'.padStart(7)}`);
  for (const node of profile.nodes) {
    const name = node.name.length > 48 ? '...' + node.name.slice(-45) : node.name;
    lines.push(`${name.padEnd(48)} ${node.op.padEnd(20)} ${node.ms.toFixed(4).padStart(10)} ${share(node.ms).padStart(7)}`);
  }
  return lines.join('\n') + '\n';
}

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    err.exitCode = 2;
    throw err;
  }
  const cores = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  if (options.mode === 'sync') { options.threads = options.threads || cores; options.streams = 1; }
  else { options.streams = options.streams || cores; options.threads = 1; }
  const summary = options.mode === 'sync' ? await runSync(options) : await runAsync(options);
  const result = { model: options.model, runtime: `onnxruntime-node ${require('onnxruntime-node/package.json').version}`,
    mode: options.mode, threads: options.threads, streams: options.streams, warmup: options.warmup,
    ...summary };
  if (options.profile) result.profile = await profileNodes(options, options.mode === 'sync' ? options.threads : 1);
  const human = [
    `model:      ${options.model} (${result.runtime})`,
    options.mode === 'sync' ? `mode:       sync, 1 session x ${options.threads} intra-op threads`
                            : `mode:       async, ${options.streams} worker threads x 1 session of 1 thread`,
    `runs:       ${summary.runs} in ${summary.seconds.toFixed(3)} s after ${options.warmup} warm-up runs`,
    `latency:    median ${summary.latency_ms_median.toFixed(3)} ms  p90 ${summary.latency_ms_p90.toFixed(3)} ms  ` +
      `p99 ${summary.latency_ms_p99.toFixed(3)} ms  (mean ${summary.latency_ms_mean.toFixed(3)}, min ${summary.latency_ms_min.toFixed(3)})`,
    `throughput: ${summary.throughput_per_s.toFixed(2)} inferences/s`,
  ].join('\n') + '\n' + (result.profile ? profileTable(result.profile) : '');
  if (options.json) {
    process.stderr.write(human);
    process.stdout.write(JSON.stringify(result) + '\n');
  } else {
    process.stdout.write(human);
  }
}

if (isMainThread) {
  main().catch((err) => {
    process.stderr.write(`bench_ort: error: ${err && err.message ? err.message : err}\n`);
    process.exit(err && err.exitCode ? err.exitCode : 1);
  });
} else {
  workerMain().catch((err) => { throw err; });
}
