"""Build the on-chain programs: `python -m localnet.programs.build [--check]`.

Compiles each C program with clang-19 (or `zig cc` from PyPI `ziglang`) for `bpfel`, links it
with sbfld, and writes `<name>.so` next to the source. `--check` rebuilds into memory and
exits 1 if a committed .so differs. The .so files are committed so users need no compiler.
"""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from localnet.programs import sbfld

PROGRAM_DIR = Path(__file__).resolve().parent
PROGRAMS = ("pump", "metadata_stub", "pumpswap")
CFLAGS = ["-target", "bpfel", "-mcpu=v1", "-O2", "-ffreestanding", "-fno-builtin", "-fno-stack-protector",
          "-Wall", "-Werror", "-Wno-unused-function", "-mllvm", "-bpf-stack-size=4096"]


class BuildError(Exception):
    """No compiler, or the compiler/linker failed."""


def find_compiler() -> list[str] | None:
    clang = shutil.which("clang-19")
    if clang:
        return [clang]
    if importlib.util.find_spec("ziglang") is None:      # optional: PyPI ziglang
        return None
    return [sys.executable, "-m", "ziglang", "cc"]


def compile_object(compiler: list[str], source: Path, out: Path) -> None:
    # zig's target spelling differs; clang's is the reference build
    flags = CFLAGS if "ziglang" not in compiler else [f if f != "bpfel" else "bpfel-freestanding" for f in CFLAGS]
    done = subprocess.run([*compiler, *flags, "-I", str(PROGRAM_DIR), "-c", str(source), "-o", str(out)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise BuildError(f"compiling {source.name} failed:\n{done.stderr}")


def build_program(name: str, compiler: list[str]) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        obj = Path(tmp) / f"{name}.o"
        compile_object(compiler, PROGRAM_DIR / f"{name}.c", obj)
        try:
            return sbfld.link(obj.read_bytes())
        except sbfld.LinkError as exc:
            raise BuildError(f"linking {name} failed: {exc}") from exc


def build_all(write: bool = True) -> dict[str, bytes]:
    compiler = find_compiler()
    if compiler is None:
        raise BuildError("no compiler: install clang-19 (Debian package) or `pip install ziglang`")
    images = {name: build_program(name, compiler) for name in PROGRAMS}
    if write:
        for name, image in images.items():
            (PROGRAM_DIR / f"{name}.so").write_bytes(image)
    return images


def main(argv: list[str]) -> int:
    check = "--check" in argv
    try:
        images = build_all(write=not check)
    except BuildError as exc:
        print(exc, file=sys.stderr)
        return 1
    status = 0
    for name, image in images.items():
        committed = PROGRAM_DIR / f"{name}.so"
        if check and (not committed.exists() or committed.read_bytes() != image):
            print(f"{committed.name}: differs from a fresh build")
            status = 1
        else:
            print(f"{name}.so: {len(image)} bytes")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
