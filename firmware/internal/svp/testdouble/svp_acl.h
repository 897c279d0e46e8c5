/* TEST DOUBLE of the vendor's svp_acl.h: only the declarations nniescope's
 * binding uses, written from the documented SVP ACL API. It exists so CI can
 * compile and exercise firmware/internal/svp (build tags: svp svptestdouble)
 * without the vendor SDK. A real build uses the SDK's own headers. */
#ifndef NNIESCOPE_SVP_ACL_TESTDOUBLE_H
#define NNIESCOPE_SVP_ACL_TESTDOUBLE_H
#include <stddef.h>
#include <stdint.h>

typedef int svp_acl_error;
#define SVP_ACL_SUCCESS 0

typedef enum {
    SVP_ACL_DT_UNDEFINED = -1,
    SVP_ACL_FLOAT = 0,
    SVP_ACL_FLOAT16 = 1,
    SVP_ACL_INT8 = 2,
    SVP_ACL_INT32 = 3,
    SVP_ACL_UINT8 = 4,
    SVP_ACL_INT16 = 6,
} svp_acl_data_type;

typedef enum { SVP_ACL_MEM_MALLOC_HUGE_FIRST = 0, SVP_ACL_MEM_MALLOC_NORMAL_ONLY = 2 } svp_acl_rt_mem_malloc_policy;

typedef struct svp_acl_data_buffer svp_acl_data_buffer;

svp_acl_error svp_acl_init(const char *config_path);
svp_acl_error svp_acl_finalize(void);
svp_acl_error svp_acl_rt_set_device(int32_t device_id);
svp_acl_error svp_acl_rt_reset_device(int32_t device_id);
svp_acl_error svp_acl_rt_malloc(void **dev_ptr, size_t size, svp_acl_rt_mem_malloc_policy policy);
svp_acl_error svp_acl_rt_free(void *dev_ptr);
svp_acl_data_buffer *svp_acl_create_data_buffer(void *data, size_t size, size_t stride);
svp_acl_error svp_acl_destroy_data_buffer(const svp_acl_data_buffer *data_buffer);
void *svp_acl_get_data_buffer_addr(const svp_acl_data_buffer *data_buffer);
svp_acl_error svp_acl_update_data_buffer(svp_acl_data_buffer *data_buffer, void *data, size_t size, size_t stride);
#endif
