/* TEST DOUBLE: the frames both SDK doubles hand out, by VPSS group:
 *   0: 16x8 YVU420SP (NV21), rows 32 bytes apart (the stride larger than
 *      the width, padding 255): Y = 50 + 10x; chroma V 200, U 128 in the
 *      left half, V 128, U 200 in the right;
 *   1: no frame within the timeout (the SDK's BUF_EMPTY);
 *   2: a 16-pixel-wide frame whose stride says 8 bytes;
 *   3: a format that is not 4:2:0 semi-planar;
 *   4: group 0's frame in one block, chroma right after luma (as VPSS
 *      lays out a VB block), so it can be mapped and handed over whole.
 * It counts frames handed out and not released, and mappings not
 * unmapped: a leaked VPSS frame stalls a real camera. */
#ifndef NNIESCOPE_VPSS_FRAMES_H
#define NNIESCOPE_VPSS_FRAMES_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int frames_out, maps_out;
static uint8_t *one_block; /* the last frame allocated as one block */

/* make_frame fills the planes of group grp's frame; 0 on success, 1 for
 * "no frame", 2 for "not semi-planar". */
static int make_frame(int grp, uint32_t *w, uint32_t *h, uint32_t *stride, uint8_t **y, uint8_t **uv) {
    if (grp == 1) return 1;
    *w = 16; *h = 8; *stride = grp == 2 ? 8 : 32;
    uint32_t s = 32; /* the planes are allocated at the true stride */
    if (grp == 4) { *y = malloc(s * 12); *uv = *y + s * 8; one_block = *y; } else { *y = malloc(s * 8); *uv = malloc(s * 4); }
    memset(*y, 255, s * 8); memset(*uv, 255, s * 4);
    for (uint32_t r = 0; r < 8; r++) for (uint32_t x = 0; x < 16; x++) (*y)[r * s + x] = (uint8_t)(50 + 10 * x);
    for (uint32_t r = 0; r < 4; r++) for (uint32_t x = 0; x < 16; x += 2) {
        int left = x < 8;
        (*uv)[r * s + x] = left ? 200 : 128;     /* V (NV21: V first) */
        (*uv)[r * s + x + 1] = left ? 128 : 200; /* U */
    }
    frames_out++;
    return grp == 3 ? 2 : 0;
}

static void free_frame(uint64_t y, uint64_t uv) {
    free((void *)(uintptr_t)y);
    if ((uint8_t *)(uintptr_t)y != one_block) free((void *)(uintptr_t)uv); /* group 4's chroma is in the luma's block */
    frames_out--;
}
int nsv_double_outstanding(void) { return frames_out + 1000 * maps_out; }
#endif
