/* FALLBACK HEADER for the vendor's svp_acl.h (with svp_acl_base.h and
 * svp_acl_rt.h folded in): only the declarations nniescope's binding and
 * its test double use, with the vendor's names, values and prototypes
 * (const qualifiers included). A fresh clone compiles the binding against
 * it (build tags: svp svptestdouble); with the SDK beside the checkout the
 * tests compile against the SDK's own headers instead, and
 * TestFallbackHeadersMatchTheSDK (firmware/cmd/nniescope-board) checks that
 * every constant and layout listed in firmware/internal/sdkprobe/svp.c agrees with them. A real
 * build never sees this file. */
#ifndef NNIESCOPE_SVP_ACL_FALLBACK_H
#define NNIESCOPE_SVP_ACL_FALLBACK_H
#include <stddef.h>
#include <stdint.h>

#define NNIESCOPE_FALLBACK_HEADERS 1

typedef int svp_acl_error;
#define SVP_ACL_SUCCESS 0
#define SVP_ACL_ERROR_INVALID_PARAM 100000
#define SVP_ACL_ERROR_UNINITIALIZE 100001
#define SVP_ACL_ERROR_INVALID_MODEL_ID 100011
#define SVP_ACL_ERROR_BAD_ALLOC 200000
#define SVP_ACL_ERROR_GE_FAILURE 500002

typedef enum {
    SVP_ACL_DT_UNDEFINED = -1,
    SVP_ACL_FLOAT = 0,
    SVP_ACL_FLOAT16 = 1,
    SVP_ACL_INT8 = 2,
    SVP_ACL_INT32 = 3,
    SVP_ACL_UINT8 = 4,
    SVP_ACL_INT16 = 6,
} svp_acl_data_type;

typedef enum svp_acl_rt_mem_malloc_policy {
    SVP_ACL_MEM_MALLOC_HUGE_FIRST,
    SVP_ACL_MEM_MALLOC_HUGE_ONLY,
    SVP_ACL_MEM_MALLOC_NORMAL_ONLY,
} svp_acl_rt_mem_malloc_policy;

typedef struct svp_acl_data_buffer svp_acl_data_buffer;

svp_acl_error svp_acl_init(const char *config_path);
svp_acl_error svp_acl_finalize();
svp_acl_error svp_acl_rt_set_device(int32_t device_id);
svp_acl_error svp_acl_rt_reset_device(int32_t device_id);
svp_acl_error svp_acl_rt_malloc(void **dev_ptr, size_t size, svp_acl_rt_mem_malloc_policy policy);
svp_acl_error svp_acl_rt_free(const void *dev_ptr);
svp_acl_data_buffer *svp_acl_create_data_buffer(void *data, size_t size, size_t stride);
svp_acl_error svp_acl_destroy_data_buffer(const svp_acl_data_buffer *data_buffer);
void *svp_acl_get_data_buffer_addr(const svp_acl_data_buffer *data_buffer);
svp_acl_error svp_acl_update_data_buffer(svp_acl_data_buffer *data_buffer, void *data, size_t size, size_t stride);
#endif
