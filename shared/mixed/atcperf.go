package mixed

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/nniescope/nniescope/shared/engine"
)

// PerfRecord is one layer of ATC's atc_perf.csv: what the compiled model
// moves and computes for it (8-bit compile).
type PerfRecord struct {
	Line      int // in the file, for messages
	Name      string
	Type      string  // ATC's layer type: Convolution, Eltwise, Nop, …
	Read      float64 // DLD DDR Read (bytes): activations read from DDR
	Write     float64 // DSTR DDR Write (bytes)
	Weights   float64 // WLD DDR Read (bytes)
	CoreOps   float64 // Core Ops (times), what the MAC array runs
	Operation float64 // Original Ops (times)
}

// perfColumns are the header names ReadPerf needs, as ATC writes them.
var perfColumns = []string{"Layer Name", "Layer Type", "DLD DDR Read(byte)", "DSTR DDR Write(byte)", "WLD DDR Read(byte)", "Original Ops(Times)", "Core Ops(Times)"}

// maxPerfRecords bounds what ReadPerf accepts: a compiled model has
// hundreds of layers, not millions.
const maxPerfRecords = 1 << 16

// ReadPerf reads an atc_perf.csv: the header is checked by column name,
// the Total row and the input's Preprocess row are skipped, and a field
// that is not a number is an error naming its line and column.
func ReadPerf(r io.Reader) ([]PerfRecord, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("atc_perf.csv: header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimSpace(h)] = i
	}
	idx := make([]int, len(perfColumns))
	for i, name := range perfColumns {
		j, ok := col[name]
		if !ok {
			return nil, fmt.Errorf("atc_perf.csv: header has no column %q (have %q)", name, strings.Join(head, ","))
		}
		idx[i] = j
	}
	var recs []PerfRecord
	for line := 2; ; line++ {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("atc_perf.csv: line %d: %w", line, err)
		}
		if len(recs) == maxPerfRecords {
			return nil, fmt.Errorf("atc_perf.csv: more than %d layers", maxPerfRecords)
		}
		field := func(i int) (string, error) {
			if idx[i] >= len(row) {
				return "", fmt.Errorf("atc_perf.csv: line %d: no %q field (%d fields)", line, perfColumns[i], len(row))
			}
			return strings.TrimSpace(row[idx[i]]), nil
		}
		name, err := field(0)
		if err != nil {
			return nil, err
		}
		typ, err := field(1)
		if err != nil {
			return nil, err
		}
		if name == "--" || typ == "--" || typ == "Preprocess" {
			continue // the Total row, the AIPP input
		}
		rec := PerfRecord{Line: line, Name: name, Type: typ}
		for i, dst := range []*float64{&rec.Read, &rec.Write, &rec.Weights, &rec.Operation, &rec.CoreOps} {
			s, err := field(i + 2)
			if err != nil {
				return nil, err
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || v < 0 || v > 1e18 {
				return nil, fmt.Errorf("atc_perf.csv: line %d: %s %q: want a count ≥ 0", line, perfColumns[i+2], s)
			}
			*dst = v
		}
		recs = append(recs, rec)
	}
	if len(recs) == 0 {
		return nil, errors.New("atc_perf.csv: no layer rows")
	}
	return recs, nil
}

// PerfCosts is a model's cost table built from a real compile: each
// record that names a node of the program gives that node's ops, traffic
// and weight bytes; Unmatched are records naming no node (a file from
// another model, or layers ATC added), Uncounted the program's Conv,
// Gemm and MatMul nodes the file has no record for.
type PerfCosts struct {
	Costs     []LayerCost
	Matched   int
	Unmatched []PerfRecord
	Uncounted []string
}

// CostsFromPerf maps the records onto a float program's nodes. The
// traffic of a layer is its DDR reads and writes in the 8-bit compile (a
// byte per value; LatencyMS doubles it for a 16-bit layer), its ops the
// MAC array's; layers fused into others have no record and cost nothing
// of their own, as on chip.
func CostsFromPerf(p *engine.Program, recs []PerfRecord) PerfCosts {
	nodes := map[string]bool{}
	for _, n := range p.Nodes() {
		nodes[n.Name] = true
	}
	var pc PerfCosts
	have := map[string]bool{}
	for _, r := range recs {
		if !nodes[r.Name] {
			pc.Unmatched = append(pc.Unmatched, r)
			continue
		}
		have[r.Name] = true
		pc.Matched++
		pc.Costs = append(pc.Costs, LayerCost{Name: r.Name, Ops: r.CoreOps, Traffic: r.Read + r.Write, Weights: r.Weights})
	}
	for _, n := range p.Nodes() {
		if (n.OpType == "Conv" || n.OpType == "Gemm" || n.OpType == "MatMul") && !have[n.Name] {
			pc.Uncounted = append(pc.Uncounted, n.Name)
		}
	}
	return pc
}

// Source says where the costs came from, for tables.
func (pc PerfCosts) Source(file string) string {
	s := fmt.Sprintf("%s: %d of %d records matched", file, pc.Matched, pc.Matched+len(pc.Unmatched))
	if len(pc.Uncounted) > 0 {
		s += fmt.Sprintf(", %d conv/matmul layers without a record (costed 0)", len(pc.Uncounted))
	}
	return s
}
