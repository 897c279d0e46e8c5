package mixed

// Solved by solveSVP from yolov8n 512x288 and the published 3.4 / 5.7 ms
// (TestSVPCostModelMatchesPublished fails when they go stale): 16-bit CUBE
// at 1.71 TOPS, DDR at 7.45 GB/s.
const (
	svpOp16 = 5.847783619953897e-13
	svpByte = 1.342956372322701e-10
)
