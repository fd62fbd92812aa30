"""A small linker: one clang `-target bpfel` relocatable object -> an SBPF v0 shared object
(ET_DYN, EM_BPF) that the Solana program loader (and LiteSVM) accepts. Upstream ld.lld refuses
to produce that format, hence this file.

Handled: one `.text`, any number of `.rodata*` sections; R_BPF_64_64 (lddw of a read-only
address) becomes an R_BPF_64_RELATIVE dynamic relocation; R_BPF_64_32 calls to undefined
symbols become syscall relocations; calls to global functions defined in `.text` are patched to
pc-relative immediates (the loader turns those into internal calls). Mutable globals (.data,
.bss) and relocations outside `.text` are refused: SBPF v0 has no writable program memory.
Output is a pure function of the input bytes.
"""
from __future__ import annotations

import struct
import sys
from dataclasses import dataclass
from pathlib import Path

SHT_SYMTAB, SHT_STRTAB, SHT_REL, SHT_DYNSYM, SHT_DYNAMIC = 2, 3, 9, 11, 6
R_BPF_64_64, R_BPF_64_RELATIVE, R_BPF_64_32 = 1, 8, 10
EM_BPF, ET_DYN = 247, 3
TEXT_OFFSET = 0x100           # file offset == virtual address for every section


class LinkError(Exception):
    """The object uses something an SBPF v0 program cannot have."""


@dataclass(frozen=True)
class Section:
    name: str
    type: int
    offset: int
    size: int
    link: int
    info: int


@dataclass(frozen=True)
class Symbol:
    name: str
    section: int
    value: int


def _align(value: int, to: int) -> int:
    return (value + to - 1) // to * to


def _cstring(blob: bytes, offset: int) -> str:
    return blob[offset:blob.index(b"\0", offset)].decode()


def read_sections(obj: bytes) -> list[Section]:
    if obj[:4] != b"\x7fELF" or obj[4] != 2 or obj[5] != 1:
        raise LinkError("not a 64-bit little-endian ELF object")
    (shoff,) = struct.unpack_from("<Q", obj, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", obj, 0x3A)
    raw = [struct.unpack_from("<IIQQQQIIQQ", obj, shoff + i * shentsize) for i in range(shnum)]
    names_at = raw[shstrndx][4]
    return [Section(_cstring(obj, names_at + r[0]), r[1], r[4], r[5], r[6], r[7]) for r in raw]


def read_symbols(obj: bytes, sections: list[Section]) -> list[Symbol]:
    symtab = next(s for s in sections if s.type == SHT_SYMTAB)
    strtab = sections[symtab.link]
    symbols = []
    for i in range(symtab.size // 24):
        st_name, _info, _other, st_shndx, st_value, _size = struct.unpack_from("<IBBHQQ", obj, symtab.offset + i * 24)
        symbols.append(Symbol(_cstring(obj, strtab.offset + st_name), st_shndx, st_value))
    return symbols


@dataclass
class Linked:
    text: bytearray
    rodata: bytearray
    rodata_offset: int
    syscalls: list[str]
    relocations: list[tuple[int, int, int]]   # (file offset, type, dynsym index)
    entry_offset: int


def _layout_rodata(obj: bytes, sections: list[Section], start: int) -> tuple[bytearray, dict[int, int]]:
    rodata, base = bytearray(), {}
    for index, section in enumerate(sections):
        if section.name.startswith(".rodata") and section.type != SHT_REL:
            base[index] = start + len(rodata)
            rodata += obj[section.offset:section.offset + section.size]
            rodata += bytes(_align(len(rodata), 8) - len(rodata))
    if not rodata:
        rodata = bytearray(8)   # the loader rejects an empty .rodata header sharing .dynsym's offset
    return rodata, base


def link_sections(obj: bytes) -> Linked:
    sections = read_sections(obj)
    symbols = read_symbols(obj, sections)
    for s in sections:
        if (s.name.startswith(".data") or s.name.startswith(".bss")) and s.size:
            raise LinkError(f"writable section {s.name} ({s.size} bytes): SBPF v0 programs have no mutable globals")
    text_index = next(i for i, s in enumerate(sections) if s.name == ".text")
    text_section = sections[text_index]
    text = bytearray(obj[text_section.offset:text_section.offset + text_section.size])
    rodata_offset = _align(TEXT_OFFSET + len(text), 8)
    rodata, rodata_base = _layout_rodata(obj, sections, rodata_offset)

    syscalls: list[str] = []
    relocations: list[tuple[int, int, int]] = []
    for rel in sections:
        if rel.type != SHT_REL or not rel.size:
            continue
        if rel.info != text_index:
            raise LinkError(f"relocations in {rel.name}: only .text may be relocated (no pointer tables)")
        for k in range(rel.size // 16):
            r_offset, r_info = struct.unpack_from("<QQ", obj, rel.offset + k * 16)
            kind, symbol = r_info & 0xFFFFFFFF, symbols[r_info >> 32]
            if kind == R_BPF_64_64:
                if symbol.section not in rodata_base:
                    raise LinkError(f"lddw of {symbol.name or 'a section'} outside .rodata")
                (addend,) = struct.unpack_from("<i", text, r_offset + 4)
                address = rodata_base[symbol.section] + symbol.value + addend
                struct.pack_into("<I", text, r_offset + 4, address & 0xFFFFFFFF)
                struct.pack_into("<I", text, r_offset + 12, address >> 32)
                relocations.append((TEXT_OFFSET + r_offset, R_BPF_64_RELATIVE, 0))
            elif kind == R_BPF_64_32 and symbol.section == 0:
                if symbol.name not in syscalls:
                    syscalls.append(symbol.name)
                relocations.append((TEXT_OFFSET + r_offset, R_BPF_64_32, syscalls.index(symbol.name) + 1))
            elif kind == R_BPF_64_32 and symbol.section == text_index:
                struct.pack_into("<i", text, r_offset + 4, (symbol.value - r_offset) // 8 - 1)
            else:
                raise LinkError(f"unsupported relocation type {kind} against {symbol.name!r}")
    entry = next((s for s in symbols if s.name == "entrypoint" and s.section == text_index), None)
    if entry is None:
        raise LinkError("no `entrypoint` function in .text")
    return Linked(text, rodata, rodata_offset, syscalls, relocations, TEXT_OFFSET + entry.value)


def write_shared_object(linked: Linked) -> bytes:
    dynstr, name_offsets = bytearray(b"\0"), []
    for name in linked.syscalls:
        name_offsets.append(len(dynstr))
        dynstr += name.encode() + b"\0"
    dynsym = bytearray(24) + b"".join(struct.pack("<IBBHQQ", off, 0x10, 0, 0, 0, 0) for off in name_offsets)
    rel = b"".join(struct.pack("<QQ", off, (sym << 32) | kind) for off, kind, sym in linked.relocations)

    dynsym_off = _align(linked.rodata_offset + len(linked.rodata), 8)
    dynstr_off = dynsym_off + len(dynsym)
    rel_off = _align(dynstr_off + len(dynstr), 8)
    dynamic_off = _align(rel_off + len(rel), 8)
    dynamic = b"".join(struct.pack("<qQ", tag, value) for tag, value in [
        (17, rel_off), (18, len(rel)), (19, 16), (6, dynsym_off), (11, 24), (5, dynstr_off), (10, len(dynstr)), (0, 0)])
    section_names = [b"", b".text", b".rodata", b".dynsym", b".dynstr", b".rel.dyn", b".dynamic", b".shstrtab"]
    shstrtab, name_at = bytearray(), []
    for n in section_names:
        name_at.append(len(shstrtab))
        shstrtab += n + b"\0"
    shstrtab_off = dynamic_off + len(dynamic)
    sh_off = _align(shstrtab_off + len(shstrtab), 8)

    image = bytearray(sh_off)
    image[0:64] = (b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8) + struct.pack(
        "<HHIQQQIHHHHHH", ET_DYN, EM_BPF, 1, linked.entry_offset, 0, sh_off, 0, 64, 56, 0, 64,
        len(section_names), len(section_names) - 1))
    for offset, blob in [(TEXT_OFFSET, linked.text), (linked.rodata_offset, linked.rodata), (dynsym_off, dynsym),
                         (dynstr_off, dynstr), (rel_off, rel), (dynamic_off, dynamic), (shstrtab_off, shstrtab)]:
        image[offset:offset + len(blob)] = blob

    def header(i: int, typ: int, flags: int, off: int, size: int, link=0, info=0, align=1, entsize=0) -> bytes:
        address = off if flags & 0x2 else 0
        return struct.pack("<IIQQQQIIQQ", name_at[i], typ, flags, address, off, size, link, info, align, entsize)

    image += bytes(64)
    image += header(1, 1, 0x6, TEXT_OFFSET, len(linked.text), align=8)
    image += header(2, 1, 0x2, linked.rodata_offset, len(linked.rodata), align=8)
    image += header(3, SHT_DYNSYM, 0x2, dynsym_off, len(dynsym), 4, 1, 8, 24)
    image += header(4, SHT_STRTAB, 0x2, dynstr_off, len(dynstr))
    image += header(5, SHT_REL, 0x2, rel_off, len(rel), 3, 0, 8, 16)
    image += header(6, SHT_DYNAMIC, 0x3, dynamic_off, len(dynamic), 4, 0, 8, 16)
    image += header(7, SHT_STRTAB, 0, shstrtab_off, len(shstrtab))
    return bytes(image)


def link(obj: bytes) -> bytes:
    return write_shared_object(link_sections(obj))


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python -m localnet.programs.sbfld INPUT.o OUTPUT.so", file=sys.stderr)
        return 2
    try:
        Path(argv[2]).write_bytes(link(Path(argv[1]).read_bytes()))
    except LinkError as exc:
        print(f"sbfld: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
