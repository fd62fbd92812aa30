"""The local chain core: a LiteSVM ledger with slots, a blockhash window, commitment lag and history.

Everything here runs on the asyncio loop's thread; servers (JSON-RPC, PubSub, Yellowstone) read
the chain directly and learn about new transactions and slots through listeners.
"""
from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Callable

from loguru import logger
from solders.account import Account
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from solders.token.state import Mint
from solders.transaction import VersionedTransaction

from adapters.stats import BoundedDict
from localnet import encoding
from localnet.account_versions import AccountVersions
from localnet.priority_fees import PriorityFeeBook
from localnet.token_index import TokenAccountIndex

BLOCKHASH_WINDOW = 150                 # blockhashes stay valid for 150 blocks, as on mainnet
MINT_DECIMALS_CACHE = 10_000
DEFAULT_RECORD_CAPACITY = 50_000     # ~10 KB per pump.fun trade record: ~0.5 GB when full
FAUCET_LAMPORTS = 500_000_000 * 10**9  # half a billion SOL: plenty for any test or simulation
ADDRESS_LOOKUP_TABLE_PROGRAM = Pubkey.from_string("AddressLookupTab1e1111111111111111111111111")
_LOOKUP_TABLE_META_LEN = 56
MEMO_PROGRAM_ID = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")


class TransactionRejected(Exception):
    """The chain refused a transaction before execution (nothing charged, nothing recorded).

    `err` is the TransactionError in RPC JSON form, e.g. "BlockhashNotFound" or "AlreadyProcessed".
    """

    def __init__(self, err: object, message: str):
        super().__init__(message)
        self.err = err


@dataclass(frozen=True)
class SimulationOutcome:
    """What a simulation (or preflight) found; the ledger is unchanged."""
    err: object | None
    logs: list[str]
    units_consumed: int
    return_data: tuple[Pubkey, bytes] | None
    inner_instructions: list[dict]
    post_accounts: dict[Pubkey, Account]

    @classmethod
    def refused(cls, err: object) -> "SimulationOutcome":
        """The outcome of a transaction refused before it ran."""
        return cls(err=err, logs=[], units_consumed=0, return_data=None, inner_instructions=[], post_accounts={})


@dataclass(frozen=True)
class TxRecord:
    """One executed transaction, as every server reports it."""
    signature: Signature
    transaction: VersionedTransaction
    slot: int
    index: int
    block_time: int
    err: object | None
    fee: int
    pre_balances: list[int]
    post_balances: list[int]
    pre_token_balances: list[dict]
    post_token_balances: list[dict]
    log_messages: list[str]
    inner_instructions: list[dict]
    compute_units: int
    loaded_writable: list[Pubkey]
    loaded_readonly: list[Pubkey]
    return_data: tuple[Pubkey, bytes] | None
    executed_at: float

    @property
    def account_keys(self) -> list[Pubkey]:
        return list(self.transaction.message.account_keys) + self.loaded_writable + self.loaded_readonly

    @property
    def is_vote(self) -> bool:
        return False


def faucet_keypair_for_seed(seed: int) -> Keypair:
    return Keypair.from_seed(hashlib.sha256(f"localnet-faucet:{seed}".encode()).digest())


def writable_account_keys(record: TxRecord) -> list[Pubkey]:
    """The accounts a recorded transaction could have changed."""
    keys = record.account_keys
    message = record.transaction.message
    static_count = len(message.account_keys)
    flags = _writable_flags(message, static_count, len(record.loaded_writable), len(keys) - static_count)
    return [key for key, writable in zip(keys, flags) if writable]


def _writable_flags(message, static_count: int, loaded_writable_count: int, loaded_count: int) -> list[bool]:
    header = message.header
    signed = header.num_required_signatures
    flags = [(i < signed - header.num_readonly_signed_accounts) if i < signed
             else (i < static_count - header.num_readonly_unsigned_accounts) for i in range(static_count)]
    return flags + [True] * loaded_writable_count + [False] * (loaded_count - loaded_writable_count)


class Chain:
    """Owns the LiteSVM; used only from the asyncio loop's thread.

    slot_ms=0 means no clock: slots advance only when advance_slot() is called (tests).
    """

    def __init__(self, *, slot_ms: int = 400, confirmed_lag: int = 1, finalized_lag: int = 32,
                 seed: int = 0, record_capacity: int = DEFAULT_RECORD_CAPACITY, sigverify: bool = True):
        if slot_ms < 0 or confirmed_lag < 0 or finalized_lag < confirmed_lag:
            raise ValueError("need slot_ms >= 0 and 0 <= confirmed_lag <= finalized_lag")
        self.slot_ms = slot_ms
        self.confirmed_lag = confirmed_lag
        self.finalized_lag = finalized_lag
        # The facade checks blockhashes itself (a 150-hash window) and deduplicates from its own
        # records, so LiteSVM keeps no history of its own.
        self.svm = LiteSVM().with_blockhash_check(False).with_transaction_history(0).with_sigverify(sigverify)
        self.slot = 1
        self._genesis_slot = self.slot
        self._slot_tx_count = 0
        self._blockhashes: deque[tuple[Hash, int]] = deque(maxlen=BLOCKHASH_WINDOW)
        self._blockhash_heights: dict[Hash, int] = {}
        self._slot_times: deque[int] = deque(maxlen=BLOCKHASH_WINDOW)   # aligned with _blockhashes
        self._records: OrderedDict[Signature, TxRecord] = OrderedDict()
        self._record_capacity = record_capacity
        self._listeners: list = []
        self._mint_decimals = BoundedDict(MINT_DECIMALS_CACHE)   # re-read from the mint when forgotten
        self.priority_fees = PriorityFeeBook()
        self.versions = AccountVersions()    # reads at confirmed/finalized roll back through these
        self._clock_task: asyncio.Task | None = None
        self._next_slot_at: float | None = None   # time.monotonic() the running clock closes this slot
        self._airdrop_count = 0
        self.blockhash_window = BLOCKHASH_WINDOW   # fault injection may shorten it (set_blockhash_window)
        self.submit_gate = None   # fault injection: gate(tx) -> True when it dropped or postponed a sent tx
        self.faucet = faucet_keypair_for_seed(seed)
        self._install_genesis_accounts()
        self.pumpfun = self._install_pumpfun()
        self.token_accounts = self._index_token_accounts()   # kept in step by execute() and set_account()
        self._start_slot(self.slot)
        # one per seed, so two chains are told apart the way two clusters are (live preflight)
        self.genesis_hash = Hash.hash(b"pumpsnipe-localnet-genesis:%d" % seed)

    # ---- genesis ---------------------------------------------------------
    def _install_genesis_accounts(self) -> None:
        native_mint = Mint(mint_authority=None, supply=0, decimals=9, is_initialized=True, freeze_authority=None)
        self.svm.set_account(encoding.NATIVE_MINT, Account(
            lamports=self.svm.minimum_balance_for_rent_exemption(encoding.MINT_LEN), data=bytes(native_mint),
            owner=encoding.TOKEN_PROGRAM_ID, executable=False))
        self.svm.set_account(self.faucet.pubkey(), Account(lamports=FAUCET_LAMPORTS, data=b"",
                                                          owner=Pubkey.default(), executable=False))

    def _index_token_accounts(self) -> TokenAccountIndex:
        index = TokenAccountIndex()
        for program in encoding.TOKEN_PROGRAMS:
            for key, account in self.svm.get_program_accounts(program):
                index.write(self.slot, key, account)
        return index

    def set_account(self, key: Pubkey, account: Account) -> None:
        """Write an account outside any transaction (set-up, tests). Writing through self.svm
        directly would leave the token-account index behind."""
        self.svm.set_account(key, account)
        self.token_accounts.write(self.slot, key, self.svm.get_account(key))

    def _install_pumpfun(self):
        try:
            from localnet.programs import install_pumpfun
        except ImportError as missing:
            logger.warning("pump.fun program unavailable ({}): chain runs without it", missing)
            return None
        return install_pumpfun(self.svm)

    # ---- slots and commitment ---------------------------------------------
    @property
    def confirmed_slot(self) -> int:
        return max(0, self.slot - self.confirmed_lag)

    @property
    def finalized_slot(self) -> int:
        return max(0, self.slot - self.finalized_lag)

    def slot_for_commitment(self, commitment: str | None) -> int:
        if commitment in ("finalized", "max", "root"):
            return self.finalized_slot
        if commitment in ("confirmed", "single", "singleGossip"):
            return self.confirmed_slot
        return self.slot

    def block_height(self) -> int:
        return self.slot - self._genesis_slot

    def commitment_of(self, slot: int) -> str:
        if slot <= self.finalized_slot:
            return "finalized"
        if slot <= self.confirmed_slot:
            return "confirmed"
        return "processed"

    def _start_slot(self, slot: int) -> None:
        self.svm.warp_to_slot(slot)
        self._slot_time = int(time.time())
        clock = self.svm.get_clock()
        clock.unix_timestamp = self._slot_time  # programs (pump.fun events) read time from the Clock
        self.svm.set_clock(clock)
        self.svm.expire_blockhash()
        blockhash = self.svm.latest_blockhash()
        if len(self._blockhashes) == BLOCKHASH_WINDOW:
            self._blockhash_heights.pop(self._blockhashes[0][0], None)
        self._blockhashes.append((blockhash, self.block_height()))
        self._slot_times.append(self._slot_time)
        self._blockhash_heights[blockhash] = self.block_height()
        if self.blockhash_window < BLOCKHASH_WINDOW:
            self._expire_blockhashes()
        self._slot_tx_count = 0

    def _expire_blockhashes(self) -> int:
        """Forget hashes older than the (shortened) window; returns how many expired."""
        oldest_valid = self.block_height() - self.blockhash_window + 1
        expired = [h for h, height in self._blockhash_heights.items() if height < oldest_valid]
        for blockhash in expired:
            del self._blockhash_heights[blockhash]
        return len(expired)

    def set_blockhash_window(self, window: int) -> int:
        """Blockhashes stay valid for `window` blocks (1..150); hashes already forgotten stay forgotten.
        Returns how many hashes expired at once."""
        if not 1 <= window <= BLOCKHASH_WINDOW:
            raise ValueError(f"blockhash window must be between 1 and {BLOCKHASH_WINDOW}")
        self.blockhash_window = window
        return self._expire_blockhashes()

    def advance_slot(self) -> None:
        """Close the current slot and open the next; tests call this to step time by hand."""
        parent = self.slot
        old_confirmed, old_finalized = self.confirmed_slot, self.finalized_slot
        self.slot += 1
        self._start_slot(self.slot)
        self.versions.forget_through(self.finalized_slot)
        self.token_accounts.forget_through(self.finalized_slot)
        self._emit("on_slot", self.slot, parent, "processed")
        for s in range(old_confirmed + 1, self.confirmed_slot + 1):
            self._emit("on_slot", s, s - 1, "confirmed")
        for s in range(old_finalized + 1, self.finalized_slot + 1):
            self._emit("on_slot", s, s - 1, "finalized")

    def start_clock(self) -> None:
        if self.slot_ms > 0 and self._clock_task is None:
            self._next_slot_at = time.monotonic() + self.slot_ms / 1000
            self._clock_task = asyncio.get_running_loop().create_task(self._run_clock())

    async def stop_clock(self) -> None:
        task, self._clock_task = self._clock_task, None
        self._next_slot_at = None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    async def _run_clock(self) -> None:
        while self._next_slot_at is not None:
            await asyncio.sleep(max(0.0, self._next_slot_at - time.monotonic()))
            self._close_slot_if_due()

    def _close_slot_if_due(self) -> None:
        """Open the next slot if the clock's time for it has come. The clock's task does it when the
        loop lets it run; execute() does it first, so a transaction arriving while the loop was busy
        past the boundary lands in the slot of its time, not at the end of an overlong one."""
        now = time.monotonic()
        if self._next_slot_at is None or now < self._next_slot_at:
            return
        # after a stall of a slot or more, the next slot is a whole slot from now, not a burst of
        # catch-up slots; set before the slot's listeners run (one may execute a transaction)
        period = self.slot_ms / 1000
        following = self._next_slot_at + period
        self._next_slot_at = following if following > now else now + period
        self.advance_slot()

    # ---- blockhashes ------------------------------------------------------
    def latest_blockhash(self, commitment: str | None = None) -> tuple[Hash, int]:
        """(hash, last_valid_block_height) of the newest block at the given commitment."""
        lag = self.slot - self.slot_for_commitment(commitment)
        blockhash, height = self._blockhashes[max(0, len(self._blockhashes) - 1 - lag)]
        return blockhash, height + self.blockhash_window

    def is_blockhash_valid(self, blockhash: Hash) -> bool:
        return blockhash in self._blockhash_heights

    # ---- reads ------------------------------------------------------------
    def get_account(self, key: Pubkey, commitment: str | None = None) -> Account | None:
        """The account as of the newest slot at `commitment` (None: processed, the live state)."""
        current = self.svm.get_account(key)
        if commitment is None or not self.versions.has(key):
            return current
        return self.versions.as_of(key, self.slot_for_commitment(commitment), current)

    def program_accounts(self, program: Pubkey, commitment: str | None = None) -> list[tuple[Pubkey, Account]]:
        """(key, account) of every account owned by `program` as of `commitment`."""
        current = self.svm.get_program_accounts(program)
        if commitment is None or not self.versions or self.slot_for_commitment(commitment) >= self.slot:
            return current
        rows = []
        for key, account in current:
            if self.versions.has(key):
                account = self.get_account(key, commitment)
                if account is None or account.owner != program:
                    continue
            rows.append((key, account))
        seen = {key for key, _ in current}
        for key in self.versions.keys() - seen:  # closed or reassigned since the view's slot
            account = self.get_account(key, commitment)
            if account is not None and account.owner == program:
                rows.append((key, account))
        return rows

    def block_header(self, slot: int) -> dict | None:
        """blockhash, previousBlockhash, parentSlot, blockHeight, blockTime of a recent slot (None if too old)."""
        newest = len(self._blockhashes) - 1
        index = newest - (self.slot - slot)
        if not 0 <= index <= newest:
            return None
        blockhash, height = self._blockhashes[index]
        previous = self._blockhashes[index - 1][0] if index > 0 else blockhash
        return {"blockHeight": height, "blockTime": self._slot_times[index], "blockhash": str(blockhash),
                "parentSlot": slot - 1, "previousBlockhash": str(previous)}

    def records_in_slot(self, slot: int) -> list[TxRecord]:
        """The kept transactions executed in `slot`, in execution order."""
        found = []
        for record in reversed(self._records.values()):
            if record.slot < slot:
                break
            if record.slot == slot:
                found.append(record)
        return found[::-1]

    def get_record(self, signature: Signature) -> TxRecord | None:
        return self._records.get(signature)

    def records_newest_first(self):
        """Every kept record, newest first (for address history queries)."""
        return reversed(self._records.values())

    def minimum_balance_for_rent_exemption(self, data_len: int) -> int:
        return self.svm.minimum_balance_for_rent_exemption(data_len)

    def mint_decimals(self, mint: Pubkey) -> int | None:
        decimals = self._mint_decimals.get(mint)
        if decimals is None:
            account = self.svm.get_account(mint)
            if account is None or not encoding.is_mint(account.owner, bytes(account.data)):
                return None
            decimals = self._mint_decimals[mint] = encoding.mint_decimals(bytes(account.data))
        return decimals

    # ---- listeners ----------------------------------------------------------
    def add_listener(self, listener) -> Callable[[], None]:
        """listener.on_transaction(rec) and listener.on_slot(slot, parent, status); must not block."""
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)
        return remove

    def _emit(self, method: str, *args) -> None:
        for listener in list(self._listeners):
            try:
                getattr(listener, method)(*args)
            except Exception:
                logger.exception("chain listener {} failed in {}", type(listener).__name__, method)

    # ---- execution ----------------------------------------------------------
    def simulate(self, tx: VersionedTransaction, *, sig_verify: bool = False,
                 check_blockhash: bool = True, inner_instructions: bool = True) -> SimulationOutcome:
        """inner_instructions=False: leave them out (decoding them costs more than an answer
        that does not ask for them is worth)."""
        if check_blockhash:
            self._check_blockhash(tx)
        previous = self.svm.get_sigverify()
        self.svm.with_sigverify(sig_verify)
        try:
            result = self.svm.simulate_transaction(tx)
        finally:
            self.svm.with_sigverify(previous)
        failed = type(result).__name__ == "FailedTransactionMetadata"
        meta = result.meta()
        return SimulationOutcome(err=encoding.transaction_error_json(result) if failed else None, logs=list(meta.logs()),
                                 units_consumed=meta.compute_units_consumed(), return_data=encoding.return_data_of(meta),
                                 inner_instructions=encoding.inner_instructions_of(meta) if inner_instructions else [],
                                 post_accounts={} if failed else dict(result.post_accounts()))

    def _check_blockhash(self, tx: VersionedTransaction) -> None:
        if tx.message.recent_blockhash not in self._blockhash_heights:
            raise TransactionRejected("BlockhashNotFound", "Blockhash not found")

    def check_admissible(self, tx: VersionedTransaction) -> None:
        """Raise TransactionRejected if the chain would refuse this transaction outright."""
        if tx.signatures[0] in self._records:
            raise TransactionRejected("AlreadyProcessed", "This transaction has already been processed")
        self._check_blockhash(tx)

    def execute(self, tx: VersionedTransaction) -> TxRecord:
        """Run a transaction in the current slot. Raises TransactionRejected if it never lands;
        a transaction that fails after paying its fee is recorded with its error."""
        self._close_slot_if_due()
        signature = tx.signatures[0]
        self.check_admissible(tx)
        message = tx.message
        loaded_writable, loaded_readonly = self._resolve_lookups(message)
        keys = list(message.account_keys) + loaded_writable + loaded_readonly
        writable = _writable_flags(message, len(message.account_keys), len(loaded_writable), len(keys) - len(message.account_keys))
        pre_accounts = [self.svm.get_account(k) for k in keys]
        result = self.svm.send_transaction(tx)
        executed_at = time.perf_counter()
        failed = type(result).__name__ == "FailedTransactionMetadata"
        meta = result.meta() if failed else result
        if failed and meta.fee() == 0:
            err = encoding.transaction_error_json(result)
            raise TransactionRejected(err, f"Transaction rejected: {err}")
        post_accounts = [self.svm.get_account(k) if w else pre for k, w, pre in zip(keys, writable, pre_accounts)]
        for key, w, post in zip(keys, writable, post_accounts):
            if w:
                self.token_accounts.write(self.slot, key, post)
        record = TxRecord(
            signature=signature, transaction=tx, slot=self.slot, index=self._slot_tx_count,
            block_time=self._slot_time, err=encoding.transaction_error_json(result) if failed else None, fee=meta.fee(),
            pre_balances=[a.lamports if a is not None else 0 for a in pre_accounts],
            post_balances=[a.lamports if a is not None else 0 for a in post_accounts],
            pre_token_balances=encoding.token_balances(pre_accounts, self.mint_decimals),
            post_token_balances=encoding.token_balances(post_accounts, self.mint_decimals),
            log_messages=list(meta.logs()), inner_instructions=encoding.inner_instructions_of(meta),
            compute_units=meta.compute_units_consumed(), loaded_writable=loaded_writable,
            loaded_readonly=loaded_readonly, return_data=encoding.return_data_of(meta), executed_at=executed_at)
        self._slot_tx_count += 1
        self.priority_fees.record(self.slot, tx, [k for k, w in zip(keys, writable) if w])
        if self.finalized_lag:
            self.versions.remember(self.slot, [k for k, w in zip(keys, writable) if w],
                                   [pre for pre, w in zip(pre_accounts, writable) if w])
        self._store(record)
        self._emit("on_transaction", record)
        return record

    def submit(self, tx: VersionedTransaction) -> Signature:
        """sendTransaction's path: execute now, unless the fault gate drops or postpones the transaction."""
        if self.submit_gate is not None and self.submit_gate(tx):
            return tx.signatures[0]
        return self.execute(tx).signature

    def airdrop(self, to: Pubkey, lamports: int) -> TxRecord:
        """A faucet transfer, executed and recorded like any other transaction."""
        if lamports <= 0:
            raise ValueError("airdrop amount must be a positive number of lamports")
        self._airdrop_count += 1
        blockhash, _ = self.latest_blockhash()
        # The memo keeps repeated identical airdrops in one slot from sharing a signature.
        memo = Instruction(MEMO_PROGRAM_ID, f"airdrop {self._airdrop_count}".encode(), [])
        ix = transfer(TransferParams(from_pubkey=self.faucet.pubkey(), to_pubkey=to, lamports=lamports))
        tx = VersionedTransaction(MessageV0.try_compile(self.faucet.pubkey(), [ix, memo], [], blockhash), [self.faucet])
        return self.execute(tx)

    def _store(self, record: TxRecord) -> None:
        self._records[record.signature] = record
        while len(self._records) > self._record_capacity:
            self._records.popitem(last=False)

    def _resolve_lookups(self, message) -> tuple[list[Pubkey], list[Pubkey]]:
        lookups = getattr(message, "address_table_lookups", None) or []
        writable: list[Pubkey] = []
        readonly: list[Pubkey] = []
        for lookup in lookups:
            table = self.svm.get_account(lookup.account_key)
            if table is None or table.owner != ADDRESS_LOOKUP_TABLE_PROGRAM:
                raise TransactionRejected("AddressLookupTableNotFound", "Transaction loads an address table account that doesn't exist")
            data = bytes(table.data)[_LOOKUP_TABLE_META_LEN:]
            addresses = [Pubkey.from_bytes(data[i:i + 32]) for i in range(0, len(data) - 31, 32)]
            try:
                writable += [addresses[i] for i in bytes(lookup.writable_indexes)]
                readonly += [addresses[i] for i in bytes(lookup.readonly_indexes)]
            except IndexError:
                raise TransactionRejected("InvalidAddressLookupTableIndex", "Transaction address table lookup uses an invalid index") from None
        return writable, readonly
