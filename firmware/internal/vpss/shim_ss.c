//go:build vpss && vpss_ss

/* The VPSS shim for the SVP ACL-era SDKs (Hi3519DV500/Hi3516DV500
 * class: ss_mpi_*, ot_* types). */
#include <stdlib.h>
#include "ot_common_video.h"
#include "ss_mpi_vpss.h"
#include "ss_mpi_sys_mem.h"
#include "shim.h"

int nsv_get(int grp, int chn, int ms, nsv_frame *f) {
    ot_video_frame_info *v = calloc(1, sizeof(*v));
    if (!v) return -1;
    td_s32 r = ss_mpi_vpss_get_chn_frame(grp, chn, v, ms);
    if (r != TD_SUCCESS) { free(v); return r; }
    f->sdk = v;
    f->w = v->video_frame.width; f->h = v->video_frame.height;
    f->stride_y = v->video_frame.stride[0]; f->stride_uv = v->video_frame.stride[1];
    f->phys_y = v->video_frame.phys_addr[0]; f->phys_uv = v->video_frame.phys_addr[1];
    f->vu = v->video_frame.pixel_format == OT_PIXEL_FORMAT_YVU_SEMIPLANAR_420;
    f->semiplanar = f->vu || v->video_frame.pixel_format == OT_PIXEL_FORMAT_YUV_SEMIPLANAR_420;
    return 0;
}
int nsv_release(int grp, int chn, nsv_frame *f) {
    if (!f->sdk) return 0;
    td_s32 r = ss_mpi_vpss_release_chn_frame(grp, chn, (ot_video_frame_info *)f->sdk);
    free(f->sdk); f->sdk = NULL;
    return r;
}
void *nsv_mmap(uint64_t phys, uint32_t size) { return ss_mpi_sys_mmap(phys, size); }
int nsv_munmap(void *p, uint32_t size) { return ss_mpi_sys_munmap(p, size); }
int nsv_is_timeout(int err) { return err == OT_ERR_VPSS_BUF_EMPTY; }
