/* FALLBACK HEADER for the vendor's svp_acl_mdl.h (see svp_acl.h beside it). */
#ifndef NNIESCOPE_SVP_ACL_MDL_FALLBACK_H
#define NNIESCOPE_SVP_ACL_MDL_FALLBACK_H
#include "svp_acl.h"

#define SVP_ACL_MAX_DIM_CNT 128
#define SVP_ACL_MAX_TENSOR_NAME_LEN 128

typedef struct svp_acl_mdl_dataset svp_acl_mdl_dataset;
typedef struct svp_acl_mdl_desc svp_acl_mdl_desc;
typedef struct {
    char name[SVP_ACL_MAX_TENSOR_NAME_LEN];
    size_t dim_count;
    int64_t dims[SVP_ACL_MAX_DIM_CNT];
} svp_acl_mdl_io_dims;

svp_acl_error svp_acl_mdl_load_from_mem(const void *model, size_t model_size, uint32_t *model_id);
svp_acl_error svp_acl_mdl_unload(uint32_t model_id);
svp_acl_mdl_desc *svp_acl_mdl_create_desc();
svp_acl_error svp_acl_mdl_destroy_desc(svp_acl_mdl_desc *model_desc);
svp_acl_error svp_acl_mdl_get_desc(svp_acl_mdl_desc *model_desc, uint32_t model_id);
size_t svp_acl_mdl_get_num_inputs(const svp_acl_mdl_desc *model_desc);
size_t svp_acl_mdl_get_num_outputs(const svp_acl_mdl_desc *model_desc);
size_t svp_acl_mdl_get_input_size_by_index(const svp_acl_mdl_desc *model_desc, size_t index);
size_t svp_acl_mdl_get_output_size_by_index(const svp_acl_mdl_desc *model_desc, size_t index);
size_t svp_acl_mdl_get_input_default_stride(const svp_acl_mdl_desc *model_desc, size_t index);
size_t svp_acl_mdl_get_output_default_stride(const svp_acl_mdl_desc *model_desc, size_t index);
svp_acl_error svp_acl_mdl_get_output_dims(const svp_acl_mdl_desc *model_desc, size_t index, svp_acl_mdl_io_dims *dims);
svp_acl_data_type svp_acl_mdl_get_output_data_type(const svp_acl_mdl_desc *model_desc, size_t index);
svp_acl_mdl_dataset *svp_acl_mdl_create_dataset();
svp_acl_error svp_acl_mdl_destroy_dataset(const svp_acl_mdl_dataset *dataset);
svp_acl_error svp_acl_mdl_add_dataset_buffer(svp_acl_mdl_dataset *dataset, svp_acl_data_buffer *data_buffer);
size_t svp_acl_mdl_get_dataset_num_buffers(const svp_acl_mdl_dataset *dataset);
svp_acl_data_buffer *svp_acl_mdl_get_dataset_buffer(const svp_acl_mdl_dataset *dataset, size_t index);
svp_acl_error svp_acl_mdl_execute(uint32_t model_id, const svp_acl_mdl_dataset *input, const svp_acl_mdl_dataset *output);
#endif
