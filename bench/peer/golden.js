// Goldens from onnxruntime-node for tests that must not need the licensed
// assets: runs MODEL on each raw float32 input listed in DIR/index.json
// (written by internal/cmd/demogolden) and writes the first output next
// to it. scripts/demo-goldens.sh runs it.
//   node golden.js MODEL DIR
const ort = require('onnxruntime-node');
const fs = require('fs');
const path = require('path');

async function main() {
  const [model, dir] = [process.argv[2], process.argv[3]];
  const s = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const shape = s.inputMetadata[0].shape;
  const idx = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'));
  for (const f of idx.frames) {
    const buf = fs.readFileSync(path.join(dir, f.input));
    const data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', data, shape) });
    const t = out[s.outputNames[0]];
    fs.writeFileSync(path.join(dir, f.output0), Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    console.log(`${f.output0}: [${t.dims}]`);
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
