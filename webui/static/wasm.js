// Loads the post-process module (wasm/, a Go wasip1 reactor) in the browser.
// Go's runtime imports a handful of WASI functions; the ones a decode can
// reach are served here, every other import answers ENOSYS. The decoding
// itself is all in the module: this file only moves bytes.
const ENOSYS = 52; // returned for every WASI call a decode cannot reach
const ABI = 1;

export async function loadPostProcess(url) {
  let memory;
  const view = () => new DataView(memory.buffer);
  const decoder = new TextDecoder();
  const wasi = {
    fd_write(fd, iovs, iovsLen, nwritten) {
      let n = 0;
      for (let i = 0; i < iovsLen; i++) {
        const ptr = view().getUint32(iovs + 8 * i, true);
        const len = view().getUint32(iovs + 8 * i + 4, true);
        const text = decoder.decode(new Uint8Array(memory.buffer, ptr, len));
        (fd === 2 ? console.error : console.log)(text);
        n += len;
      }
      view().setUint32(nwritten, n, true);
      return 0;
    },
    clock_time_get(id, precision, out) {
      view().setBigUint64(out, BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6)), true);
      return 0;
    },
    random_get(buf, len) {
      crypto.getRandomValues(new Uint8Array(memory.buffer, buf, len));
      return 0;
    },
    args_sizes_get(count, size) { view().setUint32(count, 0, true); view().setUint32(size, 0, true); return 0; },
    args_get() { return 0; },
    environ_sizes_get(count, size) { view().setUint32(count, 0, true); view().setUint32(size, 0, true); return 0; },
    environ_get() { return 0; },
    sched_yield() { return 0; },
    // Go's runtime asks for preopened directories until it hears EBADF.
    fd_prestat_get() { return 8; },
    fd_prestat_dir_name() { return 8; },
    fd_fdstat_get(fd, out) {
      new Uint8Array(memory.buffer, out, 24).fill(0);
      view().setUint8(out, 2); // character device
      return 0;
    },
    fd_fdstat_set_flags() { return 0; },
    fd_close() { return 0; },
    proc_exit(code) { throw new Error(`post-process module exited with ${code}`); },
  };
  const imports = { wasi_snapshot_preview1: new Proxy(wasi, { get: (t, k) => t[k] || (() => ENOSYS) }) };
  const { instance } = await WebAssembly.instantiateStreaming(fetch(url), imports);
  const x = instance.exports;
  memory = x.memory;
  x._initialize();
  if (x.nniescope_abi_version() !== ABI) throw new Error(`post-process module speaks ABI ${x.nniescope_abi_version()}, this page ${ABI}`);
  const call = (fn, bytes) => {
    const ptr = x.nniescope_alloc(bytes.length);
    new Uint8Array(memory.buffer, ptr, bytes.length).set(bytes); // fresh view: memory may have grown
    const packed = fn(bytes.length);
    const out = Number(packed >> 32n), len = Number(packed & 0xffffffffn);
    const json = decoder.decode(new Uint8Array(memory.buffer, out, len));
    return { json, status: x.nniescope_status() };
  };
  return {
    // Each returns {json, status}: status 0 ok, 1 bad request or tensor,
    // 2 internal (docs/POSTPROCESS.md has the byte layouts).
    decode: (bytes) => call(x.nniescope_decode, bytes),
    // decodeWire re-decodes a stream message with the page's thresholds.
    decodeWire(msg, { score = 0.25, iou = 0.7, minW = 0, minH = 0, maxDet = 300 } = {}) {
      const req = new Uint8Array(20 + msg.length);
      const v = new DataView(req.buffer);
      v.setFloat32(0, score, true); v.setFloat32(4, iou, true);
      v.setFloat32(8, minW, true); v.setFloat32(12, minH, true); v.setUint32(16, maxDet, true);
      req.set(msg, 20);
      return call(x.nniescope_decode_wire, req);
    },
    // compare gives per-anchor errors and error histograms between two
    // result messages of the same frame.
    compare(refMsg, otherMsg) {
      const req = new Uint8Array(4 + refMsg.length + otherMsg.length);
      new DataView(req.buffer).setUint32(0, refMsg.length, true);
      req.set(refMsg, 4); req.set(otherMsg, 4 + refMsg.length);
      return call(x.nniescope_compare, req);
    },
    // diff compares two detection lists ({class_id, score, box}).
    diff(ref, other, minIoU = 0.5) {
      const req = new Uint8Array(4 + 4 + 24 * ref.length + 4 + 24 * other.length);
      const v = new DataView(req.buffer);
      let o = 0;
      v.setFloat32(o, minIoU, true); o += 4;
      for (const set of [ref, other]) {
        v.setUint32(o, set.length, true); o += 4;
        for (const d of set) {
          for (const c of d.box) { v.setFloat32(o, c, true); o += 4; }
          v.setFloat32(o, d.score, true); v.setUint32(o + 4, d.class_id, true); o += 8;
        }
      }
      return call(x.nniescope_diff, req);
    },
  };
}
