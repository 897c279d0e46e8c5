//go:build !svp

package board

import (
	"errors"

	"github.com/nniescope/nniescope/firmware/internal/frame"
)

const svpBuilt = false

func svpEngine(string, int, int, bool) (frame.Engine, func(), error) {
	return nil, nil, errors.New("--engine svp: this binary was built without the vendor runtime (build tag svp, docs/BOARD.md)")
}
