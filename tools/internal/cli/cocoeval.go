package cli

import (
	"context"
	"encoding/json"

	"github.com/nniescope/nniescope/shared/metrics/coco"
)

func runCocoeval(_ context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "cocoeval", "cocoeval --gt gt.json --dt dt.json [--json]")
	gtPath := fs.String("gt", "", "ground truth, COCO JSON")
	dtPath := fs.String("dt", "", "detections, COCO results JSON")
	asJSON := fs.Bool("json", false, `print {"stats":[12 numbers]}`)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := require(fs, "gt", "dt"); err != nil {
		return err
	}
	gt, err := coco.LoadDataset(*gtPath)
	if err != nil {
		return err
	}
	dt, err := coco.LoadResults(*dtPath)
	if err != nil {
		return err
	}
	stats, err := coco.Evaluate(gt, dt)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(map[string][12]float64{"stats": stats})
	}
	coco.Summarize(env.Stdout, stats)
	return nil
}
