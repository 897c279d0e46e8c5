// Package scratch makes temporary files that hold a process's overflow
// (an evaluation's detection records, a reference run's boxes) and that
// nobody else sees: each is removed as soon as it is created where the
// system allows it (Unix), so none outlives the process however it ends,
// and otherwise at Close.
package scratch

import (
	"fmt"
	"os"
)

// File is an open scratch file.
type File struct {
	*os.File
	name string // still to remove at Close (removing it open failed)
}

// Create makes a scratch file in dir ("" for the system's temporary
// folder), its name from pattern as os.CreateTemp takes it.
func Create(dir, pattern string) (*File, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	sf := &File{File: f}
	if os.Remove(f.Name()) != nil {
		sf.name = f.Name()
	}
	return sf, nil
}

// Close closes the file and removes it if it is still there.
func (f *File) Close() error {
	err := f.File.Close()
	if f.name != "" {
		if rerr := os.Remove(f.name); err == nil {
			err = rerr
		}
	}
	if err != nil {
		return fmt.Errorf("scratch: %w", err)
	}
	return nil
}
