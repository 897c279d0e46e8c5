/* FALLBACK HEADER for the NNIE-era MPP's video, VPSS and SYS headers
 * (hi_type.h, hi_common.h, hi_comm_video.h, hi_comm_vpss.h, mpi_vpss.h,
 * mpi_sys.h): the names the VPSS shim (shim_hi.c) and its test double use,
 * with the vendor's values and the vendor's frame layout, field by field,
 * so that sizeof and every offset agree with the SDK. A fresh clone
 * compiles the shim against these (build tags: vpss vpsstestdouble); with
 * the SDK beside the checkout the tests compile against its own headers,
 * and TestFallbackHeadersMatchTheSDK checks every fact in firmware/internal/sdkprobe/vpss_hi.c
 * against Hi3516CV500's headers. A real build never sees this file. */
#ifndef NNIESCOPE_HI_VIDEO_FALLBACK_H
#define NNIESCOPE_HI_VIDEO_FALLBACK_H
#include <stdint.h>

#define NNIESCOPE_FALLBACK_HEADERS 1

typedef int HI_S32;
typedef short HI_S16;
typedef unsigned int HI_U32;
typedef unsigned long long HI_U64;
typedef void HI_VOID;
typedef HI_S32 VPSS_GRP;
typedef HI_S32 VPSS_CHN;
#define HI_SUCCESS 0
#define ALIGN_NUM 4
#define ATTRIBUTE __attribute__((aligned(ALIGN_NUM)))

/* HI_DEF_ERR(HI_ID_VPSS, EN_ERR_LEVEL_ERROR, EN_ERR_BUF_EMPTY) */
#define HI_ERR_VPSS_BUF_EMPTY ((HI_S32)0xA007800E)

typedef enum {
    PIXEL_FORMAT_RGB_888 = 3,
    PIXEL_FORMAT_YVU_SEMIPLANAR_420 = 26,
    PIXEL_FORMAT_YUV_SEMIPLANAR_420 = 29,
} PIXEL_FORMAT_E;
typedef enum { VIDEO_FIELD_FRAME = 0x4 } VIDEO_FIELD_E;
typedef enum { VIDEO_FORMAT_LINEAR = 0 } VIDEO_FORMAT_E;
typedef enum { COMPRESS_MODE_NONE = 0 } COMPRESS_MODE_E;
typedef enum { DYNAMIC_RANGE_SDR8 = 0 } DYNAMIC_RANGE_E;
typedef enum { COLOR_GAMUT_BT601 = 0 } COLOR_GAMUT_E;
typedef enum { HI_ID_VPSS = 6 } MOD_ID_E;

typedef struct {
    HI_U64 u64JpegDCFPhyAddr, u64IspInfoPhyAddr, u64LowDelayPhyAddr, u64MotionDataPhyAddr, u64FrameDNGPhyAddr;
    HI_VOID *ATTRIBUTE pJpegDCFVirAddr;
    HI_VOID *ATTRIBUTE pIspInfoVirAddr;
    HI_VOID *ATTRIBUTE pLowDelayVirAddr;
    HI_VOID *ATTRIBUTE pMotionDataVirAddr;
    HI_VOID *ATTRIBUTE pFrameDNGVirAddr;
} VIDEO_SUPPLEMENT_S;

typedef struct {
    HI_U32 u32Width;
    HI_U32 u32Height;
    VIDEO_FIELD_E enField;
    PIXEL_FORMAT_E enPixelFormat;
    VIDEO_FORMAT_E enVideoFormat;
    COMPRESS_MODE_E enCompressMode;
    DYNAMIC_RANGE_E enDynamicRange;
    COLOR_GAMUT_E enColorGamut;
    HI_U32 u32HeaderStride[3], u32Stride[3], u32ExtStride[3];
    HI_U64 u64HeaderPhyAddr[3], u64HeaderVirAddr[3], u64PhyAddr[3], u64VirAddr[3], u64ExtPhyAddr[3], u64ExtVirAddr[3];
    HI_S16 s16OffsetTop, s16OffsetBottom, s16OffsetLeft, s16OffsetRight;
    HI_U32 u32MaxLuminance, u32MinLuminance;
    HI_U32 u32TimeRef;
    HI_U64 u64PTS;
    HI_U64 u64PrivateData;
    HI_U32 u32FrameFlag;
    VIDEO_SUPPLEMENT_S stSupplement;
} VIDEO_FRAME_S;
typedef struct {
    VIDEO_FRAME_S stVFrame;
    HI_U32 u32PoolId;
    MOD_ID_E enModId;
} VIDEO_FRAME_INFO_S;
#endif
