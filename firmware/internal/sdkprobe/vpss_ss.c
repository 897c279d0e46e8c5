/* The facts the SVP ACL-era VPSS shim (shim_ss.c) and its test double take
 * from the SDK's headers (see svp.c beside it for how
 * TestFallbackHeadersMatchTheSDK uses this table). */
#include "ot_common_video.h"
#include "ss_mpi_vpss.h"
#include "ss_mpi_sys_mem.h"

#include "probe.h"

PROBE_TABLE
    P(TD_SUCCESS)
    P(OT_ERR_VPSS_BUF_EMPTY)
    P(sizeof(td_phys_addr_t))
    P(sizeof(ot_pixel_format))
    P(OT_PIXEL_FORMAT_RGB_888)
    P(OT_PIXEL_FORMAT_YVU_SEMIPLANAR_420)
    P(OT_PIXEL_FORMAT_YUV_SEMIPLANAR_420)
    P(sizeof(ot_video_frame_info))
    P(offsetof(ot_video_frame_info, video_frame))
    P(offsetof(ot_video_frame_info, video_frame.width))
    P(offsetof(ot_video_frame_info, video_frame.height))
    P(offsetof(ot_video_frame_info, video_frame.pixel_format))
    P(offsetof(ot_video_frame_info, video_frame.stride))
    P(sizeof(((ot_video_frame_info *)0)->video_frame.stride))
    P(offsetof(ot_video_frame_info, video_frame.phys_addr))
    P(sizeof(((ot_video_frame_info *)0)->video_frame.phys_addr))
    P(offsetof(ot_video_frame_info, pool_id))
    P(offsetof(ot_video_frame_info, mod_id))
PROBE_END
