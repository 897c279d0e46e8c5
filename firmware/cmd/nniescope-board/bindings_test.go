package main

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/nniescope/nniescope/internal/testassets"
)

// abi is a cross compiler and the emulator that runs what it builds.
type abi struct {
	name          string
	goarch, goarm string
	cc            []string // the compiler, then its flags
	ccPackage     string   // the Debian package that has it
	qemu, qemuPkg string
	sysroot       string // the target's C library, for qemu -L
	libcPackage   string
}

var (
	// armhf: a 32-bit ARM board with hard-float calling conventions
	// (Hi3516CV610's musl toolchain is hard-float too).
	armhf = abi{"arm-hardfloat", "arm", "7", []string{"arm-linux-gnueabihf-gcc"}, "gcc-arm-linux-gnueabihf",
		"qemu-arm-static", "qemu-user-static", "/usr/arm-linux-gnueabihf", "libc6-dev-armhf-cross"}
	// armsoftfp: the Hi3516CV500 SDK's libraries use the softfp float ABI
	// (VFP instructions, arguments in integer registers); Debian's
	// hard-float toolchain refuses to link them, its soft-float one with
	// -mfloat-abi=softfp matches them.
	armsoftfp = abi{"arm-softfp", "arm", "7", []string{"arm-linux-gnueabi-gcc", "-mfloat-abi=softfp", "-mfpu=neon-vfpv4"}, "gcc-arm-linux-gnueabi",
		"qemu-arm-static", "qemu-user-static", "/usr/arm-linux-gnueabi", "libc6-dev-armel-cross"}
	arm64 = abi{"arm64", "arm64", "", []string{"aarch64-linux-gnu-gcc"}, "gcc-aarch64-linux-gnu",
		"qemu-aarch64-static", "qemu-user-static", "/usr/aarch64-linux-gnu", "libc6-dev-arm64-cross"}
)

// compiler returns the compiler command for a, skipping (or, with the
// full suite, failing) when it or the target's C library is missing.
func (a abi) compiler(t *testing.T) string {
	t.Helper()
	testassets.Tool(t, a.cc[0], a.ccPackage)
	testassets.SystemFile(t, a.sysroot, a.libcPackage)
	return strings.Join(a.cc, " ")
}

// tools returns the compiler command and the emulator for a.
func (a abi) tools(t *testing.T) (cc, qemu string) {
	t.Helper()
	return a.compiler(t), testassets.Tool(t, a.qemu, a.qemuPkg)
}

// binding is one package's cgo code with its test double, and the tests
// to run under emulation.
type binding struct{ pkg, tags, tests string }

var (
	nnieBinding  = binding{"./firmware/internal/nnie/", "nnie nnietestdouble", "TestBinding"}
	svpBinding   = binding{"./firmware/internal/svp/", "svp svptestdouble", "TestBinding"}
	vpssHi       = binding{"./firmware/internal/vpss/", "vpss vpsstestdouble", "TestSource"}
	vpssSS       = binding{"./firmware/internal/vpss/", "vpss vpss_ss vpsstestdouble", "TestSource"}
	probeNNIE    = "firmware/internal/sdkprobe/nnie.c"
	probeSVP     = "firmware/internal/sdkprobe/svp.c"
	probeVPSSHi  = "firmware/internal/sdkprobe/vpss_hi.c"
	probeVPSSSS  = "firmware/internal/sdkprobe/vpss_ss.c"
	fallbackNNIE = "firmware/internal/nnie/testdouble"
	fallbackSVP  = "firmware/internal/svp/testdouble"
	fallbackHi   = "firmware/internal/vpss/testdouble/hi"
	fallbackSS   = "firmware/internal/vpss/testdouble/ss"
)

// sdk is one of the real SDKs in the test assets (MANIFEST.md, sdk/).
type sdk struct {
	chip     string // the folder under sdk/, and the chip firmware-sdk.sh takes
	abi      abi    // the board's
	bindings []binding
	// probes: each probe file with the fallback header folder it is
	// checked against, and the defines that pick this SDK in it.
	probes  []probe
	defines []string // what picks this SDK in the fallback headers
	abis    []abi    // what the SDK's headers compile for
	libs    bool     // lib/ holds the static libraries, so the board links
	links   []string // tag sets the board binary is linked with
}

type probe struct{ file, fallback string }

var sdks = []sdk{
	{chip: "hi3516cv500", abi: armsoftfp, bindings: []binding{nnieBinding, vpssHi},
		probes: []probe{{probeNNIE, fallbackNNIE}, {probeVPSSHi, fallbackHi}}, abis: []abi{armhf, arm64},
		libs: true, links: []string{"nnie vpss", "nnie", "vpss"}},
	{chip: "hi3519dv500", abi: arm64, bindings: []binding{svpBinding, vpssSS},
		probes: []probe{{probeSVP, fallbackSVP}, {probeVPSSSS, fallbackSS}}, abis: []abi{arm64},
		defines: []string{"-DNNIESCOPE_SDK_HI3519DV500"},
		libs:    true, links: []string{"svp vpss vpss_ss", "svp", "vpss vpss_ss"}},
	{chip: "hi3516cv610", abi: armhf, bindings: []binding{svpBinding, vpssSS},
		probes: []probe{{probeSVP, fallbackSVP}, {probeVPSSSS, fallbackSS}}, abis: []abi{armhf, arm64},
		defines: []string{"-DNNIESCOPE_SDK_HI3516CV610"}},
}

func repoRoot(t *testing.T) string {
	t.Helper()
	repo, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

// crossTest cross-compiles b's tests for a with extra CGO_CFLAGS and runs
// them under qemu with env.
func crossTest(t *testing.T, a abi, b binding, cflags string, env ...string) {
	t.Helper()
	cc, qemu := a.tools(t)
	bin := filepath.Join(t.TempDir(), "arm.test")
	build := exec.Command("go", "test", "-c", "-o", bin, "-tags", b.tags, b.pkg)
	build.Dir = repoRoot(t)
	build.Env = append(os.Environ(), "CGO_ENABLED=1", "GOOS=linux", "GOARCH="+a.goarch, "GOARM="+a.goarm, "CC="+cc, "CGO_CFLAGS="+cflags)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("cross-compiling %s for %s: %v\n%s", b.pkg, a.name, err, out)
	}
	run := exec.Command(qemu, "-L", a.sysroot, bin, "-test.v", "-test.run", b.tests)
	run.Env = append(os.Environ(), env...)
	out, err := run.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+b.tests) || strings.Contains(string(out), "--- FAIL") {
		t.Fatalf("under %s: %v\n%s", a.qemu, err, out)
	}
}

// TestVendorBindingsOnARM cross-compiles the cgo bindings — both NPU
// runtimes and the camera source for both SDK generations — with their C
// test doubles against the fallback headers (what a fresh clone has) for
// a 32-bit ARM board and runs their tests under qemu-arm-static: the
// binding's structs, unions and 64-bit addresses must line up with the C
// side on the board's ABI, not only on the workstation's.
func TestVendorBindingsOnARM(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles with cgo")
	}
	for _, b := range []binding{nnieBinding, svpBinding, vpssHi, vpssSS} {
		t.Run(b.tags, func(t *testing.T) { crossTest(t, armhf, b, "-O2") })
	}
}

// TestVendorBindingsAgainstTheSDKs compiles each binding and its test
// double against the real SDK's headers (the double implements the
// functions; every struct, constant and error code is the vendor's), with
// the board's compiler and float ABI, and runs the double's tests under
// qemu. The tests check that the double was indeed built on the SDK's
// headers (NNIESCOPE_SDK_HEADERS), and the packages' CFLAGS make an
// undeclared function or a pointer/integer mix-up an error.
func TestVendorBindingsAgainstTheSDKs(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles with cgo")
	}
	for _, s := range sdks {
		for _, b := range s.bindings {
			t.Run(s.chip+"/"+b.tags, func(t *testing.T) {
				inc := testassets.Path(t, "sdk", s.chip, "include")
				crossTest(t, s.abi, b, "-O2 -I"+inc, "NNIESCOPE_SDK_HEADERS=1")
			})
		}
	}
}

// probeTable compiles a probe file (a table of names and values: sizes,
// offsets, constants) to an object file with cc and the include folders,
// and reads the table back from the object's data, so nothing runs on the
// target.
func probeTable(t *testing.T, cc []string, file string, args ...string) map[string]int64 {
	t.Helper()
	obj := filepath.Join(t.TempDir(), "probe.o")
	cmd := exec.Command(cc[0], append(append(append([]string{}, cc[1:]...), args...), "-c", "-o", obj, file)...)
	cmd.Dir = repoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", strings.Join(cc, " "), file, err, out)
	}
	table, err := readProbe(obj)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return table
}

// readProbe reads the nniescope_probe table from an object file: entries
// of a 96-byte NUL-terminated name and a little-endian int64 (every
// target we build for is little-endian).
func readProbe(obj string) (map[string]int64, error) {
	f, err := elf.Open(obj)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return nil, err
	}
	const nameLen, entry = 96, 104
	for _, s := range syms {
		if s.Name != "nniescope_probe" || int(s.Section) >= len(f.Sections) {
			continue
		}
		data, err := f.Sections[s.Section].Data()
		if err != nil || s.Value+s.Size > uint64(len(data)) || s.Size%entry != 0 {
			return nil, fmt.Errorf("the probe table (%d bytes at %d) does not fit its section: %v", s.Size, s.Value, err)
		}
		table := map[string]int64{}
		for b := data[s.Value : s.Value+s.Size]; len(b) > 0; b = b[entry:] {
			n := bytes.IndexByte(b[:nameLen], 0)
			if n < 0 {
				return nil, fmt.Errorf("a probe name longer than %d bytes", nameLen-1)
			}
			table[string(b[:n])] = int64(binary.LittleEndian.Uint64(b[nameLen:entry]))
		}
		return table, nil
	}
	return nil, fmt.Errorf("%s has no nniescope_probe table", obj)
}

// fallbackKey is the probe entry that says which headers it was built on.
const fallbackKey = "NNIESCOPE_PROBE_FALLBACK"

// diffProbes lists every name whose value differs or that one side lacks.
func diffProbes(sdk, fallback map[string]int64) []string {
	var d []string
	for k, v := range sdk {
		if k == fallbackKey {
			continue
		}
		if w, ok := fallback[k]; !ok || w != v {
			d = append(d, fmt.Sprintf("%s: the SDK says %d, the fallback header %d", k, v, w))
		}
	}
	sort.Strings(d)
	return d
}

// TestFallbackHeadersMatchTheSDK: the headers a fresh clone compiles the
// bindings and their doubles against agree with each real SDK's on every
// constant, struct size and field offset the code touches (the probe
// files list them), on 32-bit ARM and on arm64 (Hi3519DV500's headers
// compile for arm64 only).
func TestFallbackHeadersMatchTheSDK(t *testing.T) {
	for _, s := range sdks {
		for _, a := range s.abis {
			for _, p := range s.probes {
				t.Run(s.chip+"/"+a.name+"/"+filepath.Base(p.file), func(t *testing.T) {
					inc := testassets.Path(t, "sdk", s.chip, "include")
					a.compiler(t)
					real := probeTable(t, a.cc, p.file, "-I"+inc)
					fb := probeTable(t, a.cc, p.file, append([]string{"-I" + p.fallback}, s.defines...)...)
					if len(real) < 10 {
						t.Fatalf("the probe read %d entries: %v", len(real), real)
					}
					// Each side was built on the headers it names (a probe
					// beside the fallback headers would read them either way).
					if real[fallbackKey] != 0 || fb[fallbackKey] != 1 {
						t.Fatalf("built on the fallback headers: SDK side %d, fallback side %d", real[fallbackKey], fb[fallbackKey])
					}
					for _, d := range diffProbes(real, fb) {
						t.Error(d)
					}
				})
			}
		}
	}
}

// The agreement test catches a fallback header that drifts: a copy with
// one error code and one array length changed disagrees on exactly
// those, and on everything laid out after the array.
func TestFallbackHeaderDriftIsCaught(t *testing.T) {
	host := []string{"gcc"} // any compiler: both sides are built alike
	repo := repoRoot(t)
	drifted := t.TempDir()
	for _, name := range []string{"ot_common_video.h", "ss_mpi_vpss.h", "ss_mpi_sys_mem.h", "ss_mpi_sys.h"} {
		b, err := os.ReadFile(filepath.Join(repo, fallbackSS, name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "ot_common_video.h" {
			s := string(b)
			for old, drift := range map[string]string{"0xA0078016": "0xA007800E", "td_u32 stride[OT_MAX_COLOR_COMPONENT];": "td_u32 stride[3];"} {
				if !strings.Contains(s, old) {
					t.Fatalf("%s no longer has %q", name, old)
				}
				s = strings.Replace(s, old, drift, 1)
			}
			b = []byte(s)
		}
		if err := os.WriteFile(filepath.Join(drifted, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	good := probeTable(t, host, probeVPSSSS, "-I"+fallbackSS)
	bad := probeTable(t, host, probeVPSSSS, "-I"+drifted)
	d := strings.Join(diffProbes(good, bad), "\n")
	for _, want := range []string{"OT_ERR_VPSS_BUF_EMPTY", "sizeof(((ot_video_frame_info *)0)->video_frame.stride)", "offsetof(ot_video_frame_info, video_frame.phys_addr)", "sizeof(ot_video_frame_info)"} {
		if !strings.Contains(d, want+":") {
			t.Errorf("the drift is not reported at %s; the differences:\n%s", want, d)
		}
	}
	if strings.Contains(d, "video_frame.width:") {
		t.Errorf("a field before the drift is reported:\n%s", d)
	}
}

// TestBoardLinksAgainstTheSDKs builds the board binary the way
// docs/BOARD.md says (scripts/firmware-sdk.sh: the SDK's include/ and lib/
// and nothing else) for each SDK that ships its libraries, with each
// binding on its own and all together: the packages' #cgo LDFLAGS must
// name every library they need. Each binary is a static ELF for the
// chip's machine; on arm64 the camera shim keeps ss_mpi_sys_mmap's
// 64-bit result (an undeclared call would be sign-extended from 32 bits:
// sxtw x0, w0).
func TestBoardLinksAgainstTheSDKs(t *testing.T) {
	if testing.Short() {
		t.Skip("links against the vendor libraries")
	}
	repo := repoRoot(t)
	for _, s := range sdks {
		if !s.libs {
			continue
		}
		for _, tags := range s.links {
			t.Run(s.chip+"/"+tags, func(t *testing.T) {
				dir := testassets.Path(t, "sdk", s.chip)
				s.abi.compiler(t)
				out := filepath.Join(t.TempDir(), "nniescope-board")
				cmd := exec.Command("bash", "scripts/firmware-sdk.sh", dir, s.chip, out, tags)
				cmd.Dir = repo
				keep := strings.Contains(tags, "vpss_ss") && tags != s.links[0]
				if keep {
					cmd.Env = append(os.Environ(), "NNIESCOPE_KEEP_SYMBOLS=1")
				}
				b, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("firmware-sdk.sh %s '%s': %v\n%s", s.chip, tags, err, b)
				}
				for _, line := range strings.Split(string(b), "\n") {
					if strings.Contains(line, "warning:") && !staticDlopen.MatchString(line) {
						t.Errorf("build warning: %s", line)
					}
				}
				checkStaticELF(t, out, s.abi)
				if keep {
					checkMmapKeeps64Bits(t, out)
				}
			})
		}
	}
}

// staticDlopen is the one warning a static build prints: libsvp_acl (for
// models with AI CPU operators: libsvp_aicpu.so) and the CV500 audio
// library call dlopen, which a static binary can only honour with the
// build machine's C library (docs/BOARD.md).
var staticDlopen = regexp.MustCompile(`warning: Using 'dlopen' in statically linked applications`)

func checkStaticELF(t *testing.T, bin string, a abi) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]elf.Machine{"arm": elf.EM_ARM, "arm64": elf.EM_AARCH64}[a.goarch]
	if f.Machine != want {
		t.Errorf("machine %v, want %v", f.Machine, want)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("has a program interpreter: dynamically linked")
		}
	}
	st, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %.1f MB", filepath.Base(bin), float64(st.Size())/1e6)
}

// checkMmapKeeps64Bits disassembles the camera shim's nsv_mmap: it must
// call ss_mpi_sys_mmap and pass its result on untouched.
func checkMmapKeeps64Bits(t *testing.T, bin string) {
	t.Helper()
	objdump := testassets.Tool(t, "aarch64-linux-gnu-objdump", "binutils-aarch64-linux-gnu")
	out, err := exec.Command(objdump, "-d", "--disassemble=nsv_mmap", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("objdump: %v\n%s", err, out)
	}
	asm := string(out)
	if !strings.Contains(asm, "<ss_mpi_sys_mmap>") {
		t.Fatalf("nsv_mmap does not call ss_mpi_sys_mmap:\n%s", asm)
	}
	if strings.Contains(asm, "sxtw") {
		t.Fatalf("nsv_mmap sign-extends a 32-bit result (ss_mpi_sys_mmap called undeclared):\n%s", asm)
	}
}
