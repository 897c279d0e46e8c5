/* FALLBACK HEADER for the SVP ACL-era SDKs' video, VPSS and SYS headers
 * (ot_type.h, ot_defines.h, ot_common_video.h, ot_common_vpss.h): the
 * names the VPSS shim (shim_ss.c) and its test double use, with the
 * vendor's values and the vendor's frame layout, field by field, so that
 * sizeof and every offset agree with the SDK. A fresh clone compiles the
 * shim against these (build tags: vpss vpss_ss vpsstestdouble); with the
 * SDK beside the checkout the tests compile against its own headers, and
 * TestFallbackHeadersMatchTheSDK checks every fact in firmware/internal/sdkprobe/vpss_ss.c against
 * both SDKs of this generation: Hi3519DV500 (arm64 only: its headers align
 * pointers to 8 bytes, which a 32-bit compiler refuses) and Hi3516CV610
 * (32-bit ARM: 32-bit physical addresses, 4-byte alignment, other pixel
 * format numbers). NNIESCOPE_SDK_HI3519DV500 or NNIESCOPE_SDK_HI3516CV610
 * picks one; without either, a 64-bit target gets Hi3519DV500's and a
 * 32-bit one Hi3516CV610's. A real build never sees this file. */
#ifndef NNIESCOPE_OT_VIDEO_FALLBACK_H
#define NNIESCOPE_OT_VIDEO_FALLBACK_H
#include <stdint.h>

#define NNIESCOPE_FALLBACK_HEADERS 1
#if !defined(NNIESCOPE_SDK_HI3519DV500) && !defined(NNIESCOPE_SDK_HI3516CV610)
#if defined(__LP64__)
#define NNIESCOPE_SDK_HI3519DV500 1
#else
#define NNIESCOPE_SDK_HI3516CV610 1
#endif
#endif

typedef int td_s32;
typedef unsigned int td_u32;
typedef unsigned long long td_u64;
typedef void td_void;
#ifdef NNIESCOPE_SDK_HI3516CV610
typedef unsigned int td_phys_addr_t; /* no CONFIG_PHYS_ADDR_BIT_WIDTH_64 */
#define OT_ALIGN_NUM 4
#else
typedef unsigned long long td_phys_addr_t; /* CONFIG_PHYS_ADDR_BIT_WIDTH_64 */
#define OT_ALIGN_NUM 8
#endif
#define ATTRIBUTE __attribute__((aligned(OT_ALIGN_NUM)))
#define TD_SUCCESS 0
#define OT_MAX_COLOR_COMPONENT 2
#define OT_MAX_USER_DATA_NUM 2

typedef td_s32 ot_vpss_grp;
typedef td_s32 ot_vpss_chn;

/* OT_DEFINE_ERR(OT_ID_VPSS, OT_ERR_LEVEL_ERROR, OT_ERR_BUF_EMPTY) */
#define OT_ERR_VPSS_BUF_EMPTY ((td_s32)0xA0078016)

typedef enum {
    OT_PIXEL_FORMAT_RGB_888 = 3,
#ifdef NNIESCOPE_SDK_HI3516CV610
    OT_PIXEL_FORMAT_YVU_SEMIPLANAR_420 = 38,
    OT_PIXEL_FORMAT_YUV_SEMIPLANAR_420 = 41,
#else
    OT_PIXEL_FORMAT_YVU_SEMIPLANAR_420 = 34,
    OT_PIXEL_FORMAT_YUV_SEMIPLANAR_420 = 37,
#endif
} ot_pixel_format;
typedef enum { OT_VIDEO_FIELD_FRAME = 0x4 } ot_video_field;
typedef enum { OT_VIDEO_FORMAT_LINEAR = 0 } ot_video_format;
typedef enum { OT_COMPRESS_MODE_NONE = 0 } ot_compress_mode;
typedef enum { OT_DYNAMIC_RANGE_SDR8 = 0 } ot_dynamic_range;
typedef enum { OT_COLOR_GAMUT_BT601 = 0 } ot_color_gamut;
typedef enum { OT_ID_VPSS = 6 } ot_mod_id;

typedef struct {
    td_phys_addr_t misc_info_phys_addr, jpeg_dcf_phys_addr, isp_info_phys_addr, low_delay_phys_addr;
    td_phys_addr_t bnr_mot_phys_addr, motion_data_phys_addr, frame_dng_phys_addr, aiisp_phys_addr;
    td_void *ATTRIBUTE misc_info_virt_addr;
    td_void *ATTRIBUTE jpeg_dcf_virt_addr;
    td_void *ATTRIBUTE isp_info_virt_addr;
    td_void *ATTRIBUTE low_delay_virt_addr;
    td_void *ATTRIBUTE bnr_mot_virt_addr;
    td_void *ATTRIBUTE motion_data_virt_addr;
    td_void *ATTRIBUTE frame_dng_virt_addr;
    td_void *ATTRIBUTE aiisp_virt_addr;
} ot_video_supplement;

typedef struct {
    td_u32 width;
    td_u32 height;
    ot_video_field field;
    ot_pixel_format pixel_format;
    ot_video_format video_format;
    ot_compress_mode compress_mode;
    ot_dynamic_range dynamic_range;
    ot_color_gamut color_gamut;
    td_u32 header_stride[OT_MAX_COLOR_COMPONENT];
    td_u32 stride[OT_MAX_COLOR_COMPONENT];
    td_phys_addr_t header_phys_addr[OT_MAX_COLOR_COMPONENT];
    td_phys_addr_t phys_addr[OT_MAX_COLOR_COMPONENT];
    td_void *ATTRIBUTE header_virt_addr[OT_MAX_COLOR_COMPONENT];
    td_void *ATTRIBUTE virt_addr[OT_MAX_COLOR_COMPONENT];
    td_u32 time_ref;
    td_u64 pts;
    td_u64 user_data[OT_MAX_USER_DATA_NUM];
    td_u32 frame_flag;
    ot_video_supplement supplement;
} ot_video_frame;

typedef struct {
    ot_video_frame video_frame;
    td_u32 pool_id;
    ot_mod_id mod_id;
} ot_video_frame_info;
#endif
