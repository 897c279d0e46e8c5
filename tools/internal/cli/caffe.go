package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/nniescope/nniescope/shared/onnx"
)

// caffeNames maps ONNX nodes to the layers of the Caffe prototxt the user
// converted the model to (nnie_mapper compiles Caffe): a layer of the same
// name, else the layer whose top is the node's output (how converters
// name blobs). The layers that map nowhere are returned, never dropped.
func caffeNames(path string, m *onnx.Model, nodes []string) (mapped, unmapped []string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("--prototxt: %w", err)
	}
	layers, err := parsePrototxtLayers(string(b))
	if err != nil {
		return nil, nil, fmt.Errorf("--prototxt %s: %w", path, err)
	}
	if len(layers) == 0 {
		return nil, nil, fmt.Errorf("--prototxt %s: no layer { name: ... } blocks (not a Caffe prototxt?)", path)
	}
	byName, byTop := map[string]bool{}, map[string]string{}
	for _, l := range layers {
		byName[l.name] = true
		for _, t := range l.tops {
			byTop[t] = l.name
		}
	}
	outputs := map[string][]string{}
	for _, n := range m.Nodes {
		outputs[n.Name] = n.Outputs
	}
	for _, n := range nodes {
		switch {
		case byName[n]:
			mapped = append(mapped, n)
		case len(outputs[n]) > 0 && byTop[outputs[n][0]] != "":
			mapped = append(mapped, byTop[outputs[n][0]])
		default:
			unmapped = append(unmapped, n)
		}
	}
	return mapped, unmapped, nil
}

type caffeLayer struct {
	name string
	tops []string
}

// parsePrototxtLayers reads the name and tops of each top-level layer
// block of a Caffe prototxt (protobuf text format; nested blocks skipped).
func parsePrototxtLayers(s string) ([]caffeLayer, error) {
	var out []caffeLayer
	toks := tokenize(s)
	for i := 0; i < len(toks); i++ {
		if toks[i] != "layer" && toks[i] != "layers" {
			if toks[i] == "{" {
				if j, err := skipBlock(toks, i); err == nil {
					i = j
				}
			}
			continue
		}
		if i+1 < len(toks) && toks[i+1] == ":" {
			i++
		}
		if i+1 >= len(toks) || toks[i+1] != "{" {
			continue
		}
		var l caffeLayer
		depth := 0
		j := i + 1
		for ; j < len(toks); j++ {
			switch toks[j] {
			case "{":
				depth++
			case "}":
				depth--
			}
			if depth == 0 {
				break
			}
			if depth == 1 && j+2 < len(toks) && toks[j+1] == ":" && (toks[j] == "name" || toks[j] == "top") {
				v := strings.Trim(toks[j+2], `"'`)
				if toks[j] == "name" {
					l.name = v
				} else {
					l.tops = append(l.tops, v)
				}
			}
		}
		if depth != 0 {
			return nil, fmt.Errorf("a layer block is not closed")
		}
		if l.name != "" {
			out = append(out, l)
		}
		i = j
	}
	return out, nil
}

func skipBlock(toks []string, i int) (int, error) {
	depth := 0
	for j := i; j < len(toks); j++ {
		switch toks[j] {
		case "{":
			depth++
		case "}":
			if depth--; depth == 0 {
				return j, nil
			}
		}
	}
	return 0, fmt.Errorf("unclosed block")
}

// tokenize splits protobuf text format into words, quoted strings and
// the punctuation { } :, dropping # comments.
func tokenize(s string) []string {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ';' || c == ',':
			i++
		case c == '{' || c == '}' || c == ':':
			toks = append(toks, string(c))
			i++
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(s) && s[j] != c {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			toks = append(toks, s[i:min(j+1, len(s))])
			i = j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r{}:#\"';,", rune(s[j])) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks
}
