/* The facts the NNIE-era VPSS shim (shim_hi.c) and its test double take
 * from the SDK's headers (see svp.c beside it for how
 * TestFallbackHeadersMatchTheSDK uses this table). */
#include "hi_comm_video.h"
#include "mpi_vpss.h"
#include "mpi_sys.h"

#include "probe.h"

PROBE_TABLE
    P(HI_SUCCESS)
    P(HI_ERR_VPSS_BUF_EMPTY)
    P(sizeof(PIXEL_FORMAT_E))
    P(PIXEL_FORMAT_RGB_888)
    P(PIXEL_FORMAT_YVU_SEMIPLANAR_420)
    P(PIXEL_FORMAT_YUV_SEMIPLANAR_420)
    P(sizeof(VIDEO_FRAME_INFO_S))
    P(offsetof(VIDEO_FRAME_INFO_S, stVFrame))
    P(offsetof(VIDEO_FRAME_INFO_S, stVFrame.u32Width))
    P(offsetof(VIDEO_FRAME_INFO_S, stVFrame.u32Height))
    P(offsetof(VIDEO_FRAME_INFO_S, stVFrame.enPixelFormat))
    P(offsetof(VIDEO_FRAME_INFO_S, stVFrame.u32Stride))
    P(sizeof(((VIDEO_FRAME_INFO_S *)0)->stVFrame.u32Stride))
    P(offsetof(VIDEO_FRAME_INFO_S, stVFrame.u64PhyAddr))
    P(sizeof(((VIDEO_FRAME_INFO_S *)0)->stVFrame.u64PhyAddr))
    P(offsetof(VIDEO_FRAME_INFO_S, u32PoolId))
    P(offsetof(VIDEO_FRAME_INFO_S, enModId))
PROBE_END
