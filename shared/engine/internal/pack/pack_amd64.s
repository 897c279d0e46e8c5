#include "textflag.h"

// func im2col3x3AVX2(dst, src *float32, channels, plane, row int)
// For a strip of 16 output pixels of one row of a 3x3 stride-1 convolution
// whose taps all fall inside the image: src points at the top-left tap of
// the first pixel in channel 0; plane and row are strides in floats. Writes
// channels*9 rows of 16 floats, k = (channel, ky, kx).
TEXT ·im2col3x3AVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ channels+16(FP), CX
	MOVQ plane+24(FP), R8
	SHLQ $2, R8
	MOVQ row+32(FP), R9
	SHLQ $2, R9
chloop:
	MOVQ SI, AX
	VMOVUPS 0(AX), Y0
	VMOVUPS 32(AX), Y1
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS 4(AX), Y0
	VMOVUPS 36(AX), Y1
	VMOVUPS Y0, 64(DI)
	VMOVUPS Y1, 96(DI)
	VMOVUPS 8(AX), Y0
	VMOVUPS 40(AX), Y1
	VMOVUPS Y0, 128(DI)
	VMOVUPS Y1, 160(DI)
	ADDQ R9, AX
	VMOVUPS 0(AX), Y0
	VMOVUPS 32(AX), Y1
	VMOVUPS Y0, 192(DI)
	VMOVUPS Y1, 224(DI)
	VMOVUPS 4(AX), Y0
	VMOVUPS 36(AX), Y1
	VMOVUPS Y0, 256(DI)
	VMOVUPS Y1, 288(DI)
	VMOVUPS 8(AX), Y0
	VMOVUPS 40(AX), Y1
	VMOVUPS Y0, 320(DI)
	VMOVUPS Y1, 352(DI)
	ADDQ R9, AX
	VMOVUPS 0(AX), Y0
	VMOVUPS 32(AX), Y1
	VMOVUPS Y0, 384(DI)
	VMOVUPS Y1, 416(DI)
	VMOVUPS 4(AX), Y0
	VMOVUPS 36(AX), Y1
	VMOVUPS Y0, 448(DI)
	VMOVUPS Y1, 480(DI)
	VMOVUPS 8(AX), Y0
	VMOVUPS 40(AX), Y1
	VMOVUPS Y0, 512(DI)
	VMOVUPS Y1, 544(DI)
	ADDQ $576, DI
	ADDQ R8, SI
	DECQ CX
	JNZ chloop
	VZEROUPPER
	RET

// func rows16AVX2(dst, src *float32, rows, stride int)
// Copies rows strips of 16 floats, src rows stride floats apart, into dst
// packed (the 1x1 convolution's panel).
TEXT ·rows16AVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rows+16(FP), CX
	MOVQ stride+24(FP), R8
	SHLQ $2, R8
rloop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ $64, DI
	ADDQ R8, SI
	DECQ CX
	JNZ rloop
	VZEROUPPER
	RET
