//go:build svptestdouble

/* TEST DOUBLE of the SVP ACL runtime, compiled only with the build tag
 * svptestdouble, against the SDK's headers when the tests find them and
 * against testdouble/ otherwise. It imitates what the real runtime does
 * where the binding can get it wrong:
 *
 * - A model reports its user inputs plus two extra inputs, the task buffer
 *   (index n-2) and the work buffer (n-1), which the caller allocates with
 *   svp_acl_rt_malloc at the size and default stride the model states and
 *   appends to the input dataset, as the vendor's SVP NPU sample does
 *   (SAMPLE_SVP_NPU_EXTRA_INPUT_NUM 2). Execute refuses a dataset without
 *   them, or with buffers of another size, stride or origin.
 * - Every descriptor, dataset, data buffer and allocation is counted, so a
 *   test can check that Close (and every failed Load) gives all back;
 *   svp_double_fail_malloc makes a chosen svp_acl_rt_malloc fail.
 *
 * Models (the .om's first bytes): "FAKEOM" has one user input, a u8 image
 * [1,3,4,8] with rows padded to 16 bytes; output 0 is F32 [1,2,3] (stride
 * 16 bytes), output 1 is S8 [1,2,5] (stride 16 bytes). Execute writes
 * out0[r][c] = sum(input) + 10*r + c; out1[r][c] = r*5 + c - 4.
 * "FAKEOMYUV" has a YUV420SP AIPP input of 16x8 (default stride 16, 192
 * bytes) whose buffer may be pointed elsewhere (svp_acl_update_data_buffer:
 * a camera frame) at any stride of at least 16 with size stride*8*3/2;
 * out0 then holds the luma sum and the chroma sum in [0][0], [0][1].
 * "FAKEOM2IN" has two user inputs of the FAKEOM kind (a model the board,
 * which feeds one image, must refuse). */
#include <stdlib.h>
#include <string.h>
#include "svp_acl.h"
#include "svp_acl_mdl.h"

#define EXTRA_INPUTS 2
#define TASK_SIZE 256
#define TASK_STRIDE 16
#define WORK_SIZE 1024
#define WORK_STRIDE 32
#define MAX_BUFS 16
#define MAX_ALLOCS 64

struct svp_acl_data_buffer { void *data; size_t size, stride; };
struct svp_acl_mdl_desc { uint32_t id; int ok; };
struct svp_acl_mdl_dataset { svp_acl_data_buffer *buf[MAX_BUFS]; size_t n; };

static int inited, device = -1, loaded, yuv, user_inputs, external;
static int live_descs, live_datasets, live_buffers, fail_malloc_in;
static struct { const void *p; size_t n; } owned[MAX_ALLOCS]; /* what svp_acl_rt_malloc handed out */

/* Executes whose input lay in memory the runtime did not allocate (a
 * swapped-in camera frame). */
int svp_double_external_inputs(void) { return external; }
/* Everything handed out and not given back: allocations, data buffers,
 * datasets, descriptors and a loaded model. */
int svp_double_live(void) {
    int n = live_descs + live_datasets + live_buffers + loaded;
    for (int i = 0; i < MAX_ALLOCS; i++) n += owned[i].p != NULL;
    return n;
}
/* The n-th svp_acl_rt_malloc from now fails (0: none). */
void svp_double_fail_malloc(int n) { fail_malloc_in = n; }
/* Whether this file was compiled against the fallback headers. */
int svp_double_fallback_headers(void) {
#ifdef NNIESCOPE_FALLBACK_HEADERS
    return 1;
#else
    return 0;
#endif
}

svp_acl_error svp_acl_init(const char *c) { (void)c; inited = 1; return SVP_ACL_SUCCESS; }
svp_acl_error svp_acl_finalize() { inited = 0; return SVP_ACL_SUCCESS; }
svp_acl_error svp_acl_rt_set_device(int32_t d) { if (!inited) return SVP_ACL_ERROR_UNINITIALIZE; device = d; return SVP_ACL_SUCCESS; }
svp_acl_error svp_acl_rt_reset_device(int32_t d) { (void)d; device = -1; return SVP_ACL_SUCCESS; }
svp_acl_error svp_acl_rt_malloc(void **p, size_t n, svp_acl_rt_mem_malloc_policy pol) {
    (void)pol;
    if (device < 0) return SVP_ACL_ERROR_UNINITIALIZE;
    if (fail_malloc_in > 0 && --fail_malloc_in == 0) return SVP_ACL_ERROR_BAD_ALLOC;
    for (int i = 0; i < MAX_ALLOCS; i++) {
        if (owned[i].p) continue;
        if (!(*p = malloc(n))) return SVP_ACL_ERROR_BAD_ALLOC;
        memset(*p, 0xA5, n); /* device memory is not zeroed: the caller clears what must be */
        owned[i].p = *p; owned[i].n = n;
        return SVP_ACL_SUCCESS;
    }
    return SVP_ACL_ERROR_BAD_ALLOC;
}
svp_acl_error svp_acl_rt_free(const void *p) {
    for (int i = 0; i < MAX_ALLOCS; i++) {
        if (p && owned[i].p == p) { owned[i].p = NULL; free((void *)p); return SVP_ACL_SUCCESS; }
    }
    return SVP_ACL_ERROR_INVALID_PARAM;
}
static size_t owned_size(const void *p) {
    for (int i = 0; i < MAX_ALLOCS; i++) if (p && owned[i].p == p) return owned[i].n;
    return 0;
}
svp_acl_error svp_acl_update_data_buffer(svp_acl_data_buffer *b, void *d, size_t n, size_t s) {
    if (!b || !d || n == 0 || s == 0) return SVP_ACL_ERROR_INVALID_PARAM;
    b->data = d; b->size = n; b->stride = s; return SVP_ACL_SUCCESS;
}
svp_acl_data_buffer *svp_acl_create_data_buffer(void *d, size_t n, size_t s) {
    svp_acl_data_buffer *b = calloc(1, sizeof(*b));
    if (!b) return NULL;
    b->data = d; b->size = n; b->stride = s; live_buffers++;
    return b;
}
svp_acl_error svp_acl_destroy_data_buffer(const svp_acl_data_buffer *b) {
    if (!b) return SVP_ACL_ERROR_INVALID_PARAM;
    free((void *)b); live_buffers--; return SVP_ACL_SUCCESS;
}
void *svp_acl_get_data_buffer_addr(const svp_acl_data_buffer *b) { return b ? b->data : NULL; }

svp_acl_error svp_acl_mdl_load_from_mem(const void *m, size_t n, uint32_t *id) {
    if (!inited || device < 0) return SVP_ACL_ERROR_UNINITIALIZE;
    if (n < 6 || memcmp(m, "FAKEOM", 6) != 0) return SVP_ACL_ERROR_GE_FAILURE; /* not an om */
    yuv = n >= 9 && memcmp(m, "FAKEOMYUV", 9) == 0;
    user_inputs = n >= 9 && memcmp(m, "FAKEOM2IN", 9) == 0 ? 2 : 1;
    loaded = 1; *id = 7; return SVP_ACL_SUCCESS;
}
svp_acl_error svp_acl_mdl_unload(uint32_t id) { if (!loaded || id != 7) return SVP_ACL_ERROR_INVALID_MODEL_ID; loaded = 0; return SVP_ACL_SUCCESS; }
svp_acl_mdl_desc *svp_acl_mdl_create_desc() { svp_acl_mdl_desc *d = calloc(1, sizeof(svp_acl_mdl_desc)); if (d) live_descs++; return d; }
svp_acl_error svp_acl_mdl_destroy_desc(svp_acl_mdl_desc *d) { if (!d) return SVP_ACL_ERROR_INVALID_PARAM; free(d); live_descs--; return SVP_ACL_SUCCESS; }
svp_acl_error svp_acl_mdl_get_desc(svp_acl_mdl_desc *d, uint32_t id) { if (!loaded || id != 7) return SVP_ACL_ERROR_INVALID_MODEL_ID; d->id = id; d->ok = 1; return SVP_ACL_SUCCESS; }
size_t svp_acl_mdl_get_num_inputs(const svp_acl_mdl_desc *d) { return d->ok ? (size_t)user_inputs + EXTRA_INPUTS : 0; }
size_t svp_acl_mdl_get_num_outputs(const svp_acl_mdl_desc *d) { return d->ok ? 2 : 0; }
size_t svp_acl_mdl_get_input_default_stride(const svp_acl_mdl_desc *d, size_t i) {
    if (!d->ok) return 0;
    if (i < (size_t)user_inputs) return 16;
    return i == (size_t)user_inputs ? TASK_STRIDE : i == (size_t)user_inputs + 1 ? WORK_STRIDE : 0;
}
size_t svp_acl_mdl_get_input_size_by_index(const svp_acl_mdl_desc *d, size_t i) {
    if (!d->ok) return 0;
    if (i < (size_t)user_inputs) return yuv ? 16 * 8 * 3 / 2 : 3 * 4 * 16;
    return i == (size_t)user_inputs ? TASK_SIZE : i == (size_t)user_inputs + 1 ? WORK_SIZE : 0;
}
size_t svp_acl_mdl_get_output_default_stride(const svp_acl_mdl_desc *d, size_t i) { return d->ok && i < 2 ? 16 : 0; }
size_t svp_acl_mdl_get_output_size_by_index(const svp_acl_mdl_desc *d, size_t i) { return d->ok && i < 2 ? 2 * 16 : 0; }
svp_acl_error svp_acl_mdl_get_output_dims(const svp_acl_mdl_desc *d, size_t i, svp_acl_mdl_io_dims *dims) {
    if (!d->ok || i > 1) return SVP_ACL_ERROR_INVALID_PARAM;
    memset(dims, 0, sizeof(*dims));
    strcpy(dims->name, i == 0 ? "out_f32" : "out_s8");
    dims->dim_count = 3; dims->dims[0] = 1; dims->dims[1] = 2; dims->dims[2] = i == 0 ? 3 : 5;
    return SVP_ACL_SUCCESS;
}
svp_acl_data_type svp_acl_mdl_get_output_data_type(const svp_acl_mdl_desc *d, size_t i) {
    (void)d; return i == 0 ? SVP_ACL_FLOAT : SVP_ACL_INT8;
}
svp_acl_mdl_dataset *svp_acl_mdl_create_dataset() { svp_acl_mdl_dataset *s = calloc(1, sizeof(svp_acl_mdl_dataset)); if (s) live_datasets++; return s; }
svp_acl_error svp_acl_mdl_destroy_dataset(const svp_acl_mdl_dataset *s) { if (!s) return SVP_ACL_ERROR_INVALID_PARAM; free((void *)s); live_datasets--; return SVP_ACL_SUCCESS; }
svp_acl_error svp_acl_mdl_add_dataset_buffer(svp_acl_mdl_dataset *s, svp_acl_data_buffer *b) {
    if (!s || !b || s->n == MAX_BUFS) return SVP_ACL_ERROR_INVALID_PARAM;
    s->buf[s->n++] = b; return SVP_ACL_SUCCESS;
}
size_t svp_acl_mdl_get_dataset_num_buffers(const svp_acl_mdl_dataset *s) { return s ? s->n : 0; }
svp_acl_data_buffer *svp_acl_mdl_get_dataset_buffer(const svp_acl_mdl_dataset *s, size_t i) { return s && i < s->n ? s->buf[i] : NULL; }

/* extra_ok: input i is a task or work buffer created as the sample creates
 * it: from svp_acl_rt_malloc, of the size and default stride input i
 * states, and no other input's memory. */
static int extra_ok(const svp_acl_mdl_dataset *in, size_t i, size_t size, size_t stride) {
    const svp_acl_data_buffer *b = in->buf[i];
    if (b->size != size || b->stride != stride || owned_size(b->data) < size) return 0;
    for (size_t k = 0; k < in->n; k++) if (k != i && in->buf[k]->data == b->data) return 0;
    return 1;
}

static svp_acl_error execute_yuv(const svp_acl_data_buffer *in, const svp_acl_mdl_dataset *out) {
    size_t s = in->stride;
    if (s < 16 || in->size != s * 8 * 3 / 2) return SVP_ACL_ERROR_INVALID_PARAM;
    if (!owned_size(in->data)) external++;
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
    if (!loaded || id != 7) return SVP_ACL_ERROR_INVALID_MODEL_ID;
    size_t n = (size_t)user_inputs;
    if (!in || !out || in->n != n + EXTRA_INPUTS || out->n != 2) return SVP_ACL_ERROR_INVALID_PARAM;
    if (!extra_ok(in, n, TASK_SIZE, TASK_STRIDE) || !extra_ok(in, n + 1, WORK_SIZE, WORK_STRIDE)) return SVP_ACL_ERROR_INVALID_PARAM;
    for (size_t k = 0; k < 2; k++) if (out->buf[k]->size != 32 || out->buf[k]->stride != 16) return SVP_ACL_ERROR_INVALID_PARAM;
    if (yuv) return execute_yuv(in->buf[0], out);
    float sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (in->buf[i]->size != 3 * 4 * 16 || in->buf[i]->stride != 16) return SVP_ACL_ERROR_INVALID_PARAM;
        const uint8_t *px = in->buf[i]->data;
        for (int r = 0; r < 12; r++) for (int c = 0; c < 8; c++) sum += px[r * 16 + c];
    }
    uint8_t *o0 = out->buf[0]->data; int8_t *o1 = out->buf[1]->data;
    for (int r = 0; r < 2; r++) {
        float *row = (float *)(o0 + r * 16);
        for (int c = 0; c < 3; c++) row[c] = sum + 10 * r + c;
        for (int c = 0; c < 5; c++) o1[r * 16 + c] = (int8_t)(r * 5 + c - 4);
    }
    return SVP_ACL_SUCCESS;
}
