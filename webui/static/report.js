// Evaluation views like Ultralytics' val, drawn from `nniescope eval
// --json` and `nniescope search --json`: the AP table, AP per class and
// variant, the precision-recall curves of all variants overlaid, a
// confusion matrix per variant, and the search's trade-off between AP and
// estimated board time. Pure functions from a report to HTML (inline SVG),
// so the page and the self-contained `eval --html` file show the same.
const COLORS = ['#e53935', '#1e88e5', '#43a047', '#fb8c00', '#8e24aa', '#00897b'];
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const f3 = (v) => (typeof v !== 'number' || v < 0 ? '–' : v.toFixed(3));
const nameOf = (r, c) => (r.names && c < r.names.length ? r.names[c] : String(c));

// renderEval is the whole evaluation report.
export function renderEval(r) {
  const s = r.settings || {};
  const head = `<p>${esc(r.model)} on ${esc(r.data)} (${esc(r.images)} images), placement ${esc(r.placement)}. ` +
    `As Ultralytics val: conf ${esc(s.conf ?? 0.001)}, NMS IoU ${esc(s.iou ?? 0.7)}, at most ${esc(s.max_det ?? 300)} detections per image; ` +
    `AP by pycocotools' method (101 recall points, IoU .50:.95); confusion matrix at conf ${esc(s.confusion_conf ?? 0.25)}, IoU ${esc(s.confusion_iou ?? 0.45)}.</p>`;
  const rows = r.variants.map((v, i) => `<tr><td style="text-align:left"><i class="sw" style="background:${COLORS[i % COLORS.length]}"></i>${esc(v.name)}</td><td data-testid="ap-${esc(v.name)}-all">${f3(v.ap)}</td><td>${f3(v.ap50)}</td><td>${f3(v.ap75)}</td><td>${v.box_shift_px == null ? '–' : v.box_shift_px.toFixed(2)}</td></tr>`);
  const summary = `<table data-testid="eval-table"><tr><th>variant</th><th>AP</th><th>AP50</th><th>AP75</th><th>box shift vs float (px)</th></tr>${rows.join('')}</table>`;
  return head + summary + classTable(r) + `<div class="plots">${prCurves(r)}${r.variants.map((v, i) => confusionMatrix(r, v, i)).join('')}</div>`;
}

// classTable: AP50-95 (and AP50) per class and variant, classes with
// ground truth, worst drop against the first variant first.
function classTable(r) {
  const vs = r.variants.filter((v) => v.classes && v.classes.length);
  if (!vs.length) return '';
  const base = vs[0].classes;
  const order = base.map((c, i) => i).filter((i) => base[i].ap >= 0)
    .sort((a, b) => (vs.at(-1).classes[a].ap - base[a].ap) - (vs.at(-1).classes[b].ap - base[b].ap));
  const cols = vs.map((v) => `<th>${esc(v.name)} AP</th><th>AP50</th>`).join('');
  const body = order.map((i) => `<tr><td style="text-align:left">${esc(nameOf(r, base[i].class_id))}</td><td>${esc(base[i].instances)}</td>` +
    vs.map((v) => `<td data-testid="class-ap-${esc(v.name)}-${esc(base[i].class_id)}">${f3(v.classes[i].ap)}</td><td data-testid="class-ap50-${esc(v.name)}-${esc(base[i].class_id)}">${f3(v.classes[i].ap50)}</td>`).join('') + '</tr>').join('');
  return `<h3>AP per class (largest drop in ${esc(vs.at(-1).name)} first)</h3><table data-testid="class-table"><tr><th>class</th><th>instances</th>${cols}</tr>${body}</table>`;
}

// prCurves: precision against recall at IoU .50, one line per variant.
function prCurves(r) {
  const W = 300, H = 220, L = 40, B = 30, T = 10, R = 10;
  const x = (rc) => L + rc * (W - L - R), y = (p) => T + (1 - p) * (H - T - B);
  let lines = '';
  r.variants.forEach((v, i) => {
    if (!v.pr50) return;
    const pts = v.pr50.map((p, k) => (p < 0 ? null : `${x(k / 100).toFixed(2)},${y(p).toFixed(2)}`)).filter(Boolean).join(' ');
    lines += `<polyline data-testid="pr-${esc(v.name)}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.5" points="${pts}"><title>${esc(v.name)}: AP50 ${f3(v.ap50)}</title></polyline>`;
  });
  const ticks = [0, 0.5, 1].map((t) => `<text x="${x(t)}" y="${H - B + 14}" font-size="10" text-anchor="middle">${t}</text><text x="${L - 4}" y="${y(t) + 3}" font-size="10" text-anchor="end">${t}</text>`).join('');
  const legend = r.variants.map((v, i) => `<tspan fill="${COLORS[i % COLORS.length]}">■ ${esc(v.name)} ${f3(v.ap50)} </tspan>`).join('');
  return `<figure><svg width="${W}" height="${H + 14}" data-testid="pr-curves" data-x0="${L}" data-x1="${W - R}" data-y0="${T}" data-y1="${H - B}">` +
    `<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#999"/>${ticks}${lines}` +
    `<text x="${(L + W - R) / 2}" y="${H - 2}" font-size="10" text-anchor="middle">recall</text><text x="10" y="${T + (H - T - B) / 2}" font-size="10" transform="rotate(-90 10 ${T + (H - T - B) / 2})" text-anchor="middle">precision</text>` +
    `<text x="${L}" y="${H + 12}" font-size="10">${legend}</text></svg><figcaption>Precision-recall at IoU .50 (mean over classes; legend: AP50)</figcaption></figure>`;
}

// confusionMatrix: counts [predicted][true] with background last, each
// true-class column shaded by its share (Ultralytics normalises columns).
function confusionMatrix(r, v, vi) {
  const m = v.confusion;
  if (!m || !m.length) return '';
  const n = m.length, cell = Math.max(12, Math.min(28, Math.floor(320 / n))), L = 70, T = 80;
  const label = (k) => (k === n - 1 ? 'background' : nameOf(r, k));
  const colSum = m[0].map((_, j) => m.reduce((s, row) => s + row[j], 0));
  let cells = '';
  for (let p = 0; p < n; p++) {
    for (let t = 0; t < n; t++) {
      const c = m[p][t], a = colSum[t] ? c / colSum[t] : 0;
      cells += `<rect x="${L + t * cell}" y="${T + p * cell}" width="${cell}" height="${cell}" fill="rgba(21,101,192,${(0.08 + 0.9 * a).toFixed(3)})" stroke="#fff"/>`;
      if (c && cell >= 16) cells += `<text x="${L + t * cell + cell / 2}" y="${T + p * cell + cell / 2 + 3}" font-size="9" text-anchor="middle" fill="${a > 0.5 ? '#fff' : '#000'}" data-testid="cm-${esc(v.name)}-${p}-${t}">${esc(c)}</text>`;
    }
  }
  const show = n <= 24; // axis names only where they fit
  const axes = show ? Array.from({ length: n }, (_, k) =>
    `<text x="${L - 3}" y="${T + k * cell + cell / 2 + 3}" font-size="9" text-anchor="end">${esc(label(k))}</text>` +
    `<text x="${L + k * cell + cell / 2}" y="${T - 3}" font-size="9" transform="rotate(-60 ${L + k * cell + cell / 2} ${T - 3})">${esc(label(k))}</text>`).join('') : '';
  const W = Math.max(L + n * cell + 60, 260), H = T + n * cell + 24;
  return `<figure><svg width="${W}" height="${H}" data-testid="cm-${esc(v.name)}" data-counts="${esc(JSON.stringify(m))}">${cells}${axes}` +
    `<text x="${L + n * cell / 2}" y="${H - 6}" font-size="10" text-anchor="middle">true class (columns) · predicted (rows)</text></svg>` +
    `<figcaption><span style="color:${COLORS[vi % COLORS.length]}">${esc(v.name)}</span>: confusion matrix (counts; shade = share of the true class)</figcaption></figure>`;
}

// renderSearch: every layer set the search evaluated, AP against the
// estimated board time, the target AP as a line, its answer ringed.
export function renderSearch(s) {
  const ev = s.evaluations || [];
  if (!ev.length) return '<p>The search evaluated no layer set.</p>';
  const W = 420, H = 260, L = 50, B = 34, T = 10, R = 14;
  const ms = ev.map((e) => e.latency_ms), aps = ev.map((e) => e.ap).concat([s.target_ap, s.reference_ap].filter((v) => v != null));
  const x0 = Math.min(...ms), x1 = Math.max(...ms) || 1, y0 = Math.min(...aps), y1 = Math.max(...aps);
  const x = (v) => L + (x1 > x0 ? (v - x0) / (x1 - x0) : 0.5) * (W - L - R), y = (v) => T + (y1 > y0 ? (1 - (v - y0) / (y1 - y0)) : 0.5) * (H - T - B);
  const chosen = (e) => e.layers.join('|') === (s.layers || []).join('|');
  const dots = ev.map((e) => `<circle data-testid="search-point" data-ap="${esc(e.ap)}" data-ms="${esc(e.latency_ms)}" cx="${x(e.latency_ms).toFixed(1)}" cy="${y(e.ap).toFixed(1)}" r="${chosen(e) ? 6 : 3.5}" fill="${chosen(e) ? 'none' : '#1e88e5'}" stroke="${chosen(e) ? '#e53935' : 'none'}" stroke-width="2"><title>${esc(e.layers.length ? e.layers.join(', ') : 'all 8-bit')}: AP ${f3(e.ap)}, ${e.latency_ms.toFixed(2)} ms</title></circle>`).join('');
  const target = s.target_ap != null ? `<line x1="${L}" x2="${W - R}" y1="${y(s.target_ap)}" y2="${y(s.target_ap)}" stroke="#43a047" stroke-dasharray="4 3"/><text x="${W - R}" y="${y(s.target_ap) - 3}" font-size="10" text-anchor="end" fill="#43a047">target ${f3(s.target_ap)}</text>` : '';
  const ticks = `<text x="${L}" y="${H - B + 14}" font-size="10">${x0.toFixed(2)}</text><text x="${W - R}" y="${H - B + 14}" font-size="10" text-anchor="end">${x1.toFixed(2)}</text>` +
    `<text x="${L - 4}" y="${T + 8}" font-size="10" text-anchor="end">${y1.toFixed(3)}</text><text x="${L - 4}" y="${H - B}" font-size="10" text-anchor="end">${y0.toFixed(3)}</text>`;
  const answer = (s.layers || []).length ? `kept in 16-bit: ${s.layers.map(esc).join(', ')}` : 'no layer kept in 16-bit';
  return `<figure><svg width="${W}" height="${H}" data-testid="search-curve"><rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#999"/>${ticks}${target}${dots}` +
    `<text x="${(L + W - R) / 2}" y="${H - 4}" font-size="10" text-anchor="middle">estimated board time (ms)</text><text x="12" y="${T + (H - T - B) / 2}" font-size="10" transform="rotate(-90 12 ${T + (H - T - B) / 2})" text-anchor="middle">AP</text></svg>` +
    `<figcaption>Search: ${ev.length} layer sets evaluated; ${s.reached ? 'reached' : 'did not reach'} the target; ringed: ${answer} (AP ${f3(s.ap)}, ${(s.latency_ms ?? 0).toFixed(2)} ms)</figcaption></figure>`;
}
