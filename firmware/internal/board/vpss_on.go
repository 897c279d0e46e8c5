//go:build vpss

package board

import (
	"time"

	"github.com/nniescope/nniescope/firmware/internal/source"
	"github.com/nniescope/nniescope/firmware/internal/vpss"
)

// vpssWait is how long the board waits for one camera frame before it
// reports the frame missing (and tries again): a camera runs at 25-30 fps.
const vpssWait = time.Second

func vpssSource(grp, chn int) (source.Source, error) { return vpss.Open(grp, chn, vpssWait) }
