//go:build vpss && vpsstestdouble && vpss_ss

/* TEST DOUBLE of the SVP ACL-era VPSS frame API (frames.h says which). */
#include "ss_mpi_vpss.h"
#include "ss_mpi_sys_mem.h"
#include <unistd.h>
#include "testdouble/frames.h"

td_s32 ss_mpi_vpss_get_chn_frame(ot_vpss_grp grp, ot_vpss_chn chn, ot_video_frame_info *f, td_s32 ms) {
    (void)chn;
    if (ms <= 0) return (td_s32)0xA0078003;
    uint32_t w, h, stride; uint8_t *y, *uv;
    int r = make_frame(grp, &w, &h, &stride, &y, &uv);
    if (r == 1) { usleep((useconds_t)ms * 1000); return OT_ERR_VPSS_BUF_EMPTY; } /* as the SDK: after waiting */
    f->video_frame.width = w; f->video_frame.height = h;
    f->video_frame.stride[0] = f->video_frame.stride[1] = stride;
    f->video_frame.phys_addr[0] = (td_phys_addr_t)(uintptr_t)y; f->video_frame.phys_addr[1] = (td_phys_addr_t)(uintptr_t)uv;
    f->video_frame.pixel_format = r == 2 ? OT_PIXEL_FORMAT_RGB_888 : OT_PIXEL_FORMAT_YVU_SEMIPLANAR_420;
    return TD_SUCCESS;
}
td_s32 ss_mpi_vpss_release_chn_frame(ot_vpss_grp grp, ot_vpss_chn chn, const ot_video_frame_info *f) {
    (void)grp; (void)chn;
    free_frame(f->video_frame.phys_addr[0], f->video_frame.phys_addr[1]);
    return TD_SUCCESS;
}
td_void *ss_mpi_sys_mmap(td_phys_addr_t phys, td_u32 size) { (void)size; maps_out++; return (td_void *)(uintptr_t)phys; }
td_s32 ss_mpi_sys_munmap(const td_void *virt, td_u32 size) { (void)virt; (void)size; maps_out--; return TD_SUCCESS; }

/* Whether this file was compiled against the fallback headers. */
int nsv_double_fallback_headers(void) {
#ifdef NNIESCOPE_FALLBACK_HEADERS
    return 1;
#else
    return 0;
#endif
}
