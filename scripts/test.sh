#!/usr/bin/env bash
# Runs every test: the pure-Go suite, then the vendor bindings compiled
# with cgo against C test doubles of the SVP ACL and NNIE runtimes and of
# both SDK generations' VPSS frame API (the same Go code a board build
# links). Both go through internal/cmd/testsummary,
# which prints what plain go test prints and, at the end, one line counting
# what was skipped and why, and the closing count of the whole suite.
# Both runs always run; the script fails if either failed.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p bin
tally=bin/test-tally.json
rm -f "$tally"
go build -o bin/testsummary ./internal/cmd/testsummary || exit 1
status=0
go test -json -count=1 -timeout 25m ./... | bin/testsummary -tally "$tally" || status=1
CGO_ENABLED=1 go test -json -count=1 -tags 'svp svptestdouble' -run 'SVP|Binding|StartupErrors' \
  ./firmware/internal/svp/ ./firmware/internal/board/ | bin/testsummary -tally "$tally" || status=1
CGO_ENABLED=1 go test -json -count=1 -tags 'nnie nnietestdouble' -run 'NNIE|Binding|StartupErrors' \
  ./firmware/internal/nnie/ ./firmware/internal/board/ | bin/testsummary -tally "$tally" || status=1
for sdk in '' 'vpss_ss'; do # the camera source, for each SDK generation
  CGO_ENABLED=1 go test -json -count=1 -tags "vpss $sdk vpsstestdouble" -run 'VPSS|Source|StartupErrors' \
    ./firmware/internal/vpss/ ./firmware/internal/board/ | bin/testsummary -tally "$tally" || status=1
done
# The svp engine on camera frames in place (an SVP ACL-era board: vpss_ss).
CGO_ENABLED=1 go test -json -count=1 -tags 'svp svptestdouble vpss vpss_ss vpsstestdouble' -run 'SVPCamera' \
  ./firmware/internal/board/ | bin/testsummary -tally "$tally" || status=1
bin/testsummary -tally "$tally" -report
exit $status
