//go:build vpss && !vpss_ss

/* The VPSS shim for the NNIE-era MPP (Hi3516DV300/CV500/AV300,
 * Hi3519AV100 SDKs). */
#include <stdlib.h>
#include "hi_comm_video.h"
#include "mpi_vpss.h"
#include "mpi_sys.h"
#include "shim.h"

int nsv_get(int grp, int chn, int ms, nsv_frame *f) {
    VIDEO_FRAME_INFO_S *v = calloc(1, sizeof(*v));
    if (!v) return -1;
    HI_S32 r = HI_MPI_VPSS_GetChnFrame(grp, chn, v, ms);
    if (r != HI_SUCCESS) { free(v); return r; }
    f->sdk = v;
    f->w = v->stVFrame.u32Width; f->h = v->stVFrame.u32Height;
    f->stride_y = v->stVFrame.u32Stride[0]; f->stride_uv = v->stVFrame.u32Stride[1];
    f->phys_y = v->stVFrame.u64PhyAddr[0]; f->phys_uv = v->stVFrame.u64PhyAddr[1];
    f->vu = v->stVFrame.enPixelFormat == PIXEL_FORMAT_YVU_SEMIPLANAR_420;
    f->semiplanar = f->vu || v->stVFrame.enPixelFormat == PIXEL_FORMAT_YUV_SEMIPLANAR_420;
    return 0;
}
int nsv_release(int grp, int chn, nsv_frame *f) {
    if (!f->sdk) return 0;
    HI_S32 r = HI_MPI_VPSS_ReleaseChnFrame(grp, chn, (VIDEO_FRAME_INFO_S *)f->sdk);
    free(f->sdk); f->sdk = NULL;
    return r;
}
void *nsv_mmap(uint64_t phys, uint32_t size) { return HI_MPI_SYS_Mmap(phys, size); }
int nsv_munmap(void *p, uint32_t size) { return HI_MPI_SYS_Munmap(p, size); }
int nsv_is_timeout(int err) { return err == HI_ERR_VPSS_BUF_EMPTY; }
