package nnie

import (
	"testing"
)

// FuzzDecode: any bytes give a checked file or an error, never a panic;
// a file that decodes encodes its layers' magnitudes as finite numbers.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"format":"nniescope-nnie-calibration","version":1,"images":2,"bits":8,"format16":"gfpq16","layer_set":"cube","layers":[{"name":"/c","op":"Conv","inputs_max_abs":[3.5],"input_index":[0],"weight_max_abs":0.7}]}`))
	f.Add([]byte(`{"format":"nniescope-nnie-calibration","version":1,"bits":16,"format16":"log1.5.7","layer_set":"eltwise","layers":[{"name":"/m","op":"Mul","inputs_max_abs":[1e30,0],"input_index":[0,1],"bits":8}]}`))
	f.Add([]byte(`{"format":"nniescope-nnie-calibration","version":1,"bits":8,"layers":[{"inputs_max_abs":[-1]}]}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Decode(b)
		if err != nil {
			return
		}
		for _, l := range file.Layers {
			if len(l.Index) != len(l.Inputs) {
				t.Fatalf("%q: %d indices for %d inputs", l.Name, len(l.Index), len(l.Inputs))
			}
			for _, m := range l.Inputs {
				if _, err := (quantizers{}).get(file.layerBits(&l), file.Format16, m); err != nil {
					t.Fatalf("%q: a decoded magnitude %v makes no quantizer: %v", l.Name, m, err)
				}
			}
		}
	})
}
