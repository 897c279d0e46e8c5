//go:build !amd64

package vmath

func sigmoidVec(dst, src []float32) int { return 0 }

func expVec(dst, src []float32) int { return 0 }

func siluVec(dst, src []float32) int { return 0 }

func siluRowsVec(p []float32, rows, stride int) bool { return false }
