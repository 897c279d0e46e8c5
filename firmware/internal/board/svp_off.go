//go:build !svp

package board

import (
	"context"
	"errors"

	"github.com/nniescope/nniescope/firmware/internal/server"
	"github.com/nniescope/nniescope/firmware/internal/source"
)

const svpBuilt = false

func svpEngine(string, int, int) (func(ctx context.Context, frames source.Source, s *server.Server, rec *recorder, fps float64) error, func(), error) {
	return nil, nil, errors.New("--engine svp: this binary was built without the vendor runtime (build tag svp, docs/BOARD.md)")
}
