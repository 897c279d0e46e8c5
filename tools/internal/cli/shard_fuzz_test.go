package cli

import "testing"

// FuzzDecodeShard: any bytes give a whole shard or an error, never a
// panic; a decoded shard's blocks index within its dataset.
func FuzzDecodeShard(f *testing.F) {
	f.Add([]byte(`{"format":"nniescope-eval-shard","version":1,"model_sha256":"ab","images":7,"shard":1,"shards":3,"first":2,"image_ids":[3,4],"image_files":["a.png","b.png"],"variants":[{"name":"float","detections":[[{"c":1,"s":0.5,"b":[1,2,3,4]}],[]]}]}`))
	f.Add([]byte(`{"format":"nniescope-eval-shard","version":1,"images":2,"shard":2,"shards":3,"first":1,"image_ids":[1],"image_files":["x"]}`))
	f.Add([]byte(`{"format":"nniescope-eval-shard","version":1,"images":-5,"shard":0,"shards":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeShard(b)
		if err != nil {
			return
		}
		if lo, hi := shardRange(s.Images, s.Shard, s.Shards); s.First != lo || hi > s.Images || lo < 0 || len(s.ImageIDs) != hi-lo {
			t.Fatalf("shard %d/%d of %d holds %d images from %d", s.Shard, s.Shards, s.Images, len(s.ImageIDs), s.First)
		}
	})
}
