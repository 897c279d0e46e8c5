package coco

import (
	"fmt"
	"io"
)

// Summarize prints the stats in COCOeval.summarize()'s format.
func Summarize(w io.Writer, s Stats) {
	rows := []struct {
		ap        bool
		iou, area string
		maxDets   int
	}{
		{true, "0.50:0.95", "all", 100}, {true, "0.50", "all", 100}, {true, "0.75", "all", 100},
		{true, "0.50:0.95", "small", 100}, {true, "0.50:0.95", "medium", 100}, {true, "0.50:0.95", "large", 100},
		{false, "0.50:0.95", "all", 1}, {false, "0.50:0.95", "all", 10}, {false, "0.50:0.95", "all", 100},
		{false, "0.50:0.95", "small", 100}, {false, "0.50:0.95", "medium", 100}, {false, "0.50:0.95", "large", 100},
	}
	for i, r := range rows {
		title, typ := "Average Precision", "(AP)"
		if !r.ap {
			title, typ = "Average Recall", "(AR)"
		}
		fmt.Fprintf(w, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %0.3f\n", title, typ, r.iou, r.area, r.maxDets, s[i])
	}
}
