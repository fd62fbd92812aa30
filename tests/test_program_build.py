"""Rebuilding the on-chain programs from C gives exactly the committed .so files."""
from __future__ import annotations

import pytest

from localnet.programs import PROGRAM_DIR, build


@pytest.mark.compiler
@pytest.mark.skipif(build.find_compiler() is None, reason="no clang-19 and no ziglang: cannot rebuild SBF programs")
@pytest.mark.parametrize("name", build.PROGRAMS)
def test_rebuild_matches_committed_program(name):
    committed = (PROGRAM_DIR / f"{name}.so").read_bytes()
    assert build.build_program(name, build.find_compiler()) == committed


def test_committed_programs_are_sbpf_v0_shared_objects():
    for name in build.PROGRAMS:
        image = (PROGRAM_DIR / f"{name}.so").read_bytes()
        assert image[:4] == b"\x7fELF" and image[16] == 3 and image[18] == 247   # ET_DYN, EM_BPF


def test_linker_refuses_what_sbpf_cannot_load():
    from localnet.programs import sbfld
    with pytest.raises(sbfld.LinkError):
        sbfld.link(b"not an elf object")


def test_c_address_constants_match_the_python_ones():
    import re

    from solders.pubkey import Pubkey

    from adapters.pumpfun import addresses as addr
    expected = {"TOKEN_PROGRAM_ID": addr.TOKEN_PROGRAM, "ATA_PROGRAM_ID": addr.ASSOCIATED_TOKEN_PROGRAM,
                "METADATA_PROGRAM_ID": addr.METADATA_PROGRAM, "GLOBAL_PDA": addr.GLOBAL,
                "EVENT_AUTHORITY_PDA": addr.EVENT_AUTHORITY, "MINT_AUTHORITY_PDA": addr.MINT_AUTHORITY,
                "TOKEN_2022_PROGRAM_ID": addr.TOKEN_2022_PROGRAM, "FEE_PROGRAM_ID": addr.FEE_PROGRAM,
                "FEE_CONFIG_PDA": addr.FEE_CONFIG, "GLOBAL_VOLUME_ACCUMULATOR_PDA": addr.GLOBAL_VOLUME_ACCUMULATOR}
    header = (PROGRAM_DIR / "pump_ids.h").read_text()
    found = {name: Pubkey(bytes(int(b) for b in body.split(",")))
             for name, body in re.findall(r"SolPubkey (\w+) = \{\{([\d, ]+)\}\}", header)}
    assert found == expected
