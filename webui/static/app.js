// nniescope inspection page: frames from the board's /ws (or a recording
// file), one panel per variant, boxes re-decoded in the page by the shared
// WebAssembly module whenever a threshold moves, and a box diff against a
// reference variant computed by the same module. No decoding logic here.
import { loadPostProcess } from '/wasm.js';
import { renderEval, renderSearch } from '/report.js';
import { renderGraph, legendHTML } from '/graph.js';

const $ = (id) => document.getElementById(id);
const KEEP = 50; // frames kept for stepping back
const COLORS = ['#e53935', '#1e88e5', '#43a047', '#fb8c00', '#8e24aa', '#00897b'];
const MISSED = '#ffeb3b', EXTRA = '#ff00ff';
// All the page's state: frames, what is shown, and the user's choices
// (reference, thresholds, heat map, zoom), which frames never reset.
const state = { frames: [], index: -1, paused: false, variants: [], view: { zoom: 1, x: 0, y: 0 }, current: null, info: null, ref: '', ap: {}, rec: null };
window.nniescope = state; // read by the browser tests

const pp = await loadPostProcess('/nniescope.wasm').catch((e) => fail('post-process module: ' + e.message));
// The token may come in the page's URL once (?token=T); it moves to this
// tab's session storage and out of the address bar, the history and any
// Referer. The API gets it as a Bearer header; the WebSocket, which cannot
// set headers, offers it as a subprotocol ("nniescope.token." + base64url)
// beside "nniescope": never in a URL, where logs would keep it.
const TOKEN_KEY = 'nniescope-token';
{
  const q = new URLSearchParams(location.search);
  if (q.has('token')) {
    sessionStorage.setItem(TOKEN_KEY, q.get('token'));
    q.delete('token');
    history.replaceState(null, '', location.pathname + (q.size ? '?' + q : '') + location.hash);
  }
}
const token = sessionStorage.getItem(TOKEN_KEY) || '';
const b64url = (t) => btoa(String.fromCharCode(...new TextEncoder().encode(t))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const wsProtocols = token ? ['nniescope', 'nniescope.token.' + b64url(token)] : ['nniescope'];
const apiHeaders = token ? { Authorization: 'Bearer ' + token } : {};

function fail(msg) { $('error').hidden = false; $('error').textContent = msg; }

// Wire messages (docs/WIRE.md, v1 and v2): the page reads only the header,
// the image payload and error texts; results go to the module as they are.
const view = (b) => new DataView(b.buffer, b.byteOffset, b.byteLength);
function versionOf(b) { return view(b).getUint16(4, true); }
function kindOf(b) { return view(b).getUint16(6, true); }
function seqOf(b) { return Number(view(b).getBigUint64(8, true)); }
// v2: u16 index and u16 count of the frame's messages, u32 loop, string source.
function countOf(b) { return versionOf(b) >= 2 ? view(b).getUint16(34, true) : 0; }
function headerLen(b) { return versionOf(b) >= 2 ? 42 + view(b).getUint16(40, true) : 32; }
function sourceOf(b) { return versionOf(b) >= 2 ? new TextDecoder().decode(b.subarray(42, headerLen(b))) : ''; }
function imageOf(b) {
  const v = view(b), o = headerLen(b);
  const ml = v.getUint16(o, true), len = v.getUint32(o + 2 + ml, true);
  return new Blob([b.subarray(o + 6 + ml, o + 6 + ml + len)], { type: new TextDecoder().decode(b.subarray(o + 2, o + 2 + ml)) });
}

// errorOf reads a kind-3 message: the frame's source, whether the engine
// stopped, and the text (docs/WIRE.md).
function errorOf(b) {
  const o = headerLen(b), tl = view(b).getUint16(o + 1, true);
  return { source: sourceOf(b), fatal: b[o] === 1, text: new TextDecoder().decode(b.subarray(o + 3, o + 3 + tl)) };
}

function addMessage(b) {
  if (b.length < 32 || String.fromCharCode(...b.subarray(0, 4)) !== 'NSW1') throw new Error('not a nniescope stream message');
  const kind = kindOf(b);
  if (kind === 3) {
    const e = errorOf(b);
    state.lastError = e;
    fail(e.fatal ? `the board's engine stopped: ${e.text}` : `frame ${seqOf(b)}${e.source ? ' (' + e.source + ')' : ''} skipped: ${e.text}`);
    return;
  }
  if (kind !== 1 && kind !== 2) { fail(`message of unknown kind ${kind}: this page is older than the board`); return; }
  const seq = seqOf(b);
  let f = state.frames.find((x) => x.seq === seq);
  if (!f) {
    f = { seq, results: [], image: null, got: 0, count: 0, source: sourceOf(b) };
    state.frames.push(f);
    if (state.frames.length > KEEP) state.frames.shift();
  }
  f.got++;
  f.count = Math.max(f.count, countOf(b));
  if (kind === 2) createImageBitmap(imageOf(b)).then((bm) => { f.image = bm; follow(); });
  else f.results.push(b);
  follow();
}

// complete: a frame whose messages all came (v2 counts them; a v1 frame
// needs its picture and a result per known variant). Live, the page shows
// the newest complete frame, so it never draws a partial set of panels.
function complete(f) {
  if (!f.image) return false;
  return f.count ? f.got >= f.count : f.results.length >= Math.max(1, state.variants.length);
}
function follow() {
  if (state.paused) return;
  for (let i = state.frames.length - 1; i >= 0; i--) {
    if (complete(state.frames[i])) {
      if (i !== state.index || state.frames[i] !== state.current?.frame) { state.index = i; schedule(); }
      return;
    }
  }
}
const label = (id) => { const n = state.info?.names; return n && id >= 0 && id < n.length ? n[id] : String(id); };

const shown = () => state.frames[state.index];
let pending = false;
function schedule() { if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; render(); }); } }

function params() { return { score: +$('score').value, iou: +$('iou').value }; }

// render decodes the shown frame's results with the current thresholds.
function render() {
  const f = shown();
  if (!f || !pp) return;
  const cur = { frame: f, seq: f.seq, dets: {}, msgs: {}, src: null, letterbox: null };
  for (const msg of f.results) {
    const { json, status } = pp.decodeWire(msg, params());
    const r = JSON.parse(json);
    if (status !== 0) { fail(`frame ${f.seq}: ${r.error}`); continue; }
    cur.dets[r.variant] = r.detections;
    cur.msgs[r.variant] = msg;
    cur.src = r.src;
    cur.letterbox = r.letterbox;
  }
  state.current = cur;
  $('diff').hidden = false;
  // Panels only ever grow: a frame without some variant's result keeps
  // that panel (saying so) instead of redrawing the page without it.
  const names = [...state.variants];
  for (const n of Object.keys(cur.dets)) if (!names.includes(n)) names.push(n);
  if (names.join() !== state.variants.join()) setVariants(names);
  // The diff and heat maps of this frame first: the panels draw from them.
  renderDiff(cur);
  for (const name of names) draw(name, f.image, cur);
  showHeatScale();
  // A frame is complete when all its messages came (v2 says how many); one
  // that a newer frame overtook stays incomplete and says so.
  const newest = state.frames[state.frames.length - 1] === f;
  f.incomplete = f.count > 0 && f.got < f.count && !newest;
  $('frameInfo').textContent = `frame ${f.seq}${f.source ? ' ' + f.source : ''} (${state.index + 1}/${state.frames.length})` +
    (f.incomplete ? ` — incomplete: ${f.got} of ${f.count} messages` : '');
  $('frameInfo').className = f.incomplete ? 'incomplete' : '';
  $('scrub').max = state.frames.length - 1;
  $('scrub').value = state.index;
}

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const colorOf = (name) => COLORS[Math.max(0, state.variants.indexOf(name)) % COLORS.length];

function setVariants(names) {
  state.variants = names;
  if (!names.includes(state.ref)) state.ref = names[0] || '';
  $('ref').innerHTML = names.map((n) => `<option${n === state.ref ? ' selected' : ''}>${esc(n)}</option>`).join('');
  for (const [i, n] of names.entries()) {
    if (document.querySelector(`[data-testid="canvas-${CSS.escape(n)}"]`)) continue; // panels stay: only new ones are added
    const p = document.createElement('div');
    p.className = 'panel';
    p.dataset.variant = n;
    p.innerHTML = `<h3><span style="color:${COLORS[i % COLORS.length]}">${esc(n)}</span><span><span data-testid="count-${esc(n)}">0</span> boxes · AP <span data-testid="ap-${esc(n)}">${fmtAP(state.ap[n])}</span></span></h3><canvas data-testid="canvas-${esc(n)}"></canvas>`;
    $('panels').append(p);
    attachView(p.querySelector('canvas'));
  }
  $('legend').innerHTML = names.map((n, i) => `<span><i style="border-color:${COLORS[i % COLORS.length]}"></i>${esc(n)}</span>`).join('') +
    `<span><i style="border-color:${MISSED};border-style:dotted"></i>missed: a reference box this variant has no match for (IoU ≥ 0.5)</span>` +
    `<span><i style="border-color:${EXTRA};border-style:dashed"></i>extra: a box with no match in the reference</span>`;
}
const fmtAP = (v) => (v == null ? '–' : v.toFixed(3));

// textOn picks black or white text for a chip of colour c (#rrggbb).
function textOn(c) {
  const v = parseInt(c.slice(1), 16), l = 0.299 * (v >> 16) + 0.587 * ((v >> 8) & 255) + 0.114 * (v & 255);
  return l > 150 ? '#000' : '#fff';
}

// drawBoxes strokes each box over a dark halo (visible on any picture),
// then labels them with chips of the box's colour outside the box, above
// it (inside at the picture's top edge), moved down past chips already
// placed so labels never overlap.
// k is canvas pixels per screen pixel: lines and labels keep their size
// on screen at any picture size and zoom.
function drawBoxes(g, dets, color, extra, k, w) {
  const rect = (d) => g.strokeRect(d.box[0], d.box[1], d.box[2] - d.box[0], d.box[3] - d.box[1]);
  dets.forEach((d, i) => {
    g.setLineDash(extra.has(i) ? [6 * k, 4 * k] : []);
    g.lineWidth = 4 * k; g.strokeStyle = 'rgba(0,0,0,0.65)'; rect(d);
    g.lineWidth = 2 * k; g.strokeStyle = extra.has(i) ? EXTRA : color; rect(d);
  });
  g.setLineDash([]);
  const fs = 12 * k, pad = 2 * k, h = fs + 2 * pad, placed = [];
  g.font = `${fs}px system-ui`; g.textBaseline = 'top';
  const hits = (r) => placed.some((p) => r.x < p.x + p.w && p.x < r.x + r.w && r.y < p.y + p.h && p.y < r.y + r.h);
  dets.forEach((d, i) => {
    const text = `${label(d.class_id)} ${d.score.toFixed(2)}`;
    const r = { x: Math.max(0, Math.min(d.box[0], w - g.measureText(text).width - 2 * pad)), y: d.box[1] - h, w: g.measureText(text).width + 2 * pad, h };
    if (r.y < 0) r.y = d.box[1];
    for (let k = 0; k < 50 && hits(r); k++) r.y += h;
    placed.push(r);
    const c = extra.has(i) ? EXTRA : color;
    g.fillStyle = c; g.fillRect(r.x, r.y, r.w, r.h);
    g.fillStyle = textOn(c); g.fillText(text, r.x + pad, r.y + pad);
  });
}

function draw(name, image, cur) {
  const c = document.querySelector(`[data-testid="canvas-${CSS.escape(name)}"]`);
  const [w, h] = cur.src || [image?.width || 640, image?.height || 480];
  if (c.width !== w || c.height !== h) { c.width = w; c.height = h; }
  const g = c.getContext('2d');
  const { zoom, x, y } = state.view;
  g.setTransform(1, 0, 0, 1, 0, 0);
  g.fillStyle = '#777'; g.fillRect(0, 0, w, h);
  g.setTransform(zoom, 0, 0, zoom, x, y);
  if (image) g.drawImage(image, 0, 0, w, h);
  const dets = cur.dets[name] || [];
  const diff = state.diff?.[name];
  const heat = state.heat?.[name];
  if (heat && $('heat').value && cur.letterbox) drawHeat(g, heat, cur, zoom);
  if (diff) { // reference boxes this variant missed, under its own
    g.lineWidth = 2 / zoom; g.strokeStyle = MISSED; g.setLineDash([2 / zoom, 3 / zoom]);
    for (const i of diff.missed) { const b = diff.refDets[i].box; g.strokeRect(b[0], b[1], b[2] - b[0], b[3] - b[1]); }
  }
  const k = w / (c.getBoundingClientRect().width || w) / zoom;
  drawBoxes(g, dets, colorOf(name), new Set(diff ? diff.extra : []), k, w);
  if (!cur.dets[name]) { g.setTransform(1, 0, 0, 1, 0, 0); g.fillStyle = '#fff'; g.font = '14px system-ui'; g.fillText('no result from this variant in this frame', 8, 8); }
  // The boxes in words, for screen readers (and the tests).
  c.setAttribute('aria-label', `${name}: ${dets.length} boxes` + (dets.length ? ': ' + dets.map((d) => `${label(d.class_id)} ${d.score.toFixed(2)}`).join(', ') : ''));
  document.querySelector(`[data-testid="count-${CSS.escape(name)}"]`).textContent = dets.length;
}

// drawHeat paints the chosen branch's per-anchor error at one stride over
// the image: cells in model-input pixels, mapped back through the letterbox.
function drawHeat(g, heat, cur, zoom) {
  const level = heat.levels.find((l) => l.stride === +$('stride').value) || heat.levels[0];
  const vals = level[$('heat').value];
  const top = Math.max(...vals) || 1;
  const [scale, padL, padT] = cur.letterbox;
  const s = level.stride / scale;
  g.setLineDash([]);
  for (let y = 0; y < level.h; y++) {
    for (let x = 0; x < level.w; x++) {
      const a = vals[y * level.w + x] / top;
      if (a < 0.05) continue;
      g.fillStyle = heatColor(a);
      g.fillRect((x * level.stride - padL) / scale, (y * level.stride - padT) / scale, s, s);
    }
  }
  state.heatScale = { top, stride: level.stride, branch: $('heat').value };
}

// heatColor: blue (small) through green and yellow to red (the level's
// largest error); cells under 5% of it are left clear so the picture
// shows, and the faintest shown are still visible.
const heatColor = (a) => `hsla(${(240 * (1 - a)).toFixed(0)},100%,50%,${(0.12 + 0.55 * a).toFixed(3)})`;

function showHeatScale() {
  const h = state.heatScale;
  if (!$('heat').value || !h) { $('heatScale').hidden = true; return; }
  $('heatScale').hidden = false;
  const stops = [0, 0.25, 0.5, 0.75, 1].map((a) => heatColor(a)).join(',');
  $('heatScale').innerHTML = `<span>${h.branch === 'box' ? 'box' : 'class'} branch |Δ|, stride ${Number(h.stride)}: 0</span><i style="background:linear-gradient(90deg,${stops})"></i><span data-testid="heat-max">${Number(h.top).toPrecision(3)}</span>`;
}

// drawHists: one histogram per tensor of (variant − reference), bins over
// ± the largest |Δ|, counts on a log scale; axes labelled.
function drawHists(name, heat) {
  return heat.hists.map((h) => {
    const top = Math.max(...h.counts), W = h.counts.length * 4, H = 48, L = 46, B = 14;
    const y = (c) => (H * Math.log1p(c)) / Math.log1p(top);
    const bars = h.counts.map((c, i) => `<rect x="${L + i * 4}" y="${H - y(c)}" width="3" height="${y(c)}" fill="${i === (h.counts.length >> 1) ? '#90a4ae' : '#e53935'}"/>`).join('');
    const lim = h.limit.toPrecision(2);
    const axes = `<line x1="${L}" y1="${H}" x2="${L + W}" y2="${H}" stroke="#555"/><line x1="${L}" y1="0" x2="${L}" y2="${H}" stroke="#555"/>` +
      `<text x="${L}" y="${H + 11}" font-size="9">−${lim}</text><text x="${L + W / 2}" y="${H + 11}" font-size="9" text-anchor="middle">0</text><text x="${L + W}" y="${H + 11}" font-size="9" text-anchor="end">+${lim}</text>` +
      `<text x="${L - 3}" y="9" font-size="9" text-anchor="end">${top}</text><text x="${L - 3}" y="${H}" font-size="9" text-anchor="end">0</text>`;
    return `<figure class="hist"><svg width="${L + W + 4}" height="${H + B}" data-testid="hist">${axes}${bars}</svg><figcaption>${esc(name)}: ${esc(h.name)}, Δ vs reference (x), tensor values per bin (y, log scale)</figcaption></figure>`;
  }).join('');
}

// renderDiff matches each variant's boxes to the reference's in the module.
function renderDiff(cur) {
  const refName = state.variants.includes(state.ref) ? state.ref : state.variants[0];
  const ref = cur.dets[refName];
  state.diff = {};
  state.heat = {};
  const rows = [];
  let hists = '';
  const details = [];
  for (const name of state.variants) {
    if (name === refName || !ref || !cur.dets[name]) continue;
    const { json, status } = pp.diff(ref, cur.dets[name], 0.5);
    if (status !== 0) { fail(JSON.parse(json).error); continue; }
    const d = JSON.parse(json);
    d.refDets = ref;
    state.diff[name] = d;
    const h = pp.compare(cur.msgs[refName], cur.msgs[name]);
    if (h.status === 0) {
      state.heat[name] = JSON.parse(h.json);
      hists += drawHists(name, state.heat[name]);
    }
    const meanIoU = d.matched.length ? d.matched.reduce((s, m) => s + m.iou, 0) / d.matched.length : 0;
    const en = esc(name);
    rows.push(`<tr><td>${en}</td><td data-testid="matched-${en}">${d.matched.length}</td><td data-testid="missed-${en}">${d.missed.length}</td><td data-testid="extra-${en}">${d.extra.length}</td><td>${meanIoU.toFixed(3)}</td></tr>`);
    // Box by box: the worst-placed matches first, then what is missing.
    const other = cur.dets[name];
    const where = (x) => `${esc(label(x.class_id))} @ ${x.box.map((v) => v.toFixed(0)).join(',')}`;
    const pairs = [...d.matched].sort((a, b) => a.iou - b.iou).slice(0, 8)
      .map((m) => `<tr><td>${en}</td><td>matched</td><td style="text-align:left">${where(ref[m.ref])}</td><td>IoU ${m.iou.toFixed(3)}</td><td>Δscore ${m.score_delta >= 0 ? '+' : ''}${m.score_delta.toFixed(3)}</td></tr>`)
      .concat(d.missed.map((i) => `<tr><td>${en}</td><td>missed</td><td style="text-align:left">${where(ref[i])}</td><td></td><td>score ${ref[i].score.toFixed(3)}</td></tr>`))
      .concat(d.extra.map((i) => `<tr><td>${en}</td><td>extra</td><td style="text-align:left">${where(other[i])}</td><td></td><td>score ${other[i].score.toFixed(3)}</td></tr>`));
    details.push(...pairs);
  }
  $('diffBody').innerHTML = rows.length
    ? `<table><tr><th>vs ${esc(refName)}</th><th>matched</th><th>missed (yellow)</th><th>extra (dashed)</th><th>mean IoU</th></tr>${rows.join('')}</table>`
    : 'Only one variant: nothing to compare.';
  $('hists').innerHTML = (details.length ? `<table>${details.join('')}</table>` : '') + hists;
}

// One zoom/pan for every panel: they show the same frame.
function attachView(c) {
  c.addEventListener('wheel', (e) => {
    e.preventDefault();
    const k = e.deltaY < 0 ? 1.2 : 1 / 1.2;
    const r = c.getBoundingClientRect(), s = c.width / r.width;
    const px = (e.clientX - r.left) * s, py = (e.clientY - r.top) * s;
    const v = state.view;
    v.x = px - (px - v.x) * k; v.y = py - (py - v.y) * k; v.zoom *= k;
    schedule();
  });
  let drag = null;
  c.addEventListener('mousedown', (e) => { drag = { x: e.clientX, y: e.clientY }; });
  addEventListener('mouseup', () => { drag = null; });
  c.addEventListener('mousemove', (e) => {
    if (!drag) return;
    const s = c.width / c.getBoundingClientRect().width;
    state.view.x += (e.clientX - drag.x) * s; state.view.y += (e.clientY - drag.y) * s;
    drag = { x: e.clientX, y: e.clientY };
    schedule();
  });
  c.addEventListener('dblclick', () => { state.view = { zoom: 1, x: 0, y: 0 }; schedule(); });
}

// Live stream with reconnection backoff.
let backoff = 500;
function connect() {
  if (state.replaying || offline()) return;
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`, wsProtocols);
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => { backoff = 500; $('conn').textContent = 'live'; $('conn').className = 'live'; };
  ws.onmessage = (e) => { try { addMessage(new Uint8Array(e.data)); } catch (err) { fail(err.message); } };
  ws.onclose = () => {
    if (state.replaying) return;
    $('conn').textContent = `disconnected, retrying in ${(backoff / 1000).toFixed(1)} s`; $('conn').className = 'down';
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 10000);
  };
}

// offline: the page is served by `nniescope serve`, with no board behind
// it: there is no stream to connect to.
function offline() { return state.info && state.info.engine === 'offline'; }

async function pollInfo() {
  try {
    const r = await fetch('/api/info', { headers: apiHeaders });
    if (r.status === 401) {
      const t = prompt('This board needs its token');
      if (t) { sessionStorage.setItem(TOKEN_KEY, t); location.reload(); }
      return;
    }
    state.info = await r.json();
    if (offline()) {
      if (!state.replaying) { $('conn').textContent = 'offline: open a recording or a report'; $('conn').className = 'offline'; }
      return; // nothing changes without a board
    }
    for (const v of state.info.variants || []) {
      if (v.ap != null) state.ap[v.name] = v.ap; // once known, kept
      const el = document.querySelector(`[data-testid="ap-${CSS.escape(v.name)}"]`);
      if (el) el.textContent = fmtAP(state.ap[v.name]);
    }
    const m = await fetch('/metrics', { headers: apiHeaders }).then((r) => (r.ok ? r.json() : null)).catch(() => null);
    state.rec = m?.recording || null;
    showRecording();
  } catch { /* the stream state shows the outage */ }
  setTimeout(pollInfo, 2000);
}

const mb = (n) => (n / 1e6).toFixed(n < 1e7 ? 2 : 1) + ' MB';
// showRecording: the board's recording (size as it grows, and its cap),
// or the size of a recording being replayed.
function showRecording() {
  const r = state.rec, el = $('rec');
  if (state.replayFile) { el.hidden = false; el.textContent = `recording ${state.replayFile.name}: ${mb(state.replayFile.size)}, ${state.frames.length} frames`; return; }
  if (!r) { el.hidden = true; return; }
  el.hidden = false;
  el.textContent = r.active ? `recording ${r.path.split('/').pop()}: ${mb(r.bytes)}${r.max_bytes ? ' of ' + mb(r.max_bytes) : ''}` : `not recording${r.bytes ? ' (last: ' + mb(r.bytes) + ')' : ''}`;
  el.className = r.active ? 'on' : '';
}

// Replay: a recording file's messages (u32 length + message, then index).
async function openRecording(file) {
  const b = new Uint8Array(await file.arrayBuffer());
  const v = new DataView(b.buffer);
  const msgs = [];
  for (let o = 0; o + 4 <= b.length;) {
    const n = v.getUint32(o, true);
    if (String.fromCharCode(...b.subarray(o, o + 4)) === 'NSWI') break;
    if (n < 32 || o + 4 + n > b.length || String.fromCharCode(...b.subarray(o + 4, o + 8)) !== 'NSW1') {
      fail(`${file.name}: not a nniescope recording, or corrupt at byte ${o}`);
      return;
    }
    msgs.push(b.subarray(o + 4, o + 4 + n));
    o += 4 + n;
  }
  if (!msgs.length) { fail(`${file.name}: no messages`); return; }
  state.replaying = true;
  state.replayFile = { name: file.name, size: b.length };
  state.frames = []; state.paused = true;
  $('conn').textContent = `replay ${file.name}`; $('conn').className = 'replay';
  for (const m of msgs) addMessage(m);
  state.index = 0; render();
  showRecording();
}

// A report file: `nniescope layers --json` (per-layer errors) or
// `nniescope eval --json` (the AP table); both show below the panels.
async function openLayers(file) {
  try {
    const r = JSON.parse(await file.text());
    if (r.variants) { showEval(r); return; }
    if (r.evaluations) {
      state.searchReport = r;
      $('searchBody').innerHTML = renderSearch(r);
      $('searchSec').hidden = false;
      if (state.layersReport) showLayers(); // mark its answer in the graph and the table
      return;
    }
    if (!Array.isArray(r.layers)) throw new Error('no layers, variants or evaluations');
    state.layersReport = r;
    showLayers();
  } catch (e) { fail(`${file.name}: not a layers, eval or search report (${e.message})`); }
}

// showLayers draws a layers report: the graph (when the report has it)
// and the table — the search's 16-bit layers first when a search report
// is loaded, then in the report's order (the decoded-box damage, or the
// worst isolated SQNR for older reports); the bars show SQNR, scaled over
// the report's range.
function showLayers() {
  const r = state.layersReport, s = state.searchReport;
  const chosen = new Set(s?.layers || []);
  const ordered = [...r.layers.filter((l) => chosen.has(l.name)), ...r.layers.filter((l) => !chosen.has(l.name))];
  const v = r.layers.map((l) => l.isolated.sqnr_db).filter(Number.isFinite);
  const hi = Math.max(...v), lo = Math.min(...v);
  const rows = ordered.slice(0, 40).map((l) => {
    const t = Number.isFinite(l.isolated.sqnr_db) ? (hi - l.isolated.sqnr_db) / (hi - lo || 1) : 0;
    const dmg = typeof l.damage === 'number' ? l.damage.toFixed(4) : '–';
    return `<tr${chosen.has(l.name) ? ' class="chosen"' : ''}><td style="text-align:left">${esc(l.name)}${chosen.has(l.name) ? ' <b>(16-bit in the search\'s answer)</b>' : ''}</td><td>${esc(l.op)}</td><td>${esc(l.branch)}</td><td data-testid="damage">${dmg}</td><td>${l.isolated.sqnr_db.toFixed(1)}</td><td>${l.cumulative.sqnr_db.toFixed(1)}</td><td>${l.isolated.max_abs.toPrecision(3)}</td><td style="text-align:left"><span class="bar ${l.branch === 'box' ? 'box' : ''}" style="width:${Math.max(2, 300 * t).toFixed(0)}px"></span></td></tr>`;
  });
  const order = r.ranking === 'damage' ? 'most decoded-box damage first (each layer alone: the search\'s proxy)' : 'worst isolated SQNR first';
  showReport(`Per-layer error (nniescope layers)${chosen.size ? ': the search\'s 16-bit layers, then' : ':'} ${order}`,
    `<table data-testid="layers-table"><tr><th>layer</th><th>op</th><th>branch</th><th>box damage</th><th>isolated dB</th><th>cumulative dB</th><th>isolated max abs</th><th>worse → (box path red)</th></tr>${rows.join('')}</table>`);
  if (!r.graph) return;
  $('graphSec').hidden = false;
  const el = $('graph');
  el.dataset.mode = $('gmode').value;
  state.graph = renderGraph(el, r, s, (html) => { $('gdetails').innerHTML = html; });
  $('glegend').innerHTML = legendHTML(state.graph.scale, $('gmode').value);
}

function showEval(r) { showReport('Accuracy (nniescope eval)', renderEval(r)); }

function showReport(title, html) {
  $('layersBody').innerHTML = html;
  $('layers').querySelector('h2').textContent = title;
  $('layers').hidden = false;
}

$('score').oninput = () => { $('scoreV').textContent = (+$('score').value).toFixed(2); render(); };
$('iou').oninput = () => { $('iouV').textContent = (+$('iou').value).toFixed(2); render(); };
$('ref').onchange = () => { state.ref = $('ref').value; render(); };
$('heat').onchange = render;
$('stride').onchange = render;
const step = (d) => { state.paused = true; $('pause').textContent = 'play'; state.index = Math.max(0, Math.min(state.frames.length - 1, state.index + d)); render(); };
$('pause').onclick = () => { state.paused = !state.paused; $('pause').textContent = state.paused ? 'play' : 'pause'; if (!state.paused) { state.index = state.frames.length - 1; render(); } };
$('prev').onclick = () => step(-1);
$('scrub').oninput = () => step(+$('scrub').value - state.index);
$('next').onclick = () => step(1);
addEventListener('keydown', (e) => {
  if (e.target.tagName === 'INPUT') return;
  if (e.key === ' ') { e.preventDefault(); $('pause').click(); }
  if (e.key === 'ArrowLeft') step(-1);
  if (e.key === 'ArrowRight') step(1);
});
$('gfind').onchange = () => { if (state.graph && !state.graph.find($('gfind').value.trim())) fail(`no node named like ${$('gfind').value}`); };
$('gmode').onchange = () => state.layersReport && showLayers();
$('recFile').onchange = (e) => e.target.files[0] && openRecording(e.target.files[0]);
$('layersFile').onchange = (e) => e.target.files[0] && openLayers(e.target.files[0]);
addEventListener('dragover', (e) => e.preventDefault());
addEventListener('drop', (e) => {
  e.preventDefault();
  const f = e.dataTransfer.files[0];
  if (f) (f.name.endsWith('.json') ? openLayers(f) : openRecording(f));
});

// What serves the page decides whether there is a stream to connect to.
pollInfo().then(() => { connect(); state.started = true; });
