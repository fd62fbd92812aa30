"""pump.fun program ids, fixed PDAs and PDA derivations (PROTOCOL_FACTS.md, pump-public-docs IDL)."""
from __future__ import annotations

from functools import lru_cache

from solders.pubkey import Pubkey

PUMP_PROGRAM = Pubkey.from_string("6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P")
PUMP_SWAP_PROGRAM = Pubkey.from_string("pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA")
FEE_PROGRAM = Pubkey.from_string("pfeeUxB6jkeY1Hxd7CsFCAjcbHA9rWtchMGdZ6VojVZ")
METADATA_PROGRAM = Pubkey.from_string("metaqbxxUerdq28cj1RbAWkYQm3ybzjb6a8bt518x1s")
TOKEN_PROGRAM = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
TOKEN_2022_PROGRAM = Pubkey.from_string("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
ASSOCIATED_TOKEN_PROGRAM = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
SYSTEM_PROGRAM = Pubkey.from_string("11111111111111111111111111111111")
RENT_SYSVAR = Pubkey.from_string("SysvarRent111111111111111111111111111111111")
WSOL_MINT = Pubkey.from_string("So11111111111111111111111111111111111111112")
USDC_MINT = Pubkey.from_string("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")   # the whitelisted quote mint (BUY.md)


def _pda(seeds: list[bytes], program: Pubkey = PUMP_PROGRAM) -> Pubkey:
    return Pubkey.find_program_address(seeds, program)[0]


GLOBAL = _pda([b"global"])
EVENT_AUTHORITY = _pda([b"__event_authority"])
MINT_AUTHORITY = _pda([b"mint-authority"])
GLOBAL_VOLUME_ACCUMULATOR = _pda([b"global_volume_accumulator"])
FEE_CONFIG = _pda([b"fee_config", bytes(PUMP_PROGRAM)], FEE_PROGRAM)

# Global.fee_recipient and Global.fee_recipients[7] on mainnet (docs/FEE_RECIPIENTS.md; every
# fee recipient in shared/data/pumpfun_trades_2025-09.csv is one of these)
MAINNET_FEE_RECIPIENT = Pubkey.from_string("62qc2CNXwrYqQScmEdiZFFAnJR262PxWEuNQtxfafNgV")
MAINNET_FEE_RECIPIENTS = tuple(Pubkey.from_string(k) for k in (
    "7VtfL8fvgNfhz17qKRMjzQEXgbdpnHHHQRh54R9jP2RJ",
    "7hTckgnGnLQR6sdH7YkqFTAA7VwTfYFaZ6EhEsU3saCX",
    "9rPYyANsfQZw3DnDmKE3YCQF5E8oD89UXoHn9JFEhJUz",
    "AVmoTthdrX6tKt4nDjco2D775W2YK3sDhxPcMmzUAmTY",
    "CebN5WGQ4jvEPvsVU4EoHEpgzq1VV7AbicfhtW4xC9iM",
    "FWsW1xNtWscwNmKv6wVsU1iTzRN6wmmk3MjxRP5tT7hz",
    "G5UZAVbAf46s7cKWoyKu8kYTip9DGTpbLZ2qa9Aq69dP",
))

# Global.buyback_fee_recipients[8] and reserved_fee_recipients (mayhem coins) on mainnet
# (docs/FEE_RECIPIENTS.md, docs/BREAKING_FEE_RECIPIENT.md)
MAINNET_BUYBACK_FEE_RECIPIENTS = tuple(Pubkey.from_string(k) for k in (
    "5YxQFdt3Tr9zJLvkFccqXVUwhdTWJQc1fFg2YPbxvxeD",
    "9M4giFFMxmFGXtc3feFzRai56WbBqehoSeRE5GK7gf7",
    "GXPFM2caqTtQYC2cJ5yJRi9VDkpsYZXzYdwYpGnLmtDL",
    "3BpXnfJaUTiwXnJNe7Ej1rcbzqTTQUvLShZaWazebsVR",
    "5cjcW9wExnJJiqgLjq7DEG75Pm6JBgE1hNv4B2vHXUW6",
    "EHAAiTxcdDwQ3U4bU6YcMsQGaekdzLS3B5SmYo46kJtL",
    "5eHhjP8JaYkz83CWwvGU2uMUXefd3AazWGx4gpcuEEYD",
    "A7hAgCzFw14fejgCp387JUJRMNyz4j89JKnhtKU8piqW",
))
MAINNET_RESERVED_FEE_RECIPIENTS = tuple(Pubkey.from_string(k) for k in (
    "GesfTA3X2arioaHp8bbKdjG9vJtskViWACZoYvxp4twS",
    "4budycTjhs9fD6xw62VBducVTNgMgJJ5BgtKq7mAZwn6",
    "8SBKzEQU4nLSzcwF4a74F2iaUDQyTfjGndn6qUWBnrpR",
    "4UQeTP1T39KZ9Sfxzo3WR5skgsaP6NZa87BAkuazLEKH",
    "8sNeir4QsLsJdYpc9RZacohhK1Y5FLU3nC5LXgYB4aa6",
    "Fh9HmeLNUMVCvejxCtCL2DbYaRyBFVJ5xrWkLnMH6fdk",
    "463MEnMeGyJekNZFQSTUABBEbLnvMTALbT6ZmsxAbAdq",
    "6AUH3WEHucYZyC61hqpqYUWVto5qA5hjHuNQ32GNnNxA",
))
MAYHEM_PROGRAM = Pubkey.from_string("MAyhSmzXzV1pTf7LsNkrNwkWKTo4ougAJ1PPg47MD4e")


@lru_cache(maxsize=4096)
def bonding_curve(mint: Pubkey) -> Pubkey:
    return _pda([b"bonding-curve", bytes(mint)])


@lru_cache(maxsize=4096)
def bonding_curve_v2(mint: Pubkey) -> Pubkey:
    return _pda([b"bonding-curve-v2", bytes(mint)])


@lru_cache(maxsize=4096)
def associated_token_address(owner: Pubkey, mint: Pubkey, token_program: Pubkey = TOKEN_PROGRAM) -> Pubkey:
    return _pda([bytes(owner), bytes(token_program), bytes(mint)], ASSOCIATED_TOKEN_PROGRAM)


def associated_bonding_curve(mint: Pubkey, token_program: Pubkey = TOKEN_PROGRAM) -> Pubkey:
    return associated_token_address(bonding_curve(mint), mint, token_program)


@lru_cache(maxsize=4096)
def creator_vault(creator: Pubkey) -> Pubkey:
    return _pda([b"creator-vault", bytes(creator)])


@lru_cache(maxsize=4096)
def user_volume_accumulator(user: Pubkey) -> Pubkey:
    return _pda([b"user_volume_accumulator", bytes(user)])


@lru_cache(maxsize=4096)
def metadata(mint: Pubkey) -> Pubkey:
    return _pda([b"metadata", bytes(METADATA_PROGRAM), bytes(mint)], METADATA_PROGRAM)
