/* TEST DOUBLE of the SVP ACL-era SDK's video/VPSS/SYS headers (ot_*
 * types, ss_mpi_* functions): only what the VPSS shim uses, written from
 * the documented API as public samples use it. A real build uses the
 * SDK's headers. */
#ifndef NNIESCOPE_OT_VIDEO_TESTDOUBLE_H
#define NNIESCOPE_OT_VIDEO_TESTDOUBLE_H
#include <stdint.h>
typedef int32_t td_s32;
typedef uint32_t td_u32;
typedef uint64_t td_u64;
typedef uint64_t td_phys_addr_t;
typedef void td_void;
typedef td_s32 ot_vpss_grp;
typedef td_s32 ot_vpss_chn;
#define TD_SUCCESS 0
#define OT_ERR_VPSS_BUF_EMPTY ((td_s32)0xA007800E)
typedef enum { OT_PIXEL_FORMAT_RGB_888 = 0, OT_PIXEL_FORMAT_YVU_SEMIPLANAR_420 = 23, OT_PIXEL_FORMAT_YUV_SEMIPLANAR_420 = 26 } ot_pixel_format;
typedef struct {
    td_u32 width, height;
    td_u32 field;
    ot_pixel_format pixel_format;
    td_u32 video_format, compress_mode, dynamic_range, color_gamut;
    td_u32 header_stride[3], stride[3];
    td_phys_addr_t header_phys_addr[3];
    td_void *header_virt_addr[3];
    td_phys_addr_t phys_addr[3];
    td_void *virt_addr[3];
    td_u32 time_ref;
    td_u64 pts;
} ot_video_frame;
typedef struct { ot_video_frame video_frame; td_u32 pool_id; td_u32 mod_id; } ot_video_frame_info;
td_s32 ss_mpi_vpss_get_chn_frame(ot_vpss_grp grp, ot_vpss_chn chn, ot_video_frame_info *frame, td_s32 milli_sec);
td_s32 ss_mpi_vpss_release_chn_frame(ot_vpss_grp grp, ot_vpss_chn chn, const ot_video_frame_info *frame);
td_void *ss_mpi_sys_mmap(td_phys_addr_t phys, td_u32 size);
td_s32 ss_mpi_sys_munmap(const td_void *virt, td_u32 size);
#endif
