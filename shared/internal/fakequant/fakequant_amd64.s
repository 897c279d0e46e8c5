#include "textflag.h"

// The quiet NaN Float16 gives for a NaN input, and the sign mask.
DATA ·kqnan+0(SB)/4, $0x7fc00000
DATA ·kqnan+4(SB)/4, $0x7fc00000
DATA ·kqnan+8(SB)/4, $0x7fc00000
DATA ·kqnan+12(SB)/4, $0x7fc00000
DATA ·kqnan+16(SB)/4, $0x7fc00000
DATA ·kqnan+20(SB)/4, $0x7fc00000
DATA ·kqnan+24(SB)/4, $0x7fc00000
DATA ·kqnan+28(SB)/4, $0x7fc00000
GLOBL ·kqnan(SB), RODATA|NOPTR, $32

DATA ·ksign+0(SB)/4, $0x80000000
DATA ·ksign+4(SB)/4, $0x80000000
DATA ·ksign+8(SB)/4, $0x80000000
DATA ·ksign+12(SB)/4, $0x80000000
DATA ·ksign+16(SB)/4, $0x80000000
DATA ·ksign+20(SB)/4, $0x80000000
DATA ·ksign+24(SB)/4, $0x80000000
DATA ·ksign+28(SB)/4, $0x80000000
GLOBL ·ksign(SB), RODATA|NOPTR, $32

// func uniformAVX(dst, src *float32, n int, scale, offset, lo, hi, inv float32)
// n is a positive multiple of 8. The operand order of the clamp keeps a
// NaN a NaN, as Go's min and max do: VMINPS/VMAXPS return their second
// source when either is NaN, and q is that source.
TEXT ·uniformAVX(SB), NOSPLIT, $0-44
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS scale+24(FP), Y1
	VBROADCASTSS offset+28(FP), Y2
	VBROADCASTSS lo+32(FP), Y3
	VBROADCASTSS hi+36(FP), Y4
	VBROADCASTSS inv+40(FP), Y5
uloop:
	VMOVUPS (SI), Y0
	VMULPS Y1, Y0, Y0
	VROUNDPS $0, Y0, Y0
	VADDPS Y2, Y0, Y0
	VMINPS Y0, Y4, Y0
	VMAXPS Y0, Y3, Y0
	VSUBPS Y2, Y0, Y0
	VMULPS Y5, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ uloop
	VZEROUPPER
	RET

// func float16F16C(dst, src *float32, n int)
// n is a positive multiple of 8. VCVTPS2PH with immediate 0 rounds half
// to even; NaNs are replaced by the quiet NaN of their sign.
TEXT ·float16F16C(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VMOVUPS ·kqnan(SB), Y6
	VMOVUPS ·ksign(SB), Y7
hloop:
	VMOVUPS (SI), Y0
	VCVTPS2PH $0, Y0, X1
	VCVTPH2PS X1, Y1
	VCMPPS $3, Y0, Y0, Y2
	VANDPS Y7, Y0, Y3
	VORPS Y6, Y3, Y3
	VBLENDVPS Y2, Y3, Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ hloop
	VZEROUPPER
	RET
