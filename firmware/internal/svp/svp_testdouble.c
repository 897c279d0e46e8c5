//go:build svptestdouble

/* TEST DOUBLE of the SVP ACL runtime, compiled only with the build tag
 * svptestdouble. It models one loaded .om whose file content must begin
 * with "FAKEOM": input 0 is a u8 image [1,3,4,8] with rows padded to 16
 * bytes; output 0 is F32 [1,2,3] (stride 16 bytes), output 1 is S8 [1,2,5]
 * (stride 16 bytes). Execute writes known values derived from the input:
 * out0[r][c] = sum(input) + 10*r + c; out1[r][c] = r*5 + c - 4. It checks
 * the contract the real runtime enforces: init before use, device set,
 * buffers sized size-by-index, strides equal to the default stride.
 * A file beginning "FAKEOMYUV" is an om compiled with a YUV420SP AIPP
 * input of 16x8 (default stride 16, 192 bytes); its input buffer may be
 * pointed elsewhere (svp_acl_update_data_buffer: a camera frame), at any
 * stride of at least 16 with size stride*8*3/2; out0 then holds the sum
 * of the luma plane and the sum of the chroma plane in [0][0], [0][1]. */
#include <stdlib.h>
#include <string.h>
#include "svp_acl_mdl.h"

struct svp_acl_data_buffer { void *data; size_t size, stride; };
struct svp_acl_mdl_desc { uint32_t id; int ok; };
struct svp_acl_mdl_dataset { svp_acl_data_buffer *buf[8]; size_t n; };

static int inited, device = -1, loaded, yuv, external;
static void *owned[8]; /* buffers svp_acl_rt_malloc handed out */

/* Executes whose input lay in memory the runtime did not allocate (a
 * swapped-in camera frame). */
int svp_double_external_inputs(void) { return external; }

svp_acl_error svp_acl_init(const char *c) { (void)c; inited = 1; return SVP_ACL_SUCCESS; }
svp_acl_error svp_acl_finalize(void) { inited = 0; return SVP_ACL_SUCCESS; }
svp_acl_error svp_acl_rt_set_device(int32_t d) { if (!inited) return 100000; device = d; return SVP_ACL_SUCCESS; }
svp_acl_error svp_acl_rt_reset_device(int32_t d) { (void)d; device = -1; return SVP_ACL_SUCCESS; }
svp_acl_error svp_acl_rt_malloc(void **p, size_t n, svp_acl_rt_mem_malloc_policy pol) {
    (void)pol; if (device < 0) return 100001; *p = calloc(1, n);
    for (int i = 0; i < 8 && *p; i++) if (!owned[i]) { owned[i] = *p; break; }
    return *p ? SVP_ACL_SUCCESS : 200000;
}
svp_acl_error svp_acl_rt_free(void *p) {
    for (int i = 0; i < 8; i++) if (owned[i] == p) owned[i] = NULL;
    free(p); return SVP_ACL_SUCCESS;
}
static int is_owned(const void *p) { for (int i = 0; i < 8; i++) if (p && owned[i] == p) return 1; return 0; }
svp_acl_error svp_acl_update_data_buffer(svp_acl_data_buffer *b, void *d, size_t n, size_t s) {
    if (!b || !d || n == 0 || s == 0) return 100006;
    b->data = d; b->size = n; b->stride = s; return SVP_ACL_SUCCESS;
}
svp_acl_data_buffer *svp_acl_create_data_buffer(void *d, size_t n, size_t s) {
    svp_acl_data_buffer *b = calloc(1, sizeof(*b)); if (!b) return NULL; b->data = d; b->size = n; b->stride = s; return b;
}
svp_acl_error svp_acl_destroy_data_buffer(const svp_acl_data_buffer *b) { free((void *)b); return SVP_ACL_SUCCESS; }
void *svp_acl_get_data_buffer_addr(const svp_acl_data_buffer *b) { return b ? b->data : NULL; }

svp_acl_error svp_acl_mdl_load_from_mem(const void *m, size_t n, uint32_t *id) {
    if (!inited || device < 0) return 100000;
    if (n < 6 || memcmp(m, "FAKEOM", 6) != 0) return 500002; /* not an om */
    yuv = n >= 9 && memcmp(m, "FAKEOMYUV", 9) == 0;
    loaded = 1; *id = 7; return SVP_ACL_SUCCESS;
}
svp_acl_error svp_acl_mdl_unload(uint32_t id) { (void)id; loaded = 0; return SVP_ACL_SUCCESS; }
svp_acl_mdl_desc *svp_acl_mdl_create_desc(void) { return calloc(1, sizeof(svp_acl_mdl_desc)); }
svp_acl_error svp_acl_mdl_destroy_desc(svp_acl_mdl_desc *d) { free(d); return SVP_ACL_SUCCESS; }
svp_acl_error svp_acl_mdl_get_desc(svp_acl_mdl_desc *d, uint32_t id) { if (!loaded || id != 7) return 100002; d->id = id; d->ok = 1; return SVP_ACL_SUCCESS; }
size_t svp_acl_mdl_get_num_inputs(svp_acl_mdl_desc *d) { return d->ok ? 1 : 0; }
size_t svp_acl_mdl_get_num_outputs(svp_acl_mdl_desc *d) { return d->ok ? 2 : 0; }
size_t svp_acl_mdl_get_input_default_stride(const svp_acl_mdl_desc *d, size_t i) { return d->ok && i == 0 ? 16 : 0; }
size_t svp_acl_mdl_get_input_size_by_index(svp_acl_mdl_desc *d, size_t i) { return d->ok && i == 0 ? (yuv ? 16 * 8 * 3 / 2 : 3 * 4 * 16) : 0; }
size_t svp_acl_mdl_get_output_default_stride(const svp_acl_mdl_desc *d, size_t i) { return d->ok && i < 2 ? 16 : 0; }
size_t svp_acl_mdl_get_output_size_by_index(svp_acl_mdl_desc *d, size_t i) { return d->ok && i < 2 ? 2 * 16 : 0; }
svp_acl_error svp_acl_mdl_get_output_dims(const svp_acl_mdl_desc *d, size_t i, svp_acl_mdl_io_dims *dims) {
    if (!d->ok || i > 1) return 100002;
    memset(dims, 0, sizeof(*dims));
    strcpy(dims->name, i == 0 ? "out_f32" : "out_s8");
    dims->dim_count = 3; dims->dims[0] = 1; dims->dims[1] = 2; dims->dims[2] = i == 0 ? 3 : 5;
    return SVP_ACL_SUCCESS;
}
svp_acl_data_type svp_acl_mdl_get_output_data_type(const svp_acl_mdl_desc *d, size_t i) {
    (void)d; return i == 0 ? SVP_ACL_FLOAT : SVP_ACL_INT8;
}
svp_acl_mdl_dataset *svp_acl_mdl_create_dataset(void) { return calloc(1, sizeof(svp_acl_mdl_dataset)); }
svp_acl_error svp_acl_mdl_destroy_dataset(const svp_acl_mdl_dataset *s) { free((void *)s); return SVP_ACL_SUCCESS; }
svp_acl_error svp_acl_mdl_add_dataset_buffer(svp_acl_mdl_dataset *s, svp_acl_data_buffer *b) {
    if (s->n == 8) return 100003; s->buf[s->n++] = b; return SVP_ACL_SUCCESS;
}
svp_acl_data_buffer *svp_acl_mdl_get_dataset_buffer(const svp_acl_mdl_dataset *s, size_t i) { return i < s->n ? s->buf[i] : NULL; }

static svp_acl_error execute_yuv(const svp_acl_data_buffer *in, const svp_acl_mdl_dataset *out) {
    size_t s = in->stride;
    if (s < 16 || in->size != s * 8 * 3 / 2) return 100005;
    if (!is_owned(in->data)) external++;
    const uint8_t *px = in->data;
    float ysum = 0, csum = 0;
    for (int r = 0; r < 8; r++) for (int c = 0; c < 16; c++) ysum += px[r * s + c];
    for (int r = 0; r < 4; r++) for (int c = 0; c < 16; c++) csum += px[(8 + r) * s + c];
    uint8_t *o0 = out->buf[0]->data; int8_t *o1 = out->buf[1]->data;
    memset(o0, 0, 32); memset(o1, 0, 32);
    ((float *)o0)[0] = ysum; ((float *)o0)[1] = csum;
    return SVP_ACL_SUCCESS;
}
svp_acl_error svp_acl_mdl_execute(uint32_t id, const svp_acl_mdl_dataset *in, const svp_acl_mdl_dataset *out) {
    if (!loaded || id != 7 || in->n != 1 || out->n != 2) return 100004;
    for (size_t k = 0; k < 2; k++) if (out->buf[k]->size != 32 || out->buf[k]->stride != 16) return 100005;
    if (yuv) return execute_yuv(in->buf[0], out);
    if (in->buf[0]->size != 3 * 4 * 16 || in->buf[0]->stride != 16) return 100005;
    const uint8_t *px = in->buf[0]->data;
    float sum = 0;
    for (int r = 0; r < 12; r++) for (int c = 0; c < 8; c++) sum += px[r * 16 + c];
    uint8_t *o0 = out->buf[0]->data; int8_t *o1 = out->buf[1]->data;
    for (int r = 0; r < 2; r++) {
        float *row = (float *)(o0 + r * 16);
        for (int c = 0; c < 3; c++) row[c] = sum + 10 * r + c;
        for (int c = 0; c < 5; c++) o1[r * 16 + c] = (int8_t)(r * 5 + c - 4);
    }
    return SVP_ACL_SUCCESS;
}
