/* The facts firmware/internal/nnie and its test double take from the
 * SDK's NNIE and MPP headers (see svp.c beside it for how
 * TestFallbackHeadersMatchTheSDK uses this table). */
#include "hi_type.h"
#include "hi_comm_svp.h"
#include "hi_nnie.h"
#include "mpi_nnie.h"
#include "mpi_sys.h"

#include "probe.h"

PROBE_TABLE
    P(HI_SUCCESS)
    P(HI_TRUE)
    P(HI_FALSE)
    P(sizeof(HI_BOOL))
    P(HI_ERR_SVP_NNIE_ILLEGAL_PARAM)
    P(HI_ERR_SVP_NNIE_NOMEM)
    P(HI_ERR_SVP_NNIE_QUERY_TIMEOUT)
    P(SVP_BLOB_TYPE_S32)
    P(SVP_BLOB_TYPE_U8)
    P(SVP_BLOB_TYPE_YVU420SP)
    P(SVP_NNIE_ID_0)
    P(SVP_NNIE_RUN_MODE_CHIP)
    P(SVP_NNIE_NET_TYPE_CNN)
    P(SVP_NNIE_MAX_NET_SEG_NUM)
    P(SVP_NNIE_MAX_INPUT_NUM)
    P(SVP_NNIE_MAX_OUTPUT_NUM)
    P(SVP_NNIE_NODE_NAME_LEN)
    P(sizeof(SVP_NNIE_HANDLE))
    P(sizeof(SVP_BLOB_S))
    P(offsetof(SVP_BLOB_S, enType))
    P(offsetof(SVP_BLOB_S, u32Stride))
    P(offsetof(SVP_BLOB_S, u64VirAddr))
    P(offsetof(SVP_BLOB_S, u64PhyAddr))
    P(offsetof(SVP_BLOB_S, u32Num))
    P(offsetof(SVP_BLOB_S, unShape.stWhc.u32Width))
    P(offsetof(SVP_BLOB_S, unShape.stWhc.u32Height))
    P(offsetof(SVP_BLOB_S, unShape.stWhc.u32Chn))
    P(sizeof(SVP_MEM_INFO_S))
    P(offsetof(SVP_MEM_INFO_S, u64PhyAddr))
    P(offsetof(SVP_MEM_INFO_S, u64VirAddr))
    P(offsetof(SVP_MEM_INFO_S, u32Size))
    P(sizeof(SVP_NNIE_NODE_S))
    P(offsetof(SVP_NNIE_NODE_S, enType))
    P(offsetof(SVP_NNIE_NODE_S, unShape.stWhc.u32Width))
    P(offsetof(SVP_NNIE_NODE_S, unShape.stWhc.u32Height))
    P(offsetof(SVP_NNIE_NODE_S, unShape.stWhc.u32Chn))
    P(offsetof(SVP_NNIE_NODE_S, szName))
    P(sizeof(SVP_NNIE_SEG_S))
    P(offsetof(SVP_NNIE_SEG_S, enNetType))
    P(offsetof(SVP_NNIE_SEG_S, u16SrcNum))
    P(offsetof(SVP_NNIE_SEG_S, u16DstNum))
    P(offsetof(SVP_NNIE_SEG_S, astSrcNode))
    P(offsetof(SVP_NNIE_SEG_S, astDstNode))
    P(sizeof(SVP_NNIE_MODEL_S))
    P(offsetof(SVP_NNIE_MODEL_S, enRunMode))
    P(offsetof(SVP_NNIE_MODEL_S, u32TmpBufSize))
    P(offsetof(SVP_NNIE_MODEL_S, u32NetSegNum))
    P(offsetof(SVP_NNIE_MODEL_S, astSeg))
    P(sizeof(SVP_NNIE_FORWARD_CTRL_S))
    P(offsetof(SVP_NNIE_FORWARD_CTRL_S, u32SrcNum))
    P(offsetof(SVP_NNIE_FORWARD_CTRL_S, u32DstNum))
    P(offsetof(SVP_NNIE_FORWARD_CTRL_S, u32NetSegId))
    P(offsetof(SVP_NNIE_FORWARD_CTRL_S, enNnieId))
    P(offsetof(SVP_NNIE_FORWARD_CTRL_S, stTmpBuf))
    P(offsetof(SVP_NNIE_FORWARD_CTRL_S, stTskBuf))
PROBE_END
