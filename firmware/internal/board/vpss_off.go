//go:build !vpss

package board

import (
	"errors"

	"github.com/nniescope/nniescope/firmware/internal/source"
)

func vpssSource(int, int) (source.Source, error) {
	return nil, errors.New("--source vpss: this binary was built without the camera source (build tag vpss, and vpss_ss for an SVP ACL-era SDK: docs/BOARD.md)")
}
