// Package calibfile opens a calibration file of either chip generation,
// telling them apart by content: ATC's calibration_param.txt (SVP ACL,
// shared/calib) or nniescope's NNIE calibration (shared/quant/nnie). The
// CLI's variants and the board's sim engine read them the same way.
package calibfile

import (
	"fmt"
	"os"

	"github.com/nniescope/nniescope/shared/calib"
	"github.com/nniescope/nniescope/shared/quant/nnie"
)

// IsNNIE says whether path holds an NNIE calibration, from its content
// alone (nothing is parsed: a check before the real load).
func IsNNIE(path string) (bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	return nnie.IsFile(b), nil
}

// Load reads path: exactly one of the results is non-nil on success.
func Load(path string) (*calib.File, *nnie.File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	if nnie.IsFile(b) {
		nf, err := nnie.Decode(b)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		return nil, nf, nil
	}
	f, err := calib.Parse(string(b), path)
	return f, nil, err
}
