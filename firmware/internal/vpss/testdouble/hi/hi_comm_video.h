/* TEST DOUBLE of the NNIE-era MPP video/VPSS/SYS headers: only what the
 * VPSS shim uses, written from the documented API. A real build uses the
 * SDK's headers. */
#ifndef NNIESCOPE_HI_VIDEO_TESTDOUBLE_H
#define NNIESCOPE_HI_VIDEO_TESTDOUBLE_H
#include <stdint.h>
typedef int32_t HI_S32;
typedef uint32_t HI_U32;
typedef uint64_t HI_U64;
typedef void HI_VOID;
typedef HI_S32 VPSS_GRP;
typedef HI_S32 VPSS_CHN;
#define HI_SUCCESS 0
#define HI_ERR_VPSS_BUF_EMPTY ((HI_S32)0xA007800E)
typedef enum { PIXEL_FORMAT_RGB_888 = 0, PIXEL_FORMAT_YVU_SEMIPLANAR_420 = 23, PIXEL_FORMAT_YUV_SEMIPLANAR_420 = 26 } PIXEL_FORMAT_E;
typedef struct {
    HI_U32 u32Width, u32Height;
    HI_U32 enField;
    PIXEL_FORMAT_E enPixelFormat;
    HI_U32 enVideoFormat, enCompressMode, enDynamicRange, enColorGamut;
    HI_U32 u32HeaderStride[3], u32Stride[3], u32ExtStride[3];
    HI_U64 u64HeaderPhyAddr[3], u64HeaderVirAddr[3], u64PhyAddr[3], u64VirAddr[3], u64ExtPhyAddr[3], u64ExtVirAddr[3];
    HI_U32 u32TimeRef;
    HI_U64 u64PTS;
} VIDEO_FRAME_S;
typedef struct { VIDEO_FRAME_S stVFrame; HI_U32 u32PoolId; HI_U32 enModId; } VIDEO_FRAME_INFO_S;
HI_S32 HI_MPI_VPSS_GetChnFrame(VPSS_GRP grp, VPSS_CHN chn, VIDEO_FRAME_INFO_S *frame, HI_S32 ms);
HI_S32 HI_MPI_VPSS_ReleaseChnFrame(VPSS_GRP grp, VPSS_CHN chn, const VIDEO_FRAME_INFO_S *frame);
HI_VOID *HI_MPI_SYS_Mmap(HI_U64 phys, HI_U32 size);
HI_S32 HI_MPI_SYS_Munmap(HI_VOID *virt, HI_U32 size);
#endif
