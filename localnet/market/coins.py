"""A simulated coin: its keys, scripted fate, the market's own model of its curve and holders,
and the Metaplex-style metadata JSON its uri points at."""
from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from adapters.pumpfun import curve as curve_math
from adapters.pumpfun.layout_v1 import BondingCurve, Global
from localnet.market.config import Fate
from localnet.market.wallets import Wallet

_ADJECTIVES = ("Based", "Tiny", "Golden", "Moon", "Angry", "Sleepy", "Turbo", "Cosmic", "Frog", "Giga",
               "Retro", "Lucky", "Wild", "Pixel", "Hyper", "Silent", "Rich", "Cyber", "Chill", "Mega")
_NOUNS = ("Cat", "Dog", "Pepe", "Rocket", "Whale", "Goblin", "Banana", "Wizard", "Penguin", "Hamster",
          "Otter", "Dragon", "Duck", "Toad", "Llama", "Shiba", "Monkey", "Bear", "Bull", "Robot")
SOCIALS_SHARE = 0.4          # share of coins whose metadata lists twitter/telegram/website


@dataclass
class Coin:
    index: int
    mint: Keypair
    address: Pubkey                           # the mint's address
    creator: Wallet
    fate: Fate
    rng: random.Random
    name: str
    symbol: str
    curve: BondingCurve                       # the market's model of the on-chain curve
    holdings: dict[Pubkey, int] = field(default_factory=dict)
    launched_at: float = 0.0                  # simulated seconds
    phase: int = 0
    phase_ends_at: float = 0.0
    launched: bool = False
    ended: bool = False
    graduated: bool = False
    resyncing: bool = False                   # a read-back of the curve is under way
    kind: str = "create"                      # launch kind: create, create_v2, mayhem or usdc (instruction_mix)

    def holders(self, exclude: Pubkey | None = None) -> list[Pubkey]:
        return [owner for owner, amount in self.holdings.items() if amount > 0 and owner != exclude]

    def apply_buy(self, owner: Pubkey, tokens: int) -> None:
        tokens = curve_math.buy_tokens_capped(self.curve, tokens)
        self.curve = curve_math.after_buy(self.curve, tokens)
        self.holdings[owner] = self.holdings.get(owner, 0) + tokens

    def apply_sell(self, owner: Pubkey, tokens: int) -> None:
        self.curve = curve_math.after_sell(self.curve, tokens)
        self.holdings[owner] -= tokens


def new_coin(index: int, seed: int, fate: Fate, creator: Wallet, global_: Global) -> Coin:
    """A coin whose every random choice comes from its own seeded stream (deterministic per index)."""
    rng = random.Random(f"localnet-market:{seed}:coin:{index}")
    mint = Keypair.from_seed(rng.randbytes(32))
    name = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"
    symbol = (name.split()[0][:2] + name.split()[1][:3]).upper()
    return Coin(index=index, mint=mint, address=mint.pubkey(), creator=creator, fate=fate, rng=rng, name=name,
                symbol=symbol, curve=curve_math.initial_curve(global_, creator.pubkey))


def quote_units(kind: str, global_: Global, lamports: int) -> int:
    """A size drawn in lamports, in the coin's quote units: a USDC-paired coin's at the ratio of the two
    curves' initial virtual reserves (Global: 4,000 USDC to 30 SOL locally), so both kinds of curve move
    alike; integers throughout."""
    if kind != "usdc":
        return lamports
    return lamports * global_.initial_virtual_quote_reserves // global_.initial_virtual_sol_reserves


def pair_with_usdc(coin: Coin, global_: Global) -> None:
    """A USDC-paired coin's model curve starts from Global's initial virtual quote reserves."""
    coin.curve = replace(coin.curve, virtual_sol_reserves=global_.initial_virtual_quote_reserves)


def metadata_document(coin_name: str, symbol: str, mint: Pubkey, image_url: str, rng: random.Random) -> dict:
    """The JSON a pump.fun coin's metadata uri serves (name, symbol, description, image, socials)."""
    document = {"name": coin_name, "symbol": symbol,
                "description": f"{coin_name} ({symbol}) launched on the local pump.fun market.",
                "image": image_url, "showName": True, "createdOn": "https://pump.fun"}
    if rng.random() < SOCIALS_SHARE:
        handle = symbol.lower() + str(mint)[:4].lower()
        document.update(twitter=f"https://x.com/{handle}", telegram=f"https://t.me/{handle}",
                        website=f"https://{handle}.example")
    return document
