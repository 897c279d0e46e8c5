// Command peakrss runs a command and prints its wall time and peak
// resident memory (getrusage's ru_maxrss) on one line after it ends:
// what bench.sh measures eval's growth with, without GNU time installed.
//
//	peakrss LABEL COMMAND [ARG...]
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: peakrss LABEL COMMAND [ARG...]")
		os.Exit(2)
	}
	cmd := exec.Command(os.Args[2], os.Args[3:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "peakrss:", err)
		os.Exit(1)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		fmt.Fprintln(os.Stderr, "peakrss: no resource usage on this system")
		os.Exit(1)
	}
	fmt.Printf("%s: %.1f s, peak RSS %.0f MB\n", os.Args[1], wall.Seconds(), float64(ru.Maxrss)/1024) // Linux: KiB
	if err != nil {
		fmt.Fprintln(os.Stderr, "peakrss:", err)
		os.Exit(1)
	}
}
