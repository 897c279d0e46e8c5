// Package gemm is the engine's matrix-multiply core: C += A·B on packed
// panels, with an AVX2/FMA micro-kernel on amd64 and a portable Go kernel
// everywhere (and as the reference the assembly is tested against).
//
// A is packed once per weight tensor into panels of MR rows (K×MR each,
// k-major); B is packed per call into panels of NR columns (K×NR each).
// Ragged edges are zero-padded in the panels, so the kernel always computes
// a full MR×NR tile.
package gemm

// Tile sizes of the micro-kernel: 6×16 keeps twelve 8-wide accumulators,
// two B vectors and one broadcast in the sixteen AVX2 registers.
const (
	MR = 6
	NR = 16
)

// PackA packs the m×k row-major matrix a (row stride lda) into
// ceil(m/MR) panels of k×MR values, rows beyond m zero.
func PackA(a []float32, m, k, lda int) []float32 {
	panels := (m + MR - 1) / MR
	out := make([]float32, panels*k*MR)
	for p := range panels {
		dst := out[p*k*MR:]
		for i := range MR {
			row := p*MR + i
			if row >= m {
				break
			}
			src := a[row*lda : row*lda+k]
			for kk, v := range src {
				dst[kk*MR+i] = v
			}
		}
	}
	return out
}

// Kernel computes the full tile C[0:MR, 0:NR] += Apanel·Bpanel, where
// c[i*ldc+j] addresses C. len(a) ≥ k*MR, len(b) ≥ k*NR.
func Kernel(k int, a, b, c []float32, ldc int) {
	if k == 0 {
		return
	}
	_ = a[k*MR-1]
	_ = b[k*NR-1]
	_ = c[(MR-1)*ldc+NR-1]
	kernel(k, a, b, c, ldc)
}

// KernelEdge accumulates only the top-left rows×cols of the tile into c;
// the panels are still full (zero-padded).
func KernelEdge(k int, a, b, c []float32, ldc, rows, cols int) {
	var tmp [MR * NR]float32
	Kernel(k, a, b, tmp[:], NR)
	for i := range rows {
		ci := c[i*ldc : i*ldc+cols]
		for j := range ci {
			ci[j] += tmp[i*NR+j]
		}
	}
}

// kernelGo is the portable micro-kernel.
func kernelGo(k int, a, b, c []float32, ldc int) {
	var acc [MR][NR]float32
	for p := range k {
		bp := b[p*NR : p*NR+NR : p*NR+NR]
		ap := a[p*MR : p*MR+MR : p*MR+MR]
		for i := range MR {
			ai := ap[i]
			row := &acc[i]
			for j := range NR {
				row[j] += ai * bp[j]
			}
		}
	}
	for i := range MR {
		ci := c[i*ldc : i*ldc+NR]
		for j := range NR {
			ci[j] += acc[i][j]
		}
	}
}
