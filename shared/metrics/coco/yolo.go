package coco

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ParseYOLOLabels reads a YOLO label file (one "class cx cy w h" line per
// box, normalised to the image) for an imgW×imgH image and returns COCO
// annotations with ids from nextID on. A missing file means no objects,
// as in Ultralytics' datasets. The area is w·h (YOLO labels carry no
// segmentation), iscrowd 0.
func ParseYOLOLabels(path string, imageID int64, imgW, imgH int, nextID int64) ([]Annotation, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("coco: %w", err)
	}
	defer f.Close()
	var anns []Annotation
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 5 {
			return nil, fmt.Errorf("coco: %s:%d: want \"class cx cy w h\", got %d fields", path, line, len(fields))
		}
		cls, err := strconv.Atoi(fields[0])
		if err != nil || cls < 0 {
			return nil, fmt.Errorf("coco: %s:%d: class %q is not a non-negative integer", path, line, fields[0])
		}
		var v [4]float64
		for i := range 4 {
			v[i], err = strconv.ParseFloat(fields[i+1], 64)
			if err != nil || v[i] < 0 || v[i] > 1.0001 {
				return nil, fmt.Errorf("coco: %s:%d: field %d = %q, want a number in [0,1]", path, line, i+2, fields[i+1])
			}
		}
		w, h := v[2]*float64(imgW), v[3]*float64(imgH)
		x, y := v[0]*float64(imgW)-w/2, v[1]*float64(imgH)-h/2
		anns = append(anns, Annotation{ID: nextID, ImageID: imageID, CategoryID: int64(cls), BBox: [4]float64{x, y, w, h}, Area: w * h})
		nextID++
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("coco: %s: %w", path, err)
	}
	return anns, nil
}
