/* FALLBACK HEADER: see hi_comm_video.h. */
#ifndef NNIESCOPE_MPI_VPSS_FALLBACK_H
#define NNIESCOPE_MPI_VPSS_FALLBACK_H
#include "hi_comm_video.h"
HI_S32 HI_MPI_VPSS_GetChnFrame(VPSS_GRP VpssGrp, VPSS_CHN VpssChn, VIDEO_FRAME_INFO_S *pstVideoFrame, HI_S32 s32MilliSec);
HI_S32 HI_MPI_VPSS_ReleaseChnFrame(VPSS_GRP VpssGrp, VPSS_CHN VpssChn, const VIDEO_FRAME_INFO_S *pstVideoFrame);
#endif
