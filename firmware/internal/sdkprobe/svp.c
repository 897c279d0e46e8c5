/* The facts firmware/internal/svp (and its test double) take from the SDK's
 * SVP ACL headers: every constant and every size and offset the code
 * touches. TestFallbackHeadersMatchTheSDK compiles this file once against
 * the SDK's headers and once against the fallback headers in
 * firmware/internal/svp/testdouble, for each SDK and ABI, and compares the
 * table (read from the object file, so nothing has to run on the target;
 * probe.h says why the probes live apart from the fallback headers). Add
 * a line here for every new name the binding or the double uses. */
#include "svp_acl.h"
#include "svp_acl_mdl.h"

#include "probe.h"

PROBE_TABLE
    P(sizeof(svp_acl_error))
    P(SVP_ACL_SUCCESS)
    P(SVP_ACL_ERROR_INVALID_PARAM)
    P(SVP_ACL_ERROR_UNINITIALIZE)
    P(SVP_ACL_ERROR_INVALID_MODEL_ID)
    P(SVP_ACL_ERROR_BAD_ALLOC)
    P(SVP_ACL_ERROR_GE_FAILURE)
    P(sizeof(svp_acl_data_type))
    P(SVP_ACL_DT_UNDEFINED)
    P(SVP_ACL_FLOAT)
    P(SVP_ACL_FLOAT16)
    P(SVP_ACL_INT8)
    P(SVP_ACL_INT32)
    P(SVP_ACL_UINT8)
    P(SVP_ACL_INT16)
    P(sizeof(svp_acl_rt_mem_malloc_policy))
    P(SVP_ACL_MEM_MALLOC_HUGE_FIRST)
    P(SVP_ACL_MEM_MALLOC_HUGE_ONLY)
    P(SVP_ACL_MEM_MALLOC_NORMAL_ONLY)
    P(SVP_ACL_MAX_DIM_CNT)
    P(SVP_ACL_MAX_TENSOR_NAME_LEN)
    P(sizeof(svp_acl_mdl_io_dims))
    P(offsetof(svp_acl_mdl_io_dims, name))
    P(offsetof(svp_acl_mdl_io_dims, dim_count))
    P(offsetof(svp_acl_mdl_io_dims, dims))
    P(sizeof(((svp_acl_mdl_io_dims *)0)->dims[0]))
PROBE_END
