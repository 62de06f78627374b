"""build-function.sh makes a deployable zip: `bootstrap` at its root, executable, for
this machine's architecture, and says how large the binary is. The tests take the plain
release-build path (--plain); the cargo-lambda path needs cargo-lambda and zig, which
these machines do not have."""
import platform
import subprocess
import zipfile
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "build-function.sh"


def test_build_function_zips_an_executable_bootstrap(tmp_path):
    arch = {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine()]
    out = tmp_path / "bootstrap.zip"
    p = subprocess.run([str(SCRIPT), "--plain", "--arch", arch, "--out", str(out)], capture_output=True, text=True, timeout=1800)
    assert p.returncode == 0, p.stderr[-3000:]
    assert f"built {out} ({arch}): bootstrap is" in p.stdout, p.stdout
    with zipfile.ZipFile(out) as z:
        assert z.namelist() == ["bootstrap"]
        data = z.read("bootstrap")
    assert data[:4] == b"\x7fELF", "a Linux executable"
    assert len(data) > 1_000_000, "the real function, not a stub"


def test_build_function_refuses_a_foreign_architecture_on_the_plain_path(tmp_path):
    other = "arm64" if platform.machine() == "x86_64" else "x86_64"
    p = subprocess.run([str(SCRIPT), "--plain", "--arch", other, "--out", str(tmp_path / "x.zip")], capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and "needs cargo-lambda" in p.stderr, p.stderr
    bad = subprocess.run([str(SCRIPT), "--arch", "sparc"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--arch is arm64 or x86_64" in bad.stderr
