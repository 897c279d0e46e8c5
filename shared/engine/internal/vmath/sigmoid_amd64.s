#include "textflag.h"

DATA ·klog2e+0(SB)/4, $0x3fb8aa3b
DATA ·klog2e+4(SB)/4, $0x3fb8aa3b
DATA ·klog2e+8(SB)/4, $0x3fb8aa3b
DATA ·klog2e+12(SB)/4, $0x3fb8aa3b
DATA ·klog2e+16(SB)/4, $0x3fb8aa3b
DATA ·klog2e+20(SB)/4, $0x3fb8aa3b
DATA ·klog2e+24(SB)/4, $0x3fb8aa3b
DATA ·klog2e+28(SB)/4, $0x3fb8aa3b
GLOBL ·klog2e(SB), RODATA|NOPTR, $32

DATA ·kln2hi+0(SB)/4, $0x3f318000
DATA ·kln2hi+4(SB)/4, $0x3f318000
DATA ·kln2hi+8(SB)/4, $0x3f318000
DATA ·kln2hi+12(SB)/4, $0x3f318000
DATA ·kln2hi+16(SB)/4, $0x3f318000
DATA ·kln2hi+20(SB)/4, $0x3f318000
DATA ·kln2hi+24(SB)/4, $0x3f318000
DATA ·kln2hi+28(SB)/4, $0x3f318000
GLOBL ·kln2hi(SB), RODATA|NOPTR, $32

DATA ·kln2lo+0(SB)/4, $0xb95e8083
DATA ·kln2lo+4(SB)/4, $0xb95e8083
DATA ·kln2lo+8(SB)/4, $0xb95e8083
DATA ·kln2lo+12(SB)/4, $0xb95e8083
DATA ·kln2lo+16(SB)/4, $0xb95e8083
DATA ·kln2lo+20(SB)/4, $0xb95e8083
DATA ·kln2lo+24(SB)/4, $0xb95e8083
DATA ·kln2lo+28(SB)/4, $0xb95e8083
GLOBL ·kln2lo(SB), RODATA|NOPTR, $32

DATA ·kc6+0(SB)/4, $0x39506967
DATA ·kc6+4(SB)/4, $0x39506967
DATA ·kc6+8(SB)/4, $0x39506967
DATA ·kc6+12(SB)/4, $0x39506967
DATA ·kc6+16(SB)/4, $0x39506967
DATA ·kc6+20(SB)/4, $0x39506967
DATA ·kc6+24(SB)/4, $0x39506967
DATA ·kc6+28(SB)/4, $0x39506967
GLOBL ·kc6(SB), RODATA|NOPTR, $32

DATA ·kc5+0(SB)/4, $0x3ab743ce
DATA ·kc5+4(SB)/4, $0x3ab743ce
DATA ·kc5+8(SB)/4, $0x3ab743ce
DATA ·kc5+12(SB)/4, $0x3ab743ce
DATA ·kc5+16(SB)/4, $0x3ab743ce
DATA ·kc5+20(SB)/4, $0x3ab743ce
DATA ·kc5+24(SB)/4, $0x3ab743ce
DATA ·kc5+28(SB)/4, $0x3ab743ce
GLOBL ·kc5(SB), RODATA|NOPTR, $32

DATA ·kc4+0(SB)/4, $0x3c088908
DATA ·kc4+4(SB)/4, $0x3c088908
DATA ·kc4+8(SB)/4, $0x3c088908
DATA ·kc4+12(SB)/4, $0x3c088908
DATA ·kc4+16(SB)/4, $0x3c088908
DATA ·kc4+20(SB)/4, $0x3c088908
DATA ·kc4+24(SB)/4, $0x3c088908
DATA ·kc4+28(SB)/4, $0x3c088908
GLOBL ·kc4(SB), RODATA|NOPTR, $32

DATA ·kc3+0(SB)/4, $0x3d2aa9c1
DATA ·kc3+4(SB)/4, $0x3d2aa9c1
DATA ·kc3+8(SB)/4, $0x3d2aa9c1
DATA ·kc3+12(SB)/4, $0x3d2aa9c1
DATA ·kc3+16(SB)/4, $0x3d2aa9c1
DATA ·kc3+20(SB)/4, $0x3d2aa9c1
DATA ·kc3+24(SB)/4, $0x3d2aa9c1
DATA ·kc3+28(SB)/4, $0x3d2aa9c1
GLOBL ·kc3(SB), RODATA|NOPTR, $32

DATA ·kc2+0(SB)/4, $0x3e2aaaaa
DATA ·kc2+4(SB)/4, $0x3e2aaaaa
DATA ·kc2+8(SB)/4, $0x3e2aaaaa
DATA ·kc2+12(SB)/4, $0x3e2aaaaa
DATA ·kc2+16(SB)/4, $0x3e2aaaaa
DATA ·kc2+20(SB)/4, $0x3e2aaaaa
DATA ·kc2+24(SB)/4, $0x3e2aaaaa
DATA ·kc2+28(SB)/4, $0x3e2aaaaa
GLOBL ·kc2(SB), RODATA|NOPTR, $32

DATA ·kc1+0(SB)/4, $0x3f000000
DATA ·kc1+4(SB)/4, $0x3f000000
DATA ·kc1+8(SB)/4, $0x3f000000
DATA ·kc1+12(SB)/4, $0x3f000000
DATA ·kc1+16(SB)/4, $0x3f000000
DATA ·kc1+20(SB)/4, $0x3f000000
DATA ·kc1+24(SB)/4, $0x3f000000
DATA ·kc1+28(SB)/4, $0x3f000000
GLOBL ·kc1(SB), RODATA|NOPTR, $32

DATA ·kone+0(SB)/4, $0x3f800000
DATA ·kone+4(SB)/4, $0x3f800000
DATA ·kone+8(SB)/4, $0x3f800000
DATA ·kone+12(SB)/4, $0x3f800000
DATA ·kone+16(SB)/4, $0x3f800000
DATA ·kone+20(SB)/4, $0x3f800000
DATA ·kone+24(SB)/4, $0x3f800000
DATA ·kone+28(SB)/4, $0x3f800000
GLOBL ·kone(SB), RODATA|NOPTR, $32

DATA ·kmax+0(SB)/4, $0x42b00000
DATA ·kmax+4(SB)/4, $0x42b00000
DATA ·kmax+8(SB)/4, $0x42b00000
DATA ·kmax+12(SB)/4, $0x42b00000
DATA ·kmax+16(SB)/4, $0x42b00000
DATA ·kmax+20(SB)/4, $0x42b00000
DATA ·kmax+24(SB)/4, $0x42b00000
DATA ·kmax+28(SB)/4, $0x42b00000
GLOBL ·kmax(SB), RODATA|NOPTR, $32

DATA ·kmin+0(SB)/4, $0xc2ae0000
DATA ·kmin+4(SB)/4, $0xc2ae0000
DATA ·kmin+8(SB)/4, $0xc2ae0000
DATA ·kmin+12(SB)/4, $0xc2ae0000
DATA ·kmin+16(SB)/4, $0xc2ae0000
DATA ·kmin+20(SB)/4, $0xc2ae0000
DATA ·kmin+24(SB)/4, $0xc2ae0000
DATA ·kmin+28(SB)/4, $0xc2ae0000
GLOBL ·kmin(SB), RODATA|NOPTR, $32

DATA ·ki127+0(SB)/4, $0x0000007f
DATA ·ki127+4(SB)/4, $0x0000007f
DATA ·ki127+8(SB)/4, $0x0000007f
DATA ·ki127+12(SB)/4, $0x0000007f
DATA ·ki127+16(SB)/4, $0x0000007f
DATA ·ki127+20(SB)/4, $0x0000007f
DATA ·ki127+24(SB)/4, $0x0000007f
DATA ·ki127+28(SB)/4, $0x0000007f
GLOBL ·ki127(SB), RODATA|NOPTR, $32

// func expAVX2(dst, src *float32, n int)
// dst[i] = exp(src[i]) for n a multiple of 8, as Exp, eight lanes at a time
// (inputs clamped to [-87, 88]).
TEXT ·expAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VXORPS Y9, Y9, Y9
eloop:
	VMOVUPS (SI), Y0
	VMINPS ·kmax(SB), Y0, Y0
	VMAXPS ·kmin(SB), Y0, Y0
	VMULPS ·klog2e(SB), Y0, Y1
	VROUNDPS $0, Y1, Y1
	VMOVAPS Y0, Y2
	VFNMADD231PS ·kln2hi(SB), Y1, Y2
	VFNMADD231PS ·kln2lo(SB), Y1, Y2
	VMOVUPS ·kc6(SB), Y3
	VFMADD213PS ·kc5(SB), Y2, Y3
	VFMADD213PS ·kc4(SB), Y2, Y3
	VFMADD213PS ·kc3(SB), Y2, Y3
	VFMADD213PS ·kc2(SB), Y2, Y3
	VFMADD213PS ·kc1(SB), Y2, Y3
	VMULPS Y2, Y2, Y4
	VADDPS ·kone(SB), Y2, Y5
	VFMADD213PS Y5, Y4, Y3
	VCVTPS2DQ Y1, Y1
	VPADDD ·ki127(SB), Y1, Y1
	VPSLLD $23, Y1, Y1
	VMULPS Y1, Y3, Y3
	VMOVUPS Y3, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ eloop
	VZEROUPPER
	RET

// func sigmoidAVX2(dst, src *float32, n int)
// dst[i] = 1/(1+exp(-src[i])) for n a multiple of 8: exp by 2^k·poly(r) as
// in exp32 (elementwise.go), eight lanes at a time.
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VXORPS Y9, Y9, Y9
loop:
	VMOVUPS (SI), Y0
	VSUBPS Y0, Y9, Y0
	VMINPS ·kmax(SB), Y0, Y0
	VMAXPS ·kmin(SB), Y0, Y0
	VMULPS ·klog2e(SB), Y0, Y1
	VROUNDPS $0, Y1, Y1
	VMOVAPS Y0, Y2
	VFNMADD231PS ·kln2hi(SB), Y1, Y2
	VFNMADD231PS ·kln2lo(SB), Y1, Y2
	VMOVUPS ·kc6(SB), Y3
	VFMADD213PS ·kc5(SB), Y2, Y3
	VFMADD213PS ·kc4(SB), Y2, Y3
	VFMADD213PS ·kc3(SB), Y2, Y3
	VFMADD213PS ·kc2(SB), Y2, Y3
	VFMADD213PS ·kc1(SB), Y2, Y3
	VMULPS Y2, Y2, Y4
	VADDPS ·kone(SB), Y2, Y5
	VFMADD213PS Y5, Y4, Y3
	VCVTPS2DQ Y1, Y1
	VPADDD ·ki127(SB), Y1, Y1
	VPSLLD $23, Y1, Y1
	VMULPS Y1, Y3, Y3
	VADDPS ·kone(SB), Y3, Y3
	VMOVUPS ·kone(SB), Y4
	VDIVPS Y3, Y4, Y4
	VMOVUPS Y4, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ loop
	VZEROUPPER
	RET

// func siluAVX2(dst, src *float32, n int)
// dst[i] = src[i]*sigmoid(src[i]) (SiLU), as sigmoidAVX2 with one more multiply.
// Below: // dst[i] = 1/(1+exp(-src[i])) for n a multiple of 8: exp by 2^k·poly(r) as
// in exp32 (elementwise.go), eight lanes at a time.
TEXT ·siluAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VXORPS Y9, Y9, Y9
lloop:
	VMOVUPS (SI), Y0
	VSUBPS Y0, Y9, Y0
	VMINPS ·kmax(SB), Y0, Y0
	VMAXPS ·kmin(SB), Y0, Y0
	VMULPS ·klog2e(SB), Y0, Y1
	VROUNDPS $0, Y1, Y1
	VMOVAPS Y0, Y2
	VFNMADD231PS ·kln2hi(SB), Y1, Y2
	VFNMADD231PS ·kln2lo(SB), Y1, Y2
	VMOVUPS ·kc6(SB), Y3
	VFMADD213PS ·kc5(SB), Y2, Y3
	VFMADD213PS ·kc4(SB), Y2, Y3
	VFMADD213PS ·kc3(SB), Y2, Y3
	VFMADD213PS ·kc2(SB), Y2, Y3
	VFMADD213PS ·kc1(SB), Y2, Y3
	VMULPS Y2, Y2, Y4
	VADDPS ·kone(SB), Y2, Y5
	VFMADD213PS Y5, Y4, Y3
	VCVTPS2DQ Y1, Y1
	VPADDD ·ki127(SB), Y1, Y1
	VPSLLD $23, Y1, Y1
	VMULPS Y1, Y3, Y3
	VADDPS ·kone(SB), Y3, Y3
	VMOVUPS ·kone(SB), Y4
	VDIVPS Y3, Y4, Y4
	VMULPS (SI), Y4, Y4
	VMOVUPS Y4, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ lloop
	VZEROUPPER
	RET

// func siluRowsAVX2(p *float32, rows, stride int)
// SiLU in place on 16 floats at p, p+stride, … (rows of them): a GEMM
// panel's columns, one call per panel instead of one per row.
TEXT ·siluRowsAVX2(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), SI
	MOVQ rows+8(FP), CX
	MOVQ stride+16(FP), R8
	SHLQ $2, R8
	VXORPS Y9, Y9, Y9
rowsloop:
	MOVQ SI, DI
	VMOVUPS (SI), Y0
	VSUBPS Y0, Y9, Y0
	VMINPS ·kmax(SB), Y0, Y0
	VMAXPS ·kmin(SB), Y0, Y0
	VMULPS ·klog2e(SB), Y0, Y1
	VROUNDPS $0, Y1, Y1
	VMOVAPS Y0, Y2
	VFNMADD231PS ·kln2hi(SB), Y1, Y2
	VFNMADD231PS ·kln2lo(SB), Y1, Y2
	VMOVUPS ·kc6(SB), Y3
	VFMADD213PS ·kc5(SB), Y2, Y3
	VFMADD213PS ·kc4(SB), Y2, Y3
	VFMADD213PS ·kc3(SB), Y2, Y3
	VFMADD213PS ·kc2(SB), Y2, Y3
	VFMADD213PS ·kc1(SB), Y2, Y3
	VMULPS Y2, Y2, Y4
	VADDPS ·kone(SB), Y2, Y5
	VFMADD213PS Y5, Y4, Y3
	VCVTPS2DQ Y1, Y1
	VPADDD ·ki127(SB), Y1, Y1
	VPSLLD $23, Y1, Y1
	VMULPS Y1, Y3, Y3
	VADDPS ·kone(SB), Y3, Y3
	VMOVUPS ·kone(SB), Y4
	VDIVPS Y3, Y4, Y4
	VMULPS (SI), Y4, Y4
	VMOVUPS Y4, (DI)
	VMOVUPS 32(SI), Y0
	VSUBPS Y0, Y9, Y0
	VMINPS ·kmax(SB), Y0, Y0
	VMAXPS ·kmin(SB), Y0, Y0
	VMULPS ·klog2e(SB), Y0, Y1
	VROUNDPS $0, Y1, Y1
	VMOVAPS Y0, Y2
	VFNMADD231PS ·kln2hi(SB), Y1, Y2
	VFNMADD231PS ·kln2lo(SB), Y1, Y2
	VMOVUPS ·kc6(SB), Y3
	VFMADD213PS ·kc5(SB), Y2, Y3
	VFMADD213PS ·kc4(SB), Y2, Y3
	VFMADD213PS ·kc3(SB), Y2, Y3
	VFMADD213PS ·kc2(SB), Y2, Y3
	VFMADD213PS ·kc1(SB), Y2, Y3
	VMULPS Y2, Y2, Y4
	VADDPS ·kone(SB), Y2, Y5
	VFMADD213PS Y5, Y4, Y3
	VCVTPS2DQ Y1, Y1
	VPADDD ·ki127(SB), Y1, Y1
	VPSLLD $23, Y1, Y1
	VMULPS Y1, Y3, Y3
	VADDPS ·kone(SB), Y3, Y3
	VMOVUPS ·kone(SB), Y4
	VDIVPS Y3, Y4, Y4
	VMULPS 32(SI), Y4, Y4
	VMOVUPS Y4, 32(DI)
	ADDQ R8, SI
	DECQ CX
	JNZ rowsloop
	VZEROUPPER
	RET
