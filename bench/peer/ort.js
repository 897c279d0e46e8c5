// Peer timing for `task bench`: onnxruntime-node on the CPU, the same model,
// the same thread count, zeros in, median of N runs after warm-up.
// Usage: node ort.js MODEL THREADS RUNS  -> prints {"median_ms":...}
const ort = require('onnxruntime-node');

async function main() {
  const [model, threads, runs] = [process.argv[2], +process.argv[3], +process.argv[4]];
  const s = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential',
  });
  const meta = s.inputMetadata ? s.inputMetadata[0] : null;
  const shape = meta && meta.shape ? meta.shape : JSON.parse(process.argv[5]);
  const n = shape.reduce((a, b) => a * b, 1);
  const feeds = { [s.inputNames[0]]: new ort.Tensor('float32', new Float32Array(n).fill(0.5), shape) };
  for (let i = 0; i < 3; i++) await s.run(feeds);
  const t = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await s.run(feeds);
    t.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  t.sort((a, b) => a - b);
  console.log(JSON.stringify({ median_ms: t[Math.floor(t.length / 2)], runs, threads }));
}
main().catch((e) => { console.error(String(e)); process.exit(1); });
