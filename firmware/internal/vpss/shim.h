/* One interface over the two SDK generations' VPSS frame API: shim_hi.c
 * (NNIE-era MPP: HI_MPI_VPSS_GetChnFrame, HI_MPI_SYS_Mmap) and shim_ss.c
 * (SVP ACL-era: ss_mpi_vpss_get_chn_frame, ss_mpi_sys_mmap), selected by
 * the build tag vpss_ss. */
#ifndef NNIESCOPE_VPSS_SHIM_H
#define NNIESCOPE_VPSS_SHIM_H
#include <stdint.h>

typedef struct {
    uint32_t w, h, stride_y, stride_uv;
    uint64_t phys_y, phys_uv;
    int vu;        /* chroma V first (YVU420SP, NV21) */
    int semiplanar; /* a 4:2:0 semi-planar format at all */
    void *sdk;     /* the SDK's frame struct, released with it */
} nsv_frame;

int nsv_get(int grp, int chn, int ms, nsv_frame *f);
int nsv_release(int grp, int chn, nsv_frame *f);
void *nsv_mmap(uint64_t phys, uint32_t size);
int nsv_munmap(void *p, uint32_t size);
int nsv_is_timeout(int err); /* the SDK's "no frame within ms" */
#endif
