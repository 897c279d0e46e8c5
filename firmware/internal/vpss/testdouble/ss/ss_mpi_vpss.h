/* FALLBACK HEADER: see ot_common_video.h. */
#ifndef NNIESCOPE_SS_MPI_VPSS_FALLBACK_H
#define NNIESCOPE_SS_MPI_VPSS_FALLBACK_H
#include "ot_common_video.h"
td_s32 ss_mpi_vpss_get_chn_frame(ot_vpss_grp grp, ot_vpss_chn chn, ot_video_frame_info *frame_info, td_s32 milli_sec);
td_s32 ss_mpi_vpss_release_chn_frame(ot_vpss_grp grp, ot_vpss_chn chn, const ot_video_frame_info *frame_info);
#endif
