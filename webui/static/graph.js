// The model graph view: the ONNX graph of a `nniescope layers --json`
// report laid out top to bottom as Netron lays it out (dagre's layered
// layout), op types coloured by Netron's categories, each node's body
// coloured by its error in the report (isolated or cumulative SQNR), the
// box and class branches marked, the search's chosen layers ringed.
// Clicking a node shows its metrics, its calibration records (8-bit and
// 16-bit, with the step each scale means) and, when the search evaluated
// it alone, the AP of keeping it in 16-bit.
import { Graph, layout } from '/vendor/dagre.esm.js';

// Netron's op categories for ONNX and their header colours.
const CATEGORY = {
  Conv: 'layer', ConvTranspose: 'layer', Gemm: 'layer',
  Relu: 'activation', Sigmoid: 'activation', Softmax: 'activation', LeakyRelu: 'activation', HardSigmoid: 'activation', HardSwish: 'activation', Clip: 'activation', Tanh: 'activation', Elu: 'activation',
  MaxPool: 'pool', AveragePool: 'pool', GlobalAveragePool: 'pool',
  BatchNormalization: 'normalization', LayerNormalization: 'normalization',
  Concat: 'tensor', Split: 'tensor', Slice: 'tensor', Pad: 'tensor', Expand: 'tensor', Tile: 'tensor',
  Reshape: 'shape', Flatten: 'shape',
  Transpose: 'transform', Gather: 'transform', Squeeze: 'transform', Unsqueeze: 'transform',
  Resize: 'data', Upsample: 'data', Cast: 'data',
  Dropout: 'dropout',
};
const COLOR = {
  layer: 'rgb(51,85,136)', activation: 'rgb(112,41,33)', pool: 'rgb(51,85,51)', normalization: 'rgb(51,85,68)',
  tensor: 'rgb(89,66,59)', shape: 'rgb(108,79,71)', transform: 'rgb(51,85,68)', data: 'rgb(85,85,85)', dropout: 'rgb(69,71,112)',
  none: 'rgb(0,0,0)',
};
export const categoryOf = (op) => CATEGORY[op] || 'none';
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const NW = 168, NH = 38;

// errorColor: white (no error) to red (the worst in the report).
const errorColor = (t) => `hsl(0,85%,${(97 - 47 * t).toFixed(1)}%)`;

// metric reads a layer's SQNR for the chosen mode ("isolated" or
// "cumulative"); the colour scale runs from the report's best to its worst.
function scale(report, mode) {
  const v = report.layers.map((l) => l[mode]?.sqnr_db).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const lo = v[Math.floor(0.02 * (v.length - 1))] ?? 0, hi = v[Math.floor(0.98 * (v.length - 1))] ?? 1;
  return { lo, hi, t: (db) => (Number.isFinite(db) ? Math.max(0, Math.min(1, (hi - db) / (hi - lo || 1))) : 0) };
}

// renderGraph draws the graph into el (a scrollable container) and wires
// the search box, the mode switch and node clicks. It returns a handle
// with select(name), used by the search box and the tests.
export function renderGraph(el, report, search, onSelect) {
  const byName = new Map(report.layers.map((l) => [l.name, l]));
  const chosen = new Set(search?.layers || []);
  const g = new Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 14, ranksep: 22, marginx: 10, marginy: 10 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of report.graph) g.setNode(n.name, { width: NW, height: NH });
  for (const n of report.graph) for (const i of n.inputs) g.setEdge(i, n.name);
  layout(g);
  const { width, height } = g.graph();
  const mode = el.dataset.mode || 'isolated';
  const sc = scale(report, mode);
  let edges = '';
  for (const e of g.edges()) {
    const pts = g.edge(e).points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    edges += `<polyline points="${pts}" fill="none" stroke="#888" stroke-width="1" marker-end="url(#arrow)"/>`;
  }
  let nodes = '';
  for (const n of report.graph) {
    const p = g.node(n.name), l = byName.get(n.name), x = p.x - NW / 2, y = p.y - NH / 2;
    const t = l ? sc.t(l[mode]?.sqnr_db) : 0;
    const branch = l?.branch === 'box' ? '#e53935' : l?.branch === 'cls' ? '#1e88e5' : null;
    const short = n.name.length > 26 ? '…' + n.name.slice(-25) : n.name;
    nodes += `<g class="gnode" data-name="${esc(n.name)}" data-testid="node-${esc(n.name)}" transform="translate(${x.toFixed(1)},${y.toFixed(1)})">` +
      `<rect width="${NW}" height="${NH}" rx="3" fill="${l ? errorColor(t) : '#f4f4f4'}" stroke="${chosen.has(n.name) ? '#f9a825' : '#555'}" stroke-width="${chosen.has(n.name) ? 4 : 1}"/>` +
      `<rect width="${NW}" height="15" rx="3" fill="${COLOR[categoryOf(n.op)]}"/>` +
      (branch ? `<rect width="5" height="${NH}" fill="${branch}"/>` : '') +
      `<text x="8" y="11" font-size="10" fill="#fff">${esc(n.op)}</text>` +
      (l ? `<text x="${NW - 4}" y="11" font-size="9" fill="#fff" text-anchor="end">${Number.isFinite(l[mode]?.sqnr_db) ? l[mode].sqnr_db.toFixed(1) + ' dB' : ''}</text>` : '') +
      `<text x="8" y="30" font-size="9" fill="#222">${esc(short)}</text><title>${esc(n.name)}</title></g>`;
  }
  // Everything below is numbers (layout, formatted) or escaped names.
  el.innerHTML = `<svg width="${Number(width).toFixed(0)}" height="${Number(height).toFixed(0)}" data-testid="graph"><defs><marker id="arrow" viewBox="0 0 6 6" refX="6" refY="3" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L6,3 L0,6 z" fill="#888"/></marker></defs>${edges}${nodes}</svg>`;
  const handle = {
    scale: sc,
    select(name) {
      const node = el.querySelector(`[data-name="${CSS.escape(name)}"]`);
      if (!node) return false;
      el.querySelectorAll('.gnode.selected').forEach((x) => x.classList.remove('selected'));
      node.classList.add('selected');
      const p = g.node(name);
      el.scrollTo({ left: p.x - el.clientWidth / 2, top: p.y - el.clientHeight / 2 });
      onSelect(details(name, report, search));
      return true;
    },
    find(q) {
      const names = report.graph.map((n) => n.name);
      const hit = names.find((n) => n === q) || names.find((n) => n.includes(q));
      return hit && handle.select(hit) ? hit : null;
    },
  };
  el.onclick = (e) => { const n = e.target.closest('.gnode'); if (n) handle.select(n.dataset.name); };
  return handle;
}

// details is the side panel for one node.
function details(name, report, search) {
  const node = report.graph.find((n) => n.name === name);
  const l = report.layers.find((x) => x.name === name);
  const stats = (s) => (s ? `cosine ${s.cosine.toFixed(5)}, SQNR ${s.sqnr_db.toFixed(1)} dB, max |Δ| ${s.max_abs.toPrecision(3)}` : '–');
  let h = `<h3 data-testid="node-title">${esc(name)}</h3><p>${esc(node.op)} (${categoryOf(node.op) === 'none' ? 'no Netron category' : 'Netron category ' + categoryOf(node.op)})${l ? ', ' + esc(l.branch) + ' branch' : ''}</p>`;
  if (l) h += `<p>isolated: ${stats(l.isolated)}<br>cumulative: ${stats(l.cumulative)}</p>`;
  else h += '<p>Not measured by the report (no quantized output).</p>';
  const b = report.board?.[name];
  if (b) h += `<p data-testid="board-time">estimated board time: ${b.ms8.toFixed(3)} ms in 8-bit, ${b.ms16.toFixed(3)} ms in 16-bit (${esc(report.cost_source || '')})</p>`;
  for (const [key, title] of [['calib', 'calibration record (the simulated file)'], ['calib16', '16-bit record']]) {
    const files = report.records || {};
    if (!files[key]) continue;
    const r = files[key][name];
    h += `<div data-testid="record-${key}"><b>${title}</b>: ` + (r ? recordHTML(r) : 'none (this layer is not in the file)') + '</div>';
  }
  if (search) {
    const e = (search.evaluations || []).find((x) => x.layers.length === 1 && x.layers[0] === name);
    const keep = (search.layers || []).includes(name);
    h += `<p data-testid="search-ap">${e ? `search: keeping it alone in 16-bit gives AP ${e.ap.toFixed(3)} (${e.latency_ms.toFixed(2)} ms)` : 'search: not evaluated alone'}` +
      `${keep ? ' — <b>kept in 16-bit by the search\'s answer</b>' : ''}; target AP ${search.target_ap?.toFixed(3) ?? '–'}</p>`;
  }
  return h;
}

function recordHTML(r) {
  const f = (x) => `${esc(x.type)} scale ${x.scale.map((v) => v.toPrecision(5)).join(', ')} (step ${x.step.map((v) => v.toPrecision(4)).join(', ')}), offset ${esc(x.offset.join(', '))}`;
  const parts = [];
  if (r.calc) parts.push(`computes in ${esc(r.calc)}`);
  (r.inputs || []).forEach((x, i) => parts.push(`input ${i}: ${f(x)}`));
  if (r.weight) parts.push(`weights ${esc(r.weight.type)}, ${esc(r.weight.channels)} channel scales, step ${r.weight.min_step.toPrecision(3)}…${r.weight.max_step.toPrecision(3)}`);
  (r.outputs || []).forEach((x, i) => parts.push(`output ${i}: ${f(x)}`));
  return `<ul>${parts.map((p) => `<li>${p}</li>`).join('')}</ul>`;
}

// legendHTML explains the colours: the error scale in dB and the
// categories.
export function legendHTML(sc, mode) {
  const stops = [0, 0.5, 1].map((t) => errorColor(t)).join(',');
  const cats = Object.entries(COLOR).map(([k, c]) => `<span><i style="background:${c}"></i>${k === 'none' ? 'other' : k}</span>`).join('');
  return `<span>${mode} SQNR: ${sc.hi.toFixed(1)} dB</span><i class="scale" style="background:linear-gradient(90deg,${stops})"></i><span>${sc.lo.toFixed(1)} dB</span>` +
    `<span><i style="background:#e53935"></i>box branch</span><span><i style="background:#1e88e5"></i>class branch</span><span><i style="border:3px solid #f9a825"></i>search's 16-bit layers</span>${cats}`;
}
