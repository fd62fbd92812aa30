"""USDC on the local chain: an SPL Token mint at mainnet's address (6 decimals) made at genesis, the
USDC token accounts of pump.fun's buyback fee recipients (v3 trades require them to exist), and a
faucet that mints to a wallet's USDC account in a real transaction. The mint authority is a key
derived from a fixed public seed: it is a local-chain stand-in with no value anywhere else."""
from __future__ import annotations

import hashlib
import struct

from solders.account import Account
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from adapters.pumpfun import addresses as addr

USDC_MINT = Pubkey.from_string("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")   # pump-public-docs BUY.md
USDC_DECIMALS = 6
MAX_USDC_AIRDROP = 10_000_000 * 10**USDC_DECIMALS     # 10M USDC a request
USDC_MINT_AUTHORITY = Keypair.from_seed(hashlib.sha256(b"localnet usdc mint authority").digest())
MINT_SPACE, TOKEN_ACCOUNT_SPACE = 82, 165


def mint_bytes(authority: Pubkey, supply: int, decimals: int) -> bytes:
    """SPL Token Mint: COption mint authority, supply, decimals, initialized, no freeze authority."""
    return struct.pack("<I", 1) + bytes(authority) + struct.pack("<QBB", supply, decimals, 1) + bytes(36)


def token_account_bytes(mint: Pubkey, owner: Pubkey, amount: int) -> bytes:
    """SPL Token Account: mint, owner, amount, no delegate, Initialized, not native, no close authority."""
    return bytes(mint) + bytes(owner) + struct.pack("<Q", amount) + bytes(36) + bytes([1]) + bytes(12) + bytes(8) + bytes(36)


def install_usdc(svm: LiteSVM, token_holders: tuple[Pubkey, ...]) -> None:
    """The USDC mint (supply 0) and an empty USDC account for each of token_holders."""
    def put(address: Pubkey, data: bytes) -> None:
        svm.set_account(address, Account(lamports=svm.minimum_balance_for_rent_exemption(len(data)), data=data,
                                         owner=addr.TOKEN_PROGRAM, executable=False, rent_epoch=0))
    put(USDC_MINT, mint_bytes(USDC_MINT_AUTHORITY.pubkey(), 0, USDC_DECIMALS))
    for holder in token_holders:
        put(addr.associated_token_address(holder, USDC_MINT), token_account_bytes(USDC_MINT, holder, 0))


def usdc_airdrop_instructions(payer: Pubkey, owner: Pubkey, amount: int) -> list[Instruction]:
    """Create owner's USDC account if missing, then MintTo it `amount` raw units."""
    account = addr.associated_token_address(owner, USDC_MINT)
    create = Instruction(addr.ASSOCIATED_TOKEN_PROGRAM, bytes([1]), [
        AccountMeta(payer, True, True), AccountMeta(account, False, True), AccountMeta(owner, False, False),
        AccountMeta(USDC_MINT, False, False), AccountMeta(addr.SYSTEM_PROGRAM, False, False),
        AccountMeta(addr.TOKEN_PROGRAM, False, False)])
    mint_to = Instruction(addr.TOKEN_PROGRAM, bytes([7]) + struct.pack("<Q", amount), [
        AccountMeta(USDC_MINT, False, True), AccountMeta(account, False, True),
        AccountMeta(USDC_MINT_AUTHORITY.pubkey(), True, False)])
    return [create, mint_to]


def usdc_airdrop(chain, owner: Pubkey, amount: int):
    """Mint `amount` raw USDC units to owner's USDC account through chain.execute (the chain's faucet pays)."""
    if not 0 < amount <= MAX_USDC_AIRDROP:
        raise ValueError(f"USDC airdrop must be between 1 and {MAX_USDC_AIRDROP} raw units, got {amount}")
    blockhash, _ = chain.latest_blockhash()
    instructions = usdc_airdrop_instructions(chain.faucet.pubkey(), owner, amount)
    message = MessageV0.try_compile(chain.faucet.pubkey(), instructions, [], blockhash)
    return chain.execute(VersionedTransaction(message, [chain.faucet, USDC_MINT_AUTHORITY]))
