//go:build vpss && vpsstestdouble && !vpss_ss

/* TEST DOUBLE of the NNIE-era VPSS frame API (frames.h says which). */
#include "mpi_vpss.h"
#include "mpi_sys.h"
#include <unistd.h>
#include "testdouble/frames.h"

HI_S32 HI_MPI_VPSS_GetChnFrame(VPSS_GRP grp, VPSS_CHN chn, VIDEO_FRAME_INFO_S *f, HI_S32 ms) {
    (void)chn;
    if (ms <= 0) return (HI_S32)0xA0078003; /* the binding always waits */
    uint32_t w, h, stride; uint8_t *y, *uv;
    int r = make_frame(grp, &w, &h, &stride, &y, &uv);
    if (r == 1) { usleep((useconds_t)ms * 1000); return HI_ERR_VPSS_BUF_EMPTY; } /* as the SDK: after waiting */
    f->stVFrame.u32Width = w; f->stVFrame.u32Height = h;
    f->stVFrame.u32Stride[0] = f->stVFrame.u32Stride[1] = stride;
    f->stVFrame.u64PhyAddr[0] = (HI_U64)(uintptr_t)y; f->stVFrame.u64PhyAddr[1] = (HI_U64)(uintptr_t)uv;
    f->stVFrame.enPixelFormat = r == 2 ? PIXEL_FORMAT_RGB_888 : PIXEL_FORMAT_YVU_SEMIPLANAR_420;
    return HI_SUCCESS;
}
HI_S32 HI_MPI_VPSS_ReleaseChnFrame(VPSS_GRP grp, VPSS_CHN chn, const VIDEO_FRAME_INFO_S *f) {
    (void)grp; (void)chn;
    free_frame(f->stVFrame.u64PhyAddr[0], f->stVFrame.u64PhyAddr[1]);
    return HI_SUCCESS;
}
HI_VOID *HI_MPI_SYS_Mmap(HI_U64 phys, HI_U32 size) { (void)size; maps_out++; return (HI_VOID *)(uintptr_t)phys; }
HI_S32 HI_MPI_SYS_Munmap(HI_VOID *virt, HI_U32 size) { (void)virt; (void)size; maps_out--; return HI_SUCCESS; }

/* Whether this file was compiled against the fallback headers. */
int nsv_double_fallback_headers(void) {
#ifdef NNIESCOPE_FALLBACK_HEADERS
    return 1;
#else
    return 0;
#endif
}
