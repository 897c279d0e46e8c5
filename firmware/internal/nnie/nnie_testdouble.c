//go:build nnietestdouble

/* TEST DOUBLE of the NNIE runtime and the MMZ allocator, compiled only
 * with the build tag nnietestdouble. It models one loaded .wk whose
 * content must begin with "FAKEWK": one segment, input "data" U8 8x4x3
 * (rows padded to 16 bytes), outputs "out_a" S32 5x2x1 and "out_b" S32
 * 3x1x2 (rows padded to 16 bytes: width x 4 aligned to 16). Forward
 * writes known values, as the chip does, in value x 4096:
 * out_a[y][x] = sum(input pixels) + 10y + x; out_b[c][x] = -(c*3 + x + 1)/2.
 * It checks the contract the real runtime enforces: buffers from MMZ,
 * strides and shapes as the model states, the task buffer registered, a
 * handle queried before the outputs are read (the first query of each
 * forward times out once, as a busy NNIE does), and the cache flushes the
 * vendor's sample makes before every forward (SAMPLE_SVP_NNIE_Forward:
 * the input, the task buffer and every output blob; a dirty line of an
 * output written back after the NNIE wrote it would corrupt the result).
 * It counts what is allocated and registered, so a test can check that
 * Close gives everything back; nnie_double_fail_alloc makes a chosen
 * MMZ allocation fail.
 *
 * A .wk beginning with "FAKEWK-HEADS" is instead a one-class YOLOv8 cut
 * before its decode: input "images" U8 32x32x3, outputs reg8/cls8,
 * reg16/cls16, reg32/cls32 ([64|1, 4|2|1, 4|2|1], S32 x 4096). Forward
 * writes one object whatever the picture: at stride 8, cell (x 1, y 2),
 * class logit +5 and, on every side, DFL logit 10 in bin 2 (0 elsewhere);
 * every other class logit is -10. "FAKEWK-2IN" states two inputs and
 * "FAKEWK-2SEG" two segments: models the binding must refuse. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "hi_type.h"
#include "hi_comm_svp.h"
#include "hi_nnie.h"
#include "mpi_nnie.h"
#include "mpi_sys.h"

struct mmz { void *p; HI_U32 n; int flushed; struct mmz *next; };
static struct mmz *allocs;
static int loaded, heads, tsk_added, pending, timed_out, fail_alloc_in;
static HI_U64 tsk_phy;

static struct mmz *find_mmz(HI_U64 vir, HI_U32 need) {
    for (struct mmz *m = allocs; m; m = m->next) {
        if ((HI_U64)(uintptr_t)m->p == vir && m->n >= need) return m;
    }
    return NULL;
}
static int is_mmz(HI_U64 vir, HI_U32 need) { return find_mmz(vir, need) != NULL; }
/* flushed_since_forward: the buffer at vir was flushed after the last
 * forward began (or since it was allocated). */
static int flushed_since_forward(HI_U64 vir, HI_U32 need) {
    struct mmz *m = find_mmz(vir, need);
    return m && m->flushed;
}

/* Everything allocated, loaded or registered and not given back. */
int nnie_double_live(void) {
    int n = loaded + tsk_added;
    for (struct mmz *m = allocs; m; m = m->next) n++;
    return n;
}
/* The n-th MMZ allocation from now fails (0: none). */
void nnie_double_fail_alloc(int n) { fail_alloc_in = n; }
/* Whether this file was compiled against the fallback headers. */
int nnie_double_fallback_headers(void) {
#ifdef NNIESCOPE_FALLBACK_HEADERS
    return 1;
#else
    return 0;
#endif
}

HI_S32 HI_MPI_SYS_MmzAlloc_Cached(HI_U64 *phy, HI_VOID **vir, const HI_CHAR *mmb, const HI_CHAR *zone, HI_U32 n) {
    (void)mmb; (void)zone;
    if (fail_alloc_in > 0 && --fail_alloc_in == 0) return HI_ERR_SVP_NNIE_NOMEM;
    struct mmz *m = calloc(1, sizeof(*m));
    if (!m || !(m->p = calloc(1, n ? n : 1))) { free(m); return HI_ERR_SVP_NNIE_NOMEM; }
    m->n = n; m->next = allocs; allocs = m;
    *vir = m->p; *phy = (HI_U64)(uintptr_t)m->p; /* physical = virtual in the double */
    return HI_SUCCESS;
}
HI_S32 HI_MPI_SYS_MmzFlushCache(HI_U64 phy, HI_VOID *vir, HI_U32 n) {
    struct mmz *m = find_mmz((HI_U64)(uintptr_t)vir, n);
    if (!m || phy != (HI_U64)(uintptr_t)vir) return HI_ERR_SVP_NNIE_ILLEGAL_PARAM;
    m->flushed = 1;
    return HI_SUCCESS;
}
HI_S32 HI_MPI_SYS_MmzFree(HI_U64 phy, HI_VOID *vir) {
    (void)phy;
    for (struct mmz **pm = &allocs; *pm; pm = &(*pm)->next) {
        if ((*pm)->p == vir) { struct mmz *m = *pm; *pm = m->next; free(m->p); free(m); return HI_SUCCESS; }
    }
    return HI_ERR_SVP_NNIE_ILLEGAL_PARAM;
}

static void node(SVP_NNIE_NODE_S *n, SVP_BLOB_TYPE_E t, HI_U32 w, HI_U32 h, HI_U32 c, const char *name) {
    n->enType = t; n->unShape.stWhc.u32Width = w; n->unShape.stWhc.u32Height = h; n->unShape.stWhc.u32Chn = c;
    strncpy(n->szName, name, SVP_NNIE_NODE_NAME_LEN - 1);
}

HI_S32 HI_MPI_SVP_NNIE_LoadModel(const SVP_SRC_MEM_INFO_S *buf, SVP_NNIE_MODEL_S *m) {
    if (!buf || !m || !is_mmz(buf->u64VirAddr, buf->u32Size)) return HI_ERR_SVP_NNIE_ILLEGAL_PARAM;
    if (buf->u32Size < 6 || memcmp((void *)(uintptr_t)buf->u64VirAddr, "FAKEWK", 6) != 0) return HI_ERR_SVP_NNIE_ILLEGAL_PARAM;
    memset(m, 0, sizeof(*m));
    m->enRunMode = SVP_NNIE_RUN_MODE_CHIP;
    m->u32TmpBufSize = 1024;
    m->u32NetSegNum = 1;
    SVP_NNIE_SEG_S *s = &m->astSeg[0];
    s->enNetType = SVP_NNIE_NET_TYPE_CNN; s->u16SrcNum = 1;
    heads = buf->u32Size >= 12 && memcmp((void *)(uintptr_t)buf->u64VirAddr, "FAKEWK-HEADS", 12) == 0;
    if (heads) {
        static const char *names[6] = {"reg8", "cls8", "reg16", "cls16", "reg32", "cls32"};
        s->u16DstNum = 6;
        node(&s->astSrcNode[0], SVP_BLOB_TYPE_U8, 32, 32, 3, "images");
        for (int i = 0; i < 6; i++) {
            HI_U32 g = 4 >> (i / 2);
            node(&s->astDstNode[i], SVP_BLOB_TYPE_S32, g, g, i % 2 ? 1 : 64, names[i]);
        }
    } else {
        s->u16DstNum = 2;
        node(&s->astSrcNode[0], SVP_BLOB_TYPE_U8, 8, 4, 3, "data");
        node(&s->astDstNode[0], SVP_BLOB_TYPE_S32, 5, 2, 1, "out_a");
        node(&s->astDstNode[1], SVP_BLOB_TYPE_S32, 3, 1, 2, "out_b");
    }
    if (buf->u32Size >= 10 && memcmp((void *)(uintptr_t)buf->u64VirAddr, "FAKEWK-2IN", 10) == 0) s->u16SrcNum = 2; /* a net with two inputs */
    if (buf->u32Size >= 11 && memcmp((void *)(uintptr_t)buf->u64VirAddr, "FAKEWK-2SEG", 11) == 0) m->u32NetSegNum = 2; /* CPU layers in between */
    loaded = 1;
    return HI_SUCCESS;
}
HI_S32 HI_MPI_SVP_NNIE_UnloadModel(SVP_NNIE_MODEL_S *m) { (void)m; loaded = 0; return HI_SUCCESS; }
HI_S32 HI_MPI_SVP_NNIE_GetTskBufSize(HI_U32 maxIn, HI_U32 maxBbox, const SVP_NNIE_MODEL_S *m, HI_U32 sizes[], HI_U32 n) {
    (void)maxBbox;
    if (!loaded || !m || maxIn < 1 || n != m->u32NetSegNum) return HI_ERR_SVP_NNIE_ILLEGAL_PARAM;
    sizes[0] = 2048;
    return HI_SUCCESS;
}
HI_S32 HI_MPI_SVP_NNIE_AddTskBuf(const SVP_MEM_INFO_S *t) {
    if (!t || !is_mmz(t->u64VirAddr, t->u32Size)) return HI_ERR_SVP_NNIE_ILLEGAL_PARAM;
    tsk_added = 1; tsk_phy = t->u64PhyAddr; return HI_SUCCESS;
}
HI_S32 HI_MPI_SVP_NNIE_RemoveTskBuf(const SVP_MEM_INFO_S *t) { (void)t; tsk_added = 0; return HI_SUCCESS; }

static int blob_ok(const SVP_BLOB_S *b, const SVP_NNIE_NODE_S *n, HI_U32 elem) {
    HI_U32 w = n->unShape.stWhc.u32Width, h = n->unShape.stWhc.u32Height, c = n->unShape.stWhc.u32Chn;
    HI_U32 stride = (w * elem + 15) / 16 * 16;
    return b->enType == n->enType && b->u32Num == 1 && b->u32Stride == stride && b->unShape.stWhc.u32Width == w &&
           b->unShape.stWhc.u32Height == h && b->unShape.stWhc.u32Chn == c && is_mmz(b->u64VirAddr, stride * h * c);
}

HI_S32 HI_MPI_SVP_NNIE_Forward(SVP_NNIE_HANDLE *h, const SVP_SRC_BLOB_S src[], const SVP_NNIE_MODEL_S *m, const SVP_DST_BLOB_S dst[], const SVP_NNIE_FORWARD_CTRL_S *ctl, HI_BOOL instant) {
    (void)instant;
    if (!loaded || !tsk_added || !ctl || ctl->u32NetSegId != 0 || ctl->u32SrcNum != 1 || ctl->stTskBuf.u64PhyAddr != tsk_phy ||
        ctl->stTmpBuf.u32Size < m->u32TmpBufSize || !is_mmz(ctl->stTmpBuf.u64VirAddr, m->u32TmpBufSize)) return HI_ERR_SVP_NNIE_ILLEGAL_PARAM;
    const SVP_NNIE_SEG_S *s = &m->astSeg[0];
    if (ctl->u32DstNum != s->u16DstNum || !blob_ok(&src[0], &s->astSrcNode[0], 1)) return HI_ERR_SVP_NNIE_ILLEGAL_PARAM;
    for (HI_U32 i = 0; i < s->u16DstNum; i++) if (!blob_ok(&dst[i], &s->astDstNode[i], 4)) return HI_ERR_SVP_NNIE_ILLEGAL_PARAM;
    /* The sample's flushes: the input, the task buffer, every output. */
    if (!flushed_since_forward(src[0].u64VirAddr, 1) || !flushed_since_forward(ctl->stTskBuf.u64VirAddr, ctl->stTskBuf.u32Size)) return HI_ERR_SVP_NNIE_ILLEGAL_PARAM;
    for (HI_U32 i = 0; i < s->u16DstNum; i++) if (!flushed_since_forward(dst[i].u64VirAddr, 1)) return HI_ERR_SVP_NNIE_ILLEGAL_PARAM;
    for (struct mmz *m = allocs; m; m = m->next) m->flushed = 0;
    if (heads) {
        for (HI_U32 i = 0; i < 6; i++) {
            HI_U32 g = 4 >> (i / 2), c = i % 2 ? 1 : 64;
            for (HI_U32 ch = 0; ch < c; ch++) for (HI_U32 y = 0; y < g; y++) {
                int32_t *row = (int32_t *)(uintptr_t)(dst[i].u64VirAddr + (ch * g + y) * dst[i].u32Stride);
                for (HI_U32 x = 0; x < g; x++) {
                    int hit = i < 2 && y == 2 && x == 1;
                    if (i % 2) row[x] = (hit ? 5 : -10) * 4096;
                    else row[x] = hit && ch % 16 == 2 ? 10 * 4096 : 0;
                }
            }
        }
        pending = 1; timed_out = 0; *h = 42;
        return HI_SUCCESS;
    }
    const unsigned char *in = (const unsigned char *)(uintptr_t)src[0].u64VirAddr;
    int32_t sum = 0;
    for (HI_U32 r = 0; r < 4 * 3; r++) for (HI_U32 x = 0; x < 8; x++) sum += in[r * src[0].u32Stride + x];
    for (HI_U32 y = 0; y < 2; y++) {
        int32_t *row = (int32_t *)(uintptr_t)(dst[0].u64VirAddr + y * dst[0].u32Stride);
        for (HI_U32 x = 0; x < 5; x++) row[x] = (sum + 10 * (int32_t)y + (int32_t)x) * 4096;
    }
    for (HI_U32 c = 0; c < 2; c++) {
        int32_t *row = (int32_t *)(uintptr_t)(dst[1].u64VirAddr + c * dst[1].u32Stride);
        for (HI_U32 x = 0; x < 3; x++) row[x] = -(int32_t)(c * 3 + x + 1) * 2048;
    }
    pending = 1; timed_out = 0; *h = 42;
    return HI_SUCCESS;
}
HI_S32 HI_MPI_SVP_NNIE_Query(SVP_NNIE_ID_E id, SVP_NNIE_HANDLE h, HI_BOOL *done, HI_BOOL block) {
    (void)block;
    if (id != SVP_NNIE_ID_0 || h != 42 || !pending) return HI_ERR_SVP_NNIE_ILLEGAL_PARAM;
    if (!timed_out) { timed_out = 1; *done = HI_FALSE; return HI_ERR_SVP_NNIE_QUERY_TIMEOUT; }
    pending = 0; *done = HI_TRUE;
    return HI_SUCCESS;
}
