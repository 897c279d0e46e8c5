/* FALLBACK HEADER for the HiSilicon MPP headers the NNIE binding includes
 * (hi_type.h, hi_comm_svp.h, hi_nnie.h, mpi_nnie.h, mpi_sys.h): only the
 * declarations firmware/internal/nnie and its test double use, with the
 * vendor's names, values, layouts and prototypes. A fresh clone compiles
 * the binding against it (build tags: nnie nnietestdouble); with the SDK
 * beside the checkout the tests compile against the SDK's own headers,
 * and TestFallbackHeadersMatchTheSDK (firmware/cmd/nniescope-board) checks
 * every fact in firmware/internal/sdkprobe/nnie.c against Hi3516CV500's headers. A real build uses
 * the SDK's headers through CGO_CFLAGS and never sees this file. */
#ifndef NNIESCOPE_HI_NNIE_TESTDOUBLE_H
#define NNIESCOPE_HI_NNIE_TESTDOUBLE_H
#include <stdint.h>

#define NNIESCOPE_FALLBACK_HEADERS 1

typedef int32_t HI_S32;
typedef uint32_t HI_U32;
typedef uint16_t HI_U16;
typedef uint64_t HI_U64;
typedef char HI_CHAR;
typedef void HI_VOID;
typedef enum { HI_FALSE = 0, HI_TRUE = 1 } HI_BOOL;
#define HI_SUCCESS 0

/* Error codes: HI_DEF_ERR(HI_ID_SVP_NNIE, EN_ERR_LEVEL_ERROR, code). */
#define HI_ERR_SVP_NNIE_ILLEGAL_PARAM ((HI_S32)0xA0338003)
#define HI_ERR_SVP_NNIE_NOMEM ((HI_S32)0xA033800C)
#define HI_ERR_SVP_NNIE_QUERY_TIMEOUT ((HI_S32)0xA0338041)

typedef enum {
    SVP_BLOB_TYPE_S32 = 0x0,
    SVP_BLOB_TYPE_U8 = 0x1,
    SVP_BLOB_TYPE_YVU420SP = 0x2,
    SVP_BLOB_TYPE_YVU422SP = 0x3,
    SVP_BLOB_TYPE_VEC_S32 = 0x4,
    SVP_BLOB_TYPE_SEQ_S32 = 0x5,
    SVP_BLOB_TYPE_BUTT
} SVP_BLOB_TYPE_E;

typedef struct {
    SVP_BLOB_TYPE_E enType;
    HI_U32 u32Stride; /* bytes per row */
    HI_U64 u64VirAddr;
    HI_U64 u64PhyAddr;
    HI_U32 u32Num;
    union {
        struct { HI_U32 u32Width, u32Height, u32Chn; } stWhc;
        struct { HI_U32 u32Dim; HI_U64 u64VirAddrStep; } stSeq;
    } unShape;
} SVP_BLOB_S;
typedef SVP_BLOB_S SVP_SRC_BLOB_S;
typedef SVP_BLOB_S SVP_DST_BLOB_S;

typedef struct { HI_U64 u64PhyAddr; HI_U64 u64VirAddr; HI_U32 u32Size; } SVP_MEM_INFO_S;
typedef SVP_MEM_INFO_S SVP_SRC_MEM_INFO_S;

#define SVP_NNIE_MAX_NET_SEG_NUM 8
#define SVP_NNIE_MAX_INPUT_NUM 16
#define SVP_NNIE_MAX_OUTPUT_NUM 16
#define SVP_NNIE_MAX_ROI_LAYER_NUM_OF_SEG 2
#define SVP_NNIE_MAX_ROI_LAYER_NUM 4
#define SVP_NNIE_NODE_NAME_LEN 32

typedef enum { SVP_NNIE_ID_0 = 0x0, SVP_NNIE_ID_BUTT } SVP_NNIE_ID_E;
typedef enum { SVP_NNIE_RUN_MODE_CHIP = 0x0, SVP_NNIE_RUN_MODE_FUNC_SIM = 0x1, SVP_NNIE_RUN_MODE_BUTT } SVP_NNIE_RUN_MODE_E;
typedef enum { SVP_NNIE_NET_TYPE_CNN = 0x0, SVP_NNIE_NET_TYPE_ROI = 0x1, SVP_NNIE_NET_TYPE_RECURRENT = 0x2, SVP_NNIE_NET_TYPE_BUTT } SVP_NNIE_NET_TYPE_E;
typedef HI_S32 SVP_NNIE_HANDLE;

typedef struct {
    SVP_BLOB_TYPE_E enType;
    union {
        struct { HI_U32 u32Width, u32Height, u32Chn; } stWhc;
        HI_U32 u32Dim;
    } unShape;
    HI_U32 u32NodeId;
    HI_CHAR szName[SVP_NNIE_NODE_NAME_LEN];
} SVP_NNIE_NODE_S;

typedef struct {
    HI_U32 au32Reserved[18]; /* the RoI pooling fields, unused here */
    HI_CHAR szName[SVP_NNIE_NODE_NAME_LEN];
} SVP_NNIE_ROIPOOL_INFO_S;

typedef struct {
    SVP_NNIE_NET_TYPE_E enNetType;
    HI_U16 u16SrcNum, u16DstNum, u16RoiPoolNum, u16MaxStep;
    HI_U32 u32InstOffset, u32InstLen;
    SVP_NNIE_NODE_S astSrcNode[SVP_NNIE_MAX_INPUT_NUM];
    SVP_NNIE_NODE_S astDstNode[SVP_NNIE_MAX_OUTPUT_NUM];
    HI_U32 au32RoiIdx[SVP_NNIE_MAX_ROI_LAYER_NUM_OF_SEG];
} SVP_NNIE_SEG_S;

typedef struct {
    SVP_NNIE_RUN_MODE_E enRunMode;
    HI_U32 u32TmpBufSize;
    HI_U32 u32NetSegNum;
    SVP_NNIE_SEG_S astSeg[SVP_NNIE_MAX_NET_SEG_NUM];
    SVP_NNIE_ROIPOOL_INFO_S astRoiInfo[SVP_NNIE_MAX_ROI_LAYER_NUM];
    SVP_MEM_INFO_S stBase;
} SVP_NNIE_MODEL_S;

typedef struct {
    HI_U32 u32SrcNum, u32DstNum, u32NetSegId;
    SVP_NNIE_ID_E enNnieId;
    SVP_MEM_INFO_S stTmpBuf, stTskBuf;
} SVP_NNIE_FORWARD_CTRL_S;

/* mpi_nnie.h */
HI_S32 HI_MPI_SVP_NNIE_LoadModel(const SVP_SRC_MEM_INFO_S *pstModelBuf, SVP_NNIE_MODEL_S *pstModel);
HI_S32 HI_MPI_SVP_NNIE_GetTskBufSize(HI_U32 u32MaxInputNum, HI_U32 u32MaxBboxNum, const SVP_NNIE_MODEL_S *pstModel, HI_U32 au32TskBufSize[], HI_U32 u32NetSegNum);
HI_S32 HI_MPI_SVP_NNIE_Forward(SVP_NNIE_HANDLE *phSvpNnieHandle, const SVP_SRC_BLOB_S astSrc[], const SVP_NNIE_MODEL_S *pstModel, const SVP_DST_BLOB_S astDst[], const SVP_NNIE_FORWARD_CTRL_S *pstForwardCtrl, HI_BOOL bInstant);
HI_S32 HI_MPI_SVP_NNIE_Query(SVP_NNIE_ID_E enNnieId, SVP_NNIE_HANDLE svpNnieHandle, HI_BOOL *pbFinish, HI_BOOL bBlock);
HI_S32 HI_MPI_SVP_NNIE_UnloadModel(SVP_NNIE_MODEL_S *pstModel);
HI_S32 HI_MPI_SVP_NNIE_AddTskBuf(const SVP_MEM_INFO_S *pstTskBuf);
HI_S32 HI_MPI_SVP_NNIE_RemoveTskBuf(const SVP_MEM_INFO_S *pstTskBuf);

/* mpi_sys.h: MMZ memory */
HI_S32 HI_MPI_SYS_MmzAlloc_Cached(HI_U64 *pu64PhyAddr, HI_VOID **ppVirAddr, const HI_CHAR *strMmb, const HI_CHAR *strZone, HI_U32 u32Len);
HI_S32 HI_MPI_SYS_MmzFlushCache(HI_U64 u64PhyAddr, HI_VOID *pVirAddr, HI_U32 u32Size);
HI_S32 HI_MPI_SYS_MmzFree(HI_U64 u64PhyAddr, HI_VOID *pVirAddr);
#endif
