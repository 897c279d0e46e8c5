// Peer timing for `task bench`: onnxruntime-node on the CPU, the same model,
// the same thread count, the same constant input. It serves the Go driver
// (internal/cmd/enginebench) over stdin/stdout so the two runtimes can be
// timed in alternating rounds on the same machine:
//   node ort.js MODEL THREADS   then lines "N" -> {"median_ms":...} per line.
const ort = require('onnxruntime-node');
const readline = require('readline');

async function main() {
  const [model, threads] = [process.argv[2], +process.argv[3]];
  const s = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential',
  });
  const shape = s.inputMetadata && s.inputMetadata[0] && s.inputMetadata[0].shape;
  const n = shape.reduce((a, b) => a * b, 1);
  const feeds = { [s.inputNames[0]]: new ort.Tensor('float32', new Float32Array(n).fill(0.5), shape) };
  for (let i = 0; i < 3; i++) await s.run(feeds);
  console.log(JSON.stringify({ ready: true }));
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    const runs = +line;
    if (!(runs > 0)) break;
    const t = [];
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      await s.run(feeds);
      t.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    t.sort((a, b) => a - b);
    console.log(JSON.stringify({ median_ms: t[Math.floor(t.length / 2)] }));
  }
}
main().catch((e) => { console.error(String(e)); process.exit(1); });
