"""The follow-up close of a token account a sale emptied but left open.

The native routes close the coin's token account in the sale's own transaction. Jupiter's route
cannot (its transaction is built by the API, on mainnet with address lookup tables), so after a
Jupiter sale that sold everything the wallet sends one more transaction, CloseAccount, and books
its lamport change (the account's rent back, less the fee) like any other of its transactions:
the rent is in the books when the position closes, not at the balance monitor's next sweep.
"""
from __future__ import annotations

from solders.pubkey import Pubkey

from actors.trading_io import PreparedTx
from adapters.pumpfun import addresses
from adapters.pumpswap.layout import token_account_amount
from adapters.solana_rpc import FRESH_COMMITMENT

CLOSE = "close"   # the order kind and Settlement kind of the follow-up close


async def prepare_close_if_emptied(chain, mint: str, token_program: str) -> PreparedTx | None:
    """A signed close of the wallet's `mint` token account when it exists and holds nothing; None when
    it is already closed or still holds tokens. Read at processed: the sale just landed."""
    program = Pubkey.from_string(token_program)
    account = addresses.associated_token_address(chain.owner, Pubkey.from_string(mint), program)
    resp = await chain.rpc.call("getAccountInfo",
                                lambda c: c.get_account_info(account, commitment=FRESH_COMMITMENT))
    if resp.value is None or token_account_amount(bytes(resp.value.data)) != 0:
        return None
    return await chain.prepare_close_accounts([(str(account), token_program)])
