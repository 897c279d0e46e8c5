//go:build !nnie

package board

import (
	"errors"

	"github.com/nniescope/nniescope/firmware/internal/frame"
)

const nnieBuilt = false

func nnieEngine(string, string) (frame.Engine, func(), error) {
	return nil, nil, errors.New("--engine nnie: this binary was built without the NNIE runtime (build tag nnie, docs/BOARD.md)")
}
