"""Regenerate adapters/yellowstone/generated from adapters/yellowstone/proto.

Run `python -m adapters.yellowstone.codegen` (needs grpcio-tools, a dev-only dependency). protoc
writes flat imports (`import geyser_pb2`); they are rewritten as package-relative imports so the
committed stubs import as `adapters.yellowstone.generated` without touching sys.path.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROTO_DIR = HERE / "proto"
OUT_DIR = HERE / "generated"
PROTO_FILES = ("solana-storage.proto", "geyser.proto")

_FLAT_IMPORT = re.compile(r"^import (\w+_pb2(?:_grpc)?) as ", re.MULTILINE)
_FLAT_STAR_IMPORT = re.compile(r"^from (\w+_pb2) import \*", re.MULTILINE)


def make_imports_relative(source: str) -> str:
    source = _FLAT_IMPORT.sub(r"from . import \1 as ", source)
    return _FLAT_STAR_IMPORT.sub(r"from .\1 import *", source)


def generate() -> list[Path]:
    try:
        import grpc_tools
        from grpc_tools import protoc
    except ImportError:
        raise SystemExit("grpcio-tools is not installed: pip install grpcio-tools (dev dependency)") from None
    include = Path(grpc_tools.__file__).parent / "_proto"   # google/protobuf/timestamp.proto
    args = ["protoc", f"-I{PROTO_DIR}", f"-I{include}", f"--python_out={OUT_DIR}", f"--pyi_out={OUT_DIR}",
            f"--grpc_python_out={OUT_DIR}", *(str(PROTO_DIR / name) for name in PROTO_FILES)]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    written = sorted(p for p in OUT_DIR.iterdir() if p.name.endswith((".py", ".pyi")) and p.name != "__init__.py")
    for path in written:
        path.write_text(make_imports_relative(path.read_text()))
    return written


def main() -> None:
    for path in generate():
        print(f"wrote {path.relative_to(HERE.parent.parent)}")


if __name__ == "__main__":
    main()
    sys.exit(0)
