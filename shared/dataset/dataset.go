// Package dataset loads an evaluation set: a directory with images/ and
// YOLO labels/ (Ultralytics layout), or images plus a COCO JSON file, as
// COCO ground truth paired with the image files.
package dataset

import (
	"errors"
	"fmt"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"io/fs" // image sizes of JPEG files
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/nniescope/nniescope/shared/metrics/coco"
)

// Set is an evaluation set.
type Set struct {
	Dir    string
	Images []Image
	GT     *coco.Dataset
	// ClassToCategory maps model class i to a category id; nil means the
	// identity (YOLO labels).
	ClassToCategory []int64
}

// Image is one image file and its COCO image id.
type Image struct {
	ID   int64
	Path string
}

// Load reads dir: dir/images/* with YOLO labels in dir/labels/<stem>.txt
// (classes are 0..classes-1), or, when dir/annotations.json exists, COCO
// ground truth whose images are found by file_name in dir/images.
//
// A set with no ground truth at all (no labels/ folder, or label files
// holding no box) is ErrNoGroundTruth: its AP would be undefined, and a
// table of -1 looks like a result.
func Load(dir string, classes int) (*Set, error) {
	if st, err := os.Stat(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("dataset: %s does not exist", dir)
		}
		return nil, fmt.Errorf("dataset: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("dataset: %s is a file: want a folder with images/ and labels/ (or annotations.json)", dir)
	}
	if js := filepath.Join(dir, "annotations.json"); fileExists(js) {
		return LoadCOCO(filepath.Join(dir, "images"), js)
	}
	imgDir := filepath.Join(dir, "images")
	if st, err := os.Stat(imgDir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("dataset: %s: want an images/ folder (and labels/ with YOLO txt files)", dir)
	}
	entries, err := os.ReadDir(imgDir)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	s := &Set{Dir: dir, GT: &coco.Dataset{}}
	for c := range classes {
		s.GT.Categories = append(s.GT.Categories, coco.Category{ID: int64(c)})
	}
	var names []string
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if !e.IsDir() && (ext == ".jpg" || ext == ".jpeg" || ext == ".png") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("dataset: %s: no .jpg or .png images", imgDir)
	}
	if st, err := os.Stat(filepath.Join(dir, "labels")); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%w: %s has %d images but no labels/ folder (YOLO txt per image) and no annotations.json", ErrNoGroundTruth, dir, len(names))
	}
	nextAnn := int64(1)
	for i, name := range names {
		path := filepath.Join(imgDir, name)
		stem := strings.TrimSuffix(name, filepath.Ext(name))
		id, err := strconv.ParseInt(stem, 10, 64)
		if err != nil {
			id = int64(i + 1)
		}
		w, h, err := imageSize(path)
		if err != nil {
			return nil, err
		}
		anns, err := coco.ParseYOLOLabels(filepath.Join(dir, "labels", stem+".txt"), id, w, h, nextAnn)
		if err != nil {
			return nil, fmt.Errorf("dataset: %w", err)
		}
		for _, a := range anns {
			if a.CategoryID >= int64(classes) {
				return nil, fmt.Errorf("dataset: %s: class %d, the model has %d classes", name, a.CategoryID, classes)
			}
		}
		nextAnn += int64(len(anns))
		s.Images = append(s.Images, Image{ID: id, Path: path})
		s.GT.Images = append(s.GT.Images, coco.Image{ID: id, FileName: name, Width: w, Height: h})
		s.GT.Annotations = append(s.GT.Annotations, anns...)
	}
	if len(s.GT.Annotations) == 0 {
		return nil, fmt.Errorf("%w: %s: none of the %d label files for its images holds a box", ErrNoGroundTruth, filepath.Join(dir, "labels"), len(names))
	}
	return s, nil
}

// ErrNoGroundTruth is a dataset without any ground-truth box.
var ErrNoGroundTruth = errors.New("dataset: no ground truth")

// imageSize reads the header only (the stored pixel grid, which is what
// COCO's and Ultralytics' labels refer to for files without an EXIF
// rotation).
func imageSize(path string) (int, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(f)
	if err != nil {
		return 0, 0, fmt.Errorf("dataset: %s: cannot read image size: %w", path, err)
	}
	return cfg.Width, cfg.Height, nil
}

// ImageFiles lists the .jpg/.jpeg/.png files of dir/images, or of dir when
// it has no images/ folder, sorted.
func ImageFiles(dir string) ([]string, error) {
	d := filepath.Join(dir, "images")
	if st, err := os.Stat(d); err != nil || !st.IsDir() {
		d = dir
	}
	entries, err := os.ReadDir(d)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	var out []string
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if !e.IsDir() && (ext == ".jpg" || ext == ".jpeg" || ext == ".png") {
			out = append(out, filepath.Join(d, e.Name()))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("dataset: %s: no .jpg or .png images", d)
	}
	sort.Strings(out)
	return out, nil
}

// Subset returns the first n images and their ground truth (all when n
// exceeds the set): quick checks on a large set.
func (s *Set) Subset(n int) *Set {
	if n >= len(s.Images) {
		return s
	}
	return s.Select(func(i int) bool { return i < n })
}

// Select returns the images i for which keep(i) holds, with their ground
// truth, in order.
func (s *Set) Select(keep func(i int) bool) *Set {
	out := &Set{Dir: s.Dir, ClassToCategory: s.ClassToCategory, GT: &coco.Dataset{Categories: s.GT.Categories}}
	for i, im := range s.Images {
		if keep(i) {
			out.Images = append(out.Images, im)
		}
	}
	return withGTOf(out, s)
}

// withGTOf fills out's ground truth with s's images and annotations of
// out's images.
func withGTOf(out, s *Set) *Set {
	keep := map[int64]bool{}
	for _, im := range out.Images {
		keep[im.ID] = true
	}
	for _, im := range s.GT.Images {
		if keep[im.ID] {
			out.GT.Images = append(out.GT.Images, im)
		}
	}
	for _, a := range s.GT.Annotations {
		if keep[a.ImageID] {
			out.GT.Annotations = append(out.GT.Annotations, a)
		}
	}
	return out
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// LoadCOCO pairs COCO ground truth with the image files of imgDir (by
// file_name). Detections must then use the file's category ids: a model's
// class i is reported as the i-th category in id order, the usual mapping
// of COCO's 80 classes onto its 91 ids.
func LoadCOCO(imgDir, annotations string) (*Set, error) {
	gt, err := coco.LoadDataset(annotations)
	if err != nil {
		return nil, err
	}
	s := &Set{Dir: filepath.Dir(annotations), GT: gt}
	sort.Slice(gt.Categories, func(i, j int) bool { return gt.Categories[i].ID < gt.Categories[j].ID })
	for _, c := range gt.Categories {
		s.ClassToCategory = append(s.ClassToCategory, c.ID)
	}
	for _, im := range gt.Images {
		if im.FileName == "" {
			return nil, fmt.Errorf("dataset: %s: image %d has no file_name", annotations, im.ID)
		}
		p := filepath.Join(imgDir, im.FileName)
		if !fileExists(p) {
			return nil, fmt.Errorf("dataset: %s: image %d: %s not found", annotations, im.ID, p)
		}
		s.Images = append(s.Images, Image{ID: im.ID, Path: p})
	}
	if len(s.Images) == 0 {
		return nil, fmt.Errorf("dataset: %s: no images", annotations)
	}
	return s, nil
}

// Category maps a model class to the ground truth's category id.
func (s *Set) Category(class int) int64 {
	if s.ClassToCategory == nil {
		return int64(class)
	}
	if class < len(s.ClassToCategory) {
		return s.ClassToCategory[class]
	}
	return -1
}

// Classes is the number of model classes the set maps to categories.
func (s *Set) Classes() int {
	if s.ClassToCategory != nil {
		return len(s.ClassToCategory)
	}
	return len(s.GT.Categories)
}
