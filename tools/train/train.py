#!/usr/bin/env python3
"""Train nniescope's demo detector: a small YOLOv8-architecture model on
synthetic scenes (nniescope synth), exported to ONNX the way Ultralytics
exports YOLOv8 (output0 = [1, 4+nc, A]: DFL, anchors, dist2bbox, stride
multiply, sigmoid scores, one Concat).

Written from the published YOLOv8 design (Conv-BN-SiLU, C2f, SPPF, FPN/PAN
neck, decoupled head with 16-bin DFL, strides 8/16/32), not from
Ultralytics' code. The loss is a simpler relative of YOLOv8's: centre- and
scale-based assignment instead of the task-aligned assigner, BCE for
classes, GIoU + DFL for boxes (docs/DEMO.md).

Usage (the exact command is in docs/DEMO.md):
  /usr/bin/python3 tools/train/train.py --train DIR --out model.onnx --epochs 30 --batch 32 --seed 1
Needs only Debian's python3-torch (CPU), with numpy and PIL. The model is
byte-for-byte reproducible for the same scenes, seed and --threads (the
reduction order of CPU kernels depends on the thread count; the documented
run uses the default, 2). It caches the decoded scenes in OUT.cache.npz,
keyed by the scene files' names, sizes and times.
"""
import argparse, glob, hashlib, json, math, os, random, sys, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

REG_MAX = 16
STRIDES = (8, 16, 32)


def read_png(path):
    from PIL import Image  # Debian python3-pil, installed with python3-torch
    return np.asarray(Image.open(path).convert('RGB'))


def set_key(d):
    """Names, sizes and modification times of the set's files: the cache
    is only reused for the very files it was built from, so pointing
    --train at other scenes with the same --out cannot train on stale data."""
    h = hashlib.sha256(os.path.abspath(d).encode())
    for p in sorted(glob.glob(os.path.join(d, 'images', '*.png')) + glob.glob(os.path.join(d, 'labels', '*.txt'))):
        st = os.stat(p)
        h.update(f'{os.path.relpath(p, d)}\0{st.st_size}\0{st.st_mtime_ns}\n'.encode())
    return h.hexdigest()


def load_set(d, cache):
    key = set_key(d)
    if os.path.exists(cache):
        z = np.load(cache)
        if 'key' in z and str(z['key']) == key:
            return z['images'], list(json.loads(str(z['labels'])))
    paths = sorted(glob.glob(os.path.join(d, 'images', '*.png')))
    if not paths:
        sys.exit(f'train.py: {d}/images holds no .png scenes (write them with: nniescope synth --out {d})')
    imgs, labels = [], []
    for p in paths:
        imgs.append(read_png(p))
        stem = os.path.splitext(os.path.basename(p))[0]
        lp = os.path.join(d, 'labels', stem + '.txt')
        if not os.path.exists(lp):
            sys.exit(f'train.py: {p} has no label file {lp}')
        rows = [list(map(float, l.split())) for l in open(lp) if l.strip()]
        labels.append(rows)
    imgs = np.stack(imgs)
    np.savez(cache, images=imgs, labels=json.dumps(labels), key=key)
    return imgs, labels


class Conv(nn.Module):
    def __init__(self, c1, c2, k=1, s=1):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(c2)
        self.act = nn.SiLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    def __init__(self, c, shortcut=True):
        super().__init__()
        self.cv1, self.cv2, self.add = Conv(c, c, 3), Conv(c, c, 3), shortcut

    def forward(self, x):
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C2f(nn.Module):
    def __init__(self, c1, c2, n=1, shortcut=False):
        super().__init__()
        self.c = c2 // 2
        self.cv1 = Conv(c1, 2 * self.c, 1)
        self.cv2 = Conv((2 + n) * self.c, c2, 1)
        self.m = nn.ModuleList(Bottleneck(self.c, shortcut) for _ in range(n))

    def forward(self, x):
        y = list(self.cv1(x).split((self.c, self.c), 1))
        for m in self.m:
            y.append(m(y[-1]))
        return self.cv2(torch.cat(y, 1))


class SPPF(nn.Module):
    def __init__(self, c1, c2, k=5):
        super().__init__()
        c = c1 // 2
        self.cv1, self.cv2 = Conv(c1, c, 1), Conv(c * 4, c2, 1)
        self.m = nn.MaxPool2d(k, 1, k // 2)

    def forward(self, x):
        y = [self.cv1(x)]
        for _ in range(3):
            y.append(self.m(y[-1]))
        return self.cv2(torch.cat(y, 1))


class Concat(nn.Module):
    def forward(self, xs):
        return torch.cat(xs, 1)


class DFL(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(REG_MAX, 1, 1, bias=False).requires_grad_(False)
        self.conv.weight.data[:] = torch.arange(REG_MAX, dtype=torch.float).view(1, REG_MAX, 1, 1)

    def forward(self, x):  # x: [b, 64, a]
        b, _, a = x.shape
        return self.conv(x.view(b, 4, REG_MAX, a).transpose(2, 1).softmax(1)).view(b, 4, a)


class Detect(nn.Module):
    def __init__(self, nc, ch):
        super().__init__()
        self.nc, self.no = nc, nc + 4 * REG_MAX
        c2, c3 = max(16, ch[0] // 4, 4 * REG_MAX), max(ch[0], min(nc, 100))
        self.cv2 = nn.ModuleList(nn.Sequential(Conv(x, c2, 3), Conv(c2, c2, 3), nn.Conv2d(c2, 4 * REG_MAX, 1)) for x in ch)
        self.cv3 = nn.ModuleList(nn.Sequential(Conv(x, c3, 3), Conv(c3, c3, 3), nn.Conv2d(c3, nc, 1)) for x in ch)
        self.dfl = DFL()
        self.export = False
        for a, s in zip(self.cv3, STRIDES):  # class bias prior, as the paper's family does
            a[-1].bias.data[:] = math.log(5 / nc / (640 / s) ** 2)
        for b in self.cv2:
            b[-1].bias.data[:] = 1.0

    def set_input(self, w, h):
        anchors, strides = [], []
        for s in STRIDES:
            gy, gx = torch.meshgrid(torch.arange(h // s) + 0.5, torch.arange(w // s) + 0.5, indexing='ij')
            anchors.append(torch.stack((gx, gy), -1).view(-1, 2))
            strides.append(torch.full((gx.numel(), 1), float(s)))
        self.register_buffer('anchors', torch.cat(anchors).transpose(0, 1).contiguous(), persistent=False)
        self.register_buffer('strides', torch.cat(strides).transpose(0, 1).contiguous(), persistent=False)

    def forward(self, xs):
        xs = [torch.cat((self.cv2[i](x), self.cv3[i](x)), 1) for i, x in enumerate(xs)]
        if not self.export:
            return xs
        b = xs[0].shape[0]
        x = torch.cat([xi.view(b, self.no, -1) for xi in xs], 2)
        box, cls = x.split((4 * REG_MAX, self.nc), 1)
        lt, rb = self.dfl(box).chunk(2, 1)
        x1y1 = self.anchors.unsqueeze(0) - lt
        x2y2 = self.anchors.unsqueeze(0) + rb
        c_xy = (x1y1 + x2y2) / 2
        wh = x2y2 - x1y1
        dbox = torch.cat((c_xy, wh), 1) * self.strides
        return torch.cat((dbox, cls.sigmoid()), 1)


class Model(nn.Module):
    """YOLOv8 layout, indices as in Ultralytics' yolov8.yaml (head = 22)."""
    det_index = 22

    def __init__(self, nc, w=(8, 16, 24, 48, 64)):
        super().__init__()
        a, b, c, d, e = w
        self.model = nn.ModuleList([
            Conv(3, a, 3, 2), Conv(a, b, 3, 2), C2f(b, b, 1, True), Conv(b, c, 3, 2), C2f(c, c, 1, True),  # 0-4
            Conv(c, d, 3, 2), C2f(d, d, 1, True), Conv(d, e, 3, 2), C2f(e, e, 1, True), SPPF(e, e),  # 5-9
            nn.Upsample(None, 2, 'nearest'), Concat(), C2f(e + d, d, 1),  # 10-12
            nn.Upsample(None, 2, 'nearest'), Concat(), C2f(d + c, c, 1),  # 13-15 P3
            Conv(c, c, 3, 2), Concat(), C2f(c + d, d, 1),  # 16-18 P4
            Conv(d, d, 3, 2), Concat(), C2f(d + e, e, 1),  # 19-21 P5
            Detect(nc, (c, d, e)),  # 22
        ])
        self.frm = {11: (10, 6), 14: (13, 4), 17: (16, 12), 20: (19, 9), 22: (15, 18, 21)}

    def forward(self, x):
        y = []
        for i, m in enumerate(self.model):
            if i in self.frm:
                x = m([y[j] for j in self.frm[i]])
            else:
                x = m(x)
            y.append(x)
        return x


def targets_for(labels, w, h, nc):
    """Per image: list of [cls, x1, y1, x2, y2] in pixels."""
    out = []
    for rows in labels:
        t = [[int(c), (cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h] for c, cx, cy, bw, bh in rows]
        out.append(torch.tensor(t, dtype=torch.float32).view(-1, 5))
    return out


def assign(gt, anchors, strides, sizes):
    """Centre- and scale-based assignment: a box belongs to the level whose
    size band holds its longer side; anchors of that level inside the box
    and within 2.5 strides of its centre are positive; a box with none gets
    its nearest anchor. Returns the target index per anchor (-1: none)."""
    a = anchors.shape[1]
    best = torch.full((a,), -1, dtype=torch.long)
    best_area = torch.full((a,), float('inf'))
    lo = 0
    for li, (s, n) in enumerate(zip(STRIDES, sizes)):
        ax, ay = anchors[0, lo:lo + n], anchors[1, lo:lo + n]
        for k in range(gt.shape[0]):
            x1, y1, x2, y2 = gt[k, 1:].tolist()
            side = max(x2 - x1, y2 - y1)
            level = 0 if side <= 48 else (1 if side <= 112 else 2)
            if level != li:
                continue
            cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
            px, py = ax * s, ay * s
            inside = (px > x1) & (px < x2) & (py > y1) & (py < y2) & ((px - cx).abs() < 2.5 * s) & ((py - cy).abs() < 2.5 * s)
            idx = inside.nonzero().flatten()
            if idx.numel() == 0:
                idx = ((px - cx) ** 2 + (py - cy) ** 2).argmin().view(1)
            area = (x2 - x1) * (y2 - y1)
            for j in (idx + lo).tolist():
                if area < best_area[j]:
                    best_area[j], best[j] = area, k
        lo += n
    return best


def loss_fn(model, preds, gts, w, h):
    det = model.model[model.det_index]
    nc = det.nc
    b = preds[0].shape[0]
    sizes = [p.shape[2] * p.shape[3] for p in preds]
    x = torch.cat([p.view(b, det.no, -1) for p in preds], 2)  # [b, no, A]
    box, cls = x.split((4 * REG_MAX, nc), 1)
    anchors, strides = det.anchors, det.strides
    l_cls = l_iou = l_dfl = 0.0
    npos = 0
    proj = torch.arange(REG_MAX, dtype=torch.float)
    for i in range(b):
        gt = gts[i]
        tcls = torch.zeros(nc, anchors.shape[1])
        if gt.shape[0]:
            m = assign(gt, anchors, strides[0], sizes)
            pos = (m >= 0).nonzero().flatten()
            if pos.numel():
                g = gt[m[pos]]
                tcls[g[:, 0].long(), pos] = 1.0
                s = strides[0, pos]
                ax, ay = anchors[0, pos], anchors[1, pos]
                tl = torch.stack((ax - g[:, 1] / s, ay - g[:, 2] / s, g[:, 3] / s - ax, g[:, 4] / s - ay), 0).clamp(0, REG_MAX - 1.01)
                logits = box[i][:, pos].view(4, REG_MAX, -1)
                prob = logits.softmax(1)
                dist = (prob * proj.view(1, -1, 1)).sum(1)
                pb = torch.stack((ax - dist[0], ay - dist[1], ax + dist[2], ay + dist[3]), 0) * s
                tb = g[:, 1:].t()
                l_iou = l_iou + (1 - giou(pb, tb)).sum()
                left = tl.floor().long()
                wr = tl - left
                lp = F.log_softmax(logits, 1)
                l_dfl = l_dfl - (lp.gather(1, left.unsqueeze(1)).squeeze(1) * (1 - wr) + lp.gather(1, (left + 1).unsqueeze(1)).squeeze(1) * wr).sum() / 4
                npos += pos.numel()
        l_cls = l_cls + F.binary_cross_entropy_with_logits(cls[i], tcls, reduction='sum')
    n = max(npos, 1)
    return (0.5 * l_cls + 7.5 * l_iou + 1.5 * l_dfl) / n


def giou(a, b):
    ix1, iy1 = torch.max(a[0], b[0]), torch.max(a[1], b[1])
    ix2, iy2 = torch.min(a[2], b[2]), torch.min(a[3], b[3])
    inter = (ix2 - ix1).clamp(0) * (iy2 - iy1).clamp(0)
    ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    iou = inter / ua.clamp(min=1e-9)
    cx1, cy1 = torch.min(a[0], b[0]), torch.min(a[1], b[1])
    cx2, cy2 = torch.max(a[2], b[2]), torch.max(a[3], b[3])
    c = (cx2 - cx1) * (cy2 - cy1)
    return iou - (c - ua) / c.clamp(min=1e-9)


def fuse(model):
    """Fold every BatchNorm into its conv, as an export does."""
    for m in model.modules():
        if isinstance(getattr(m, 'bn', None), nn.BatchNorm2d):  # Conv, and families.ConvBN
            c, bn = m.conv, m.bn
            w = c.weight * (bn.weight / (bn.running_var + bn.eps).sqrt()).view(-1, 1, 1, 1)
            bias = bn.bias - bn.running_mean * bn.weight / (bn.running_var + bn.eps).sqrt()
            fused = nn.Conv2d(c.in_channels, c.out_channels, c.kernel_size, c.stride, c.padding, groups=c.groups, bias=True)
            fused.weight.data, fused.bias.data = w.detach(), bias.detach()
            m.conv, m.bn = fused, nn.Identity()
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--train', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--size', type=int, default=256)
    ap.add_argument('--epochs', type=int, default=30)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--lr', type=float, default=3e-3)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--arch', choices=('yolov8', 'yolo11', 'yolov5'), default='yolov8',
                    help='yolov8 (the demo model), or a test model of another family (families.py)')
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    nc = 4
    imgs, labels = load_set(args.train, args.out + '.cache.npz')
    w = h = args.size
    gts = targets_for(labels, w, h, nc)
    loss = loss_fn
    if args.arch == 'yolov8':
        model = Model(nc)
    else:
        import families
        model = {'yolo11': families.YOLO11, 'yolov5': families.YOLOv5}[args.arch](nc)
        if args.arch == 'yolov5':
            loss = lambda model, preds, gts, w, h: families.loss5(model.model[model.det_index], preds, gts)
    det = model.model[model.det_index]
    det.set_input(w, h)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=5e-4)
    steps = args.epochs * math.ceil(len(imgs) / args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.1)
    x_all = torch.from_numpy(imgs).permute(0, 3, 1, 2).float() / 255
    t0 = time.time()
    for ep in range(args.epochs):
        model.train()
        order = torch.randperm(len(imgs))
        tot = 0.0
        for k in range(0, len(imgs), args.batch):
            idx = order[k:k + args.batch]
            xb = x_all[idx]
            flip = random.random() < 0.5
            gb = [gts[j].clone() for j in idx.tolist()]
            if flip:  # horizontal flip: the shapes are symmetric or flip to their class
                xb = xb.flip(3)
                for g in gb:
                    g[:, [1, 3]] = w - g[:, [3, 1]]
            l = loss(model, model(xb), gb, w, h)
            opt.zero_grad()
            l.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            opt.step()
            sched.step()
            tot += l.item() * len(idx)
        print(json.dumps({'epoch': ep + 1, 'loss': round(tot / len(imgs), 4), 'seconds': round(time.time() - t0, 1)}), flush=True)
    model.eval()
    fuse(model)
    det.export = True
    torch.onnx.export(model, torch.zeros(1, 3, h, w), args.out, opset_version=13,
                      input_names=['images'], output_names=['output0'], do_constant_folding=True)
    names = os.path.join(args.train, 'classes.txt')  # nniescope synth writes it
    if os.path.exists(names):
        with open(names) as f:
            add_names(args.out, [l.strip() for l in f if l.strip()])
    print(json.dumps({'exported': args.out, 'bytes': os.path.getsize(args.out), 'parameters': sum(p.numel() for p in model.parameters())}), flush=True)


def add_names(path, names):
    """Append the class names to the ONNX file's metadata_props as
    Ultralytics writes them ("{0: 'disc', 1: 'square', ...}"). A protobuf
    message may end in more fields, so appending ModelProto field 14 (one
    StringStringEntryProto) needs no onnx package, and the bytes are the
    same on every run."""
    def varint(n):
        b = b''
        while True:
            b += bytes([n & 0x7f | (0x80 if n > 0x7f else 0)])
            n >>= 7
            if not n:
                return b

    def field(num, data):
        return varint(num << 3 | 2) + varint(len(data)) + data

    value = repr(dict(enumerate(names))).encode()
    with open(path, 'ab') as f:
        f.write(field(14, field(1, b'names') + field(2, value)))


if __name__ == '__main__':
    main()
