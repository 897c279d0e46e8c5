"""The other model families for train.py: YOLO11 (C3k2, C2PSA attention,
depthwise class branch; the YOLOv8 DFL head) and YOLOv5 v6.1/v7.0 (C3,
6x6 stem, anchor-based head decoded in the graph as (2σ − 0.5 + grid)·stride
and (2σ)²·anchor). Written from the published architectures (layer
indices as in Ultralytics' yolo11.yaml and yolov5n.yaml, so the exports'
node names are Ultralytics'), at small widths for the four synthetic
classes. One deviation: C2PSA's head count is max(1, c // 64), so a block
narrower than 64 channels still has one head (Ultralytics' formula would
give none).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from train import C2f, Concat, Conv, Detect, SPPF, Bottleneck, giou


class ConvBN(nn.Module):
    """Conv-BN with an optional SiLU, explicit padding and groups."""

    def __init__(self, c1, c2, k=1, s=1, p=None, g=1, act=True):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2 if p is None else p, groups=g, bias=False)
        self.bn = nn.BatchNorm2d(c2)
        self.act = nn.SiLU() if act else nn.Identity()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Bottleneck5(nn.Module):
    """YOLOv5's bottleneck: 1x1 then 3x3."""

    def __init__(self, c, shortcut=True):
        super().__init__()
        self.cv1, self.cv2, self.add = ConvBN(c, c, 1), ConvBN(c, c, 3), shortcut

    def forward(self, x):
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C3(nn.Module):
    def __init__(self, c1, c2, n=1, shortcut=True, bottleneck=Bottleneck5):
        super().__init__()
        c = c2 // 2
        self.cv1, self.cv2, self.cv3 = ConvBN(c1, c, 1), ConvBN(c1, c, 1), ConvBN(2 * c, c2, 1)
        self.m = nn.Sequential(*(bottleneck(c, shortcut) for _ in range(n)))

    def forward(self, x):
        return self.cv3(torch.cat((self.m(self.cv1(x)), self.cv2(x)), 1))


class C3k(C3):
    """C3 with YOLOv8-style 3x3/3x3 bottlenecks, inside C3k2."""

    def __init__(self, c1, c2, n=2, shortcut=True):
        super().__init__(c1, c2, n, shortcut, bottleneck=Bottleneck)


class C3k2(C2f):
    def __init__(self, c1, c2, n=1, c3k=False, e=0.5, shortcut=True):
        super().__init__(c1, c2, n, shortcut)
        self.c = int(c2 * e)
        self.cv1 = Conv(c1, 2 * self.c, 1)
        self.cv2 = Conv((2 + n) * self.c, c2, 1)
        self.m = nn.ModuleList(C3k(self.c, self.c, 2, shortcut) if c3k else Bottleneck(self.c, shortcut) for _ in range(n))


class Attention(nn.Module):
    def __init__(self, dim, num_heads, attn_ratio=0.5):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.key_dim = int(self.head_dim * attn_ratio)
        self.scale = self.key_dim ** -0.5
        self.qkv = ConvBN(dim, dim + 2 * self.key_dim * num_heads, 1, act=False)
        self.proj = ConvBN(dim, dim, 1, act=False)
        self.pe = ConvBN(dim, dim, 3, g=dim, act=False)

    def forward(self, x):
        b, c, h, w = x.shape
        n = h * w
        q, k, v = self.qkv(x).view(b, self.num_heads, 2 * self.key_dim + self.head_dim, n).split([self.key_dim, self.key_dim, self.head_dim], 2)
        attn = ((q.transpose(-2, -1) @ k) * self.scale).softmax(-1)
        x = (v @ attn.transpose(-2, -1)).view(b, c, h, w) + self.pe(v.reshape(b, c, h, w))
        return self.proj(x)


class PSABlock(nn.Module):
    def __init__(self, c, num_heads):
        super().__init__()
        self.attn = Attention(c, num_heads)
        self.ffn = nn.Sequential(ConvBN(c, 2 * c, 1), ConvBN(2 * c, c, 1, act=False))

    def forward(self, x):
        x = x + self.attn(x)
        return x + self.ffn(x)


class C2PSA(nn.Module):
    def __init__(self, c1, c2, n=1, e=0.5):
        super().__init__()
        self.c = int(c1 * e)
        self.cv1, self.cv2 = Conv(c1, 2 * self.c, 1), Conv(2 * self.c, c1, 1)
        self.m = nn.Sequential(*(PSABlock(self.c, max(1, self.c // 64)) for _ in range(n)))

    def forward(self, x):
        a, b = self.cv1(x).split((self.c, self.c), 1)
        return self.cv2(torch.cat((a, self.m(b)), 1))


class Detect11(Detect):
    """YOLO11's head: YOLOv8's, with depthwise convs in the class branch."""

    def __init__(self, nc, ch):
        super().__init__(nc, ch)
        c3 = max(ch[0], min(nc, 100))
        self.cv3 = nn.ModuleList(nn.Sequential(
            nn.Sequential(ConvBN(x, x, 3, g=x), ConvBN(x, c3, 1)),
            nn.Sequential(ConvBN(c3, c3, 3, g=c3), ConvBN(c3, c3, 1)),
            nn.Conv2d(c3, nc, 1)) for x in ch)
        for a, s in zip(self.cv3, (8, 16, 32)):
            a[-1].bias.data[:] = torch.log(torch.tensor(5 / nc / (640 / s) ** 2))


class Layered(nn.Module):
    """Ultralytics' layer list: layer i takes the previous output, or the
    outputs named in frm[i]."""

    def forward(self, x):
        y = []
        for i, m in enumerate(self.model):
            x = m([y[j] for j in self.frm[i]]) if i in self.frm else m(x)
            y.append(x)
        return x


class YOLO11(Layered):
    """yolo11.yaml's layout (head = 23), c3k as the yaml sets it."""
    det_index = 23

    def __init__(self, nc, w=(8, 16, 32, 48, 64)):
        super().__init__()
        a, b, c, d, e = w
        self.model = nn.ModuleList([
            Conv(3, a, 3, 2), Conv(a, b, 3, 2), C3k2(b, c, 1, False, 0.25), Conv(c, c, 3, 2), C3k2(c, d, 1, False, 0.25),  # 0-4
            Conv(d, d, 3, 2), C3k2(d, d, 1, True), Conv(d, e, 3, 2), C3k2(e, e, 1, True), SPPF(e, e), C2PSA(e, e),  # 5-10
            nn.Upsample(None, 2, 'nearest'), Concat(), C3k2(e + d, d, 1, False),  # 11-13
            nn.Upsample(None, 2, 'nearest'), Concat(), C3k2(d + d, c, 1, False),  # 14-16 P3
            Conv(c, c, 3, 2), Concat(), C3k2(c + d, d, 1, False),  # 17-19 P4
            Conv(d, d, 3, 2), Concat(), C3k2(d + e, e, 1, True),  # 20-22 P5
            Detect11(nc, (c, d, e)),  # 23
        ])
        self.frm = {12: (11, 6), 15: (14, 4), 18: (17, 13), 21: (20, 10), 23: (16, 19, 22)}


# YOLOv5 anchors for the synthetic scenes (10-128 px, about square), in
# input pixels per stride 8, 16, 32.
ANCHORS5 = ((10, 12, 16, 14, 22, 24), (30, 34, 44, 40, 56, 60), (76, 80, 100, 96, 128, 132))


class Detect5(nn.Module):
    """YOLOv5's anchor-based head; exported as v7.0 exports it."""

    def __init__(self, nc, ch, anchors=ANCHORS5, strides=(8, 16, 32)):
        super().__init__()
        self.nc, self.no, self.na = nc, nc + 5, len(anchors[0]) // 2
        self.strides = strides
        self.register_buffer('anchors', torch.tensor(anchors, dtype=torch.float32).view(len(anchors), -1, 2))
        self.m = nn.ModuleList(nn.Conv2d(x, self.no * self.na, 1) for x in ch)
        self.export = False
        for mi, s in zip(self.m, strides):  # objectness and class priors, as YOLOv5 initialises them
            b = mi.bias.view(self.na, -1)
            b.data[:, 4] += torch.log(torch.tensor(8 / (640 / s) ** 2))
            b.data[:, 5:] += torch.log(torch.tensor(0.6 / (nc - 0.99999)))

    def set_input(self, w, h):
        pass

    def forward(self, xs):
        z = []
        for i, x in enumerate(xs):
            x = self.m[i](x)
            bs, _, ny, nx = x.shape
            x = x.view(bs, self.na, self.no, ny, nx).permute(0, 1, 3, 4, 2).contiguous()
            if not self.export:
                z.append(x)
                continue
            yv, xv = torch.meshgrid(torch.arange(ny, dtype=torch.float32), torch.arange(nx, dtype=torch.float32), indexing='ij')
            grid = torch.stack((xv, yv), 2).expand(1, self.na, ny, nx, 2) - 0.5
            anchor_grid = self.anchors[i].view(1, self.na, 1, 1, 2).expand(1, self.na, ny, nx, 2)
            xy, wh, conf = x.sigmoid().split((2, 2, self.nc + 1), 4)
            xy = (xy * 2 + grid) * self.strides[i]
            wh = (wh * 2) ** 2 * anchor_grid
            z.append(torch.cat((xy, wh, conf), 4).view(bs, self.na * ny * nx, self.no))
        return z if not self.export else torch.cat(z, 1)


class YOLOv5(Layered):
    """yolov5n.yaml's layout (v6.0+: 6x6 stem, SPPF; head = 24)."""
    det_index = 24

    def __init__(self, nc, w=(8, 16, 32, 48, 64)):
        super().__init__()
        a, b, c, d, e = w
        self.model = nn.ModuleList([
            ConvBN(3, a, 6, 2, 2), ConvBN(a, b, 3, 2), C3(b, b, 1), ConvBN(b, c, 3, 2), C3(c, c, 1),  # 0-4
            ConvBN(c, d, 3, 2), C3(d, d, 1), ConvBN(d, e, 3, 2), C3(e, e, 1), SPPF(e, e),  # 5-9
            ConvBN(e, d, 1), nn.Upsample(None, 2, 'nearest'), Concat(), C3(2 * d, d, 1, False),  # 10-13
            ConvBN(d, c, 1), nn.Upsample(None, 2, 'nearest'), Concat(), C3(2 * c, c, 1, False),  # 14-17 P3
            ConvBN(c, c, 3, 2), Concat(), C3(2 * c, d, 1, False),  # 18-20 P4
            ConvBN(d, d, 3, 2), Concat(), C3(2 * d, e, 1, False),  # 21-23 P5
            Detect5(nc, (c, d, e)),  # 24
        ])
        self.frm = {12: (11, 6), 16: (15, 4), 19: (18, 14), 22: (21, 10), 24: (17, 20, 23)}


def loss5(det, preds, gts):
    """YOLOv5's loss, written from its description: each box matches the
    anchors whose sides are within 4x of its own, in its centre cell and
    the two neighbouring cells nearest the centre; GIoU box loss, BCE
    objectness towards the GIoU, BCE classes."""
    balance = (4.0, 1.0, 0.4)
    l_box = l_obj = l_cls = 0.0
    for li, p in enumerate(preds):  # [b, na, ny, nx, no]
        b, na, ny, nx, _ = p.shape
        s = det.strides[li]
        anc = det.anchors[li]  # [na, 2] pixels
        idx, tbox, tcls = [], [], []
        for bi, gt in enumerate(gts):
            for row in gt.tolist():
                c, x1, y1, x2, y2 = row
                gw, gh = (x2 - x1) / s, (y2 - y1) / s
                gx, gy = (x1 + x2) / 2 / s, (y1 + y2) / 2 / s
                for ai in range(na):
                    aw, ah = anc[ai, 0].item() / s, anc[ai, 1].item() / s
                    if max(gw / aw, aw / gw, gh / ah, ah / gh) >= 4.0:
                        continue
                    gi, gj = min(int(gx), nx - 1), min(int(gy), ny - 1)
                    cells = [(gi, gj)]
                    fx, fy = gx % 1, gy % 1
                    cells.append((gi - 1, gj) if fx < 0.5 else (gi + 1, gj))
                    cells.append((gi, gj - 1) if fy < 0.5 else (gi, gj + 1))
                    for ci, cj in cells:
                        if 0 <= ci < nx and 0 <= cj < ny:
                            idx.append((bi, ai, cj, ci))
                            tbox.append((gx - ci, gy - cj, gw, gh))
                            tcls.append(int(c))
        tobj = torch.zeros(b, na, ny, nx)
        if idx:
            bi, ai, cj, ci = (torch.tensor(v) for v in zip(*idx))
            ps = p[bi, ai, cj, ci]
            pxy = ps[:, :2].sigmoid() * 2 - 0.5
            pwh = (ps[:, 2:4].sigmoid() * 2) ** 2 * (anc[ai] / s)
            tb = torch.tensor(tbox)
            g = giou(xyxy(torch.cat((pxy, pwh), 1)), xyxy(tb))
            l_box = l_box + (1 - g).mean()
            tobj[bi, ai, cj, ci] = g.detach().clamp(0)
            t = torch.zeros(len(tcls), det.nc)
            t[torch.arange(len(tcls)), torch.tensor(tcls)] = 1.0
            l_cls = l_cls + F.binary_cross_entropy_with_logits(ps[:, 5:], t)
        l_obj = l_obj + F.binary_cross_entropy_with_logits(p[..., 4], tobj) * balance[li]
    bs = preds[0].shape[0]
    return (0.05 * l_box + 1.0 * l_obj + 0.5 * l_cls) * bs / 8


def xyxy(b):
    """[n, 4] centre/size boxes to the [4, n] corner rows giou takes."""
    return torch.stack((b[:, 0] - b[:, 2] / 2, b[:, 1] - b[:, 3] / 2, b[:, 0] + b[:, 2] / 2, b[:, 1] + b[:, 3] / 2), 0)
