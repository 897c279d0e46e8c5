// Package frame is the contract between the board's frame loop and its
// engines (sim, svp, and the NNIE one to come): what an engine produces
// for one frame. A leaf package, so engines and the loop import it and
// not each other.
package frame

import (
	"context"
	"errors"

	"github.com/nniescope/nniescope/firmware/internal/source"
	"github.com/nniescope/nniescope/shared/yolo"
)

// Engine runs one frame.
type Engine interface {
	Process(ctx context.Context, f source.Frame) (Output, error)
}

// Output is what one frame produced.
type Output struct {
	// Msgs are the frame's stream messages (docs/WIRE.md), in order.
	Msgs [][]byte
	// Dets are each variant's detections in source pixels, for live AP;
	// nil when the engine decodes nothing itself (svp streams raw tensors).
	Dets map[string][]yolo.Detection
}

type fatalError struct{ err error }

func (f fatalError) Error() string { return f.err.Error() }
func (f fatalError) Unwrap() error { return f.err }

// Fatal wraps an error after which the engine cannot go on (its runtime
// is gone); any other error from Process is one frame's, and the loop
// goes on with the next.
func Fatal(err error) error { return fatalError{err} }

// IsFatal reports whether err came from Fatal.
func IsFatal(err error) bool {
	var f fatalError
	return errors.As(err, &f)
}
