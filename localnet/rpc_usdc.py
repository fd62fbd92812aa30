"""`requestUsdcAirdrop` [pubkey, raw units]: the local chain's USDC faucet (localnet/programs/usdc.py),
answered like requestAirdrop with the signature of the minting transaction."""
from __future__ import annotations

from localnet.chain import Chain, TransactionRejected
from localnet.programs.usdc import MAX_USDC_AIRDROP, usdc_airdrop
from localnet.rpc_methods import Params, invalid_params
from localnet.rpc_methods_tx import rejection_error


def request_usdc_airdrop(chain: Chain, params: Params):
    to = params.pubkey(0)
    amount = params.unsigned(1, "amount")
    params.config(2)
    if not 0 < amount <= MAX_USDC_AIRDROP:
        raise invalid_params(f"USDC airdrop must be between 1 and {MAX_USDC_AIRDROP} raw units")
    try:
        return str(usdc_airdrop(chain, to, amount).signature)
    except TransactionRejected as rejected:
        raise rejection_error(rejected) from None


USDC_METHODS = {"requestUsdcAirdrop": request_usdc_airdrop}
