"""mana's users, shops and the odd outsider: drawn once per seed and shared by every interval generated."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa

N_USERS = 20_000
N_SHOPS = 1_200
ATTACKER_IP = "185.220.101.47"
ATTACKER_COUNTRY = "Germany"

_FIRST = (
    "somchai", "somsak", "suda", "anan", "malee", "niran", "kanya", "prasert", "wanida", "chaiwat", "pim",
    "arthit", "nattaya", "kittipong", "siriporn", "thanawat", "jintana", "apinya", "narong", "ratana",
    "pornthip", "wichai", "supaporn", "panya", "kamon", "orawan", "teerapat", "duangjai", "yuthana", "busaba",
)  # fmt: skip
_LAST = "bcdjkmnprstwy"
_DOMAINS = ("gmail.com", "gmail.com", "gmail.com", "hotmail.com", "hotmail.com", "outlook.co.th", "yahoo.com")
# Thai ISP ranges (TRUE, AIS, 3BB, TOT/NT, DTAC)
_PREFIXES = ("171.96", "171.97", "171.100", "49.228", "49.229", "49.230", "1.46", "1.47", "183.88", "110.168")
_COUNTRIES = ("Thailand", "Singapore", "Malaysia", "Japan", "United States", "Laos")
_COUNTRY_P = (0.955, 0.015, 0.01, 0.008, 0.007, 0.005)
_ID_CHARS = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", dtype=np.uint8)


@dataclass(frozen=True)
class Population:
    """Per-user columns (index = user); three pseudo-users follow the real ones.

    `attacker` is the brute-force client, `gateway` the payment provider calling back and `internal` the
    worker's own jobs; their accounts are null.
    """

    seed: int
    user_id: pa.Array
    account: pa.Array
    ip: pa.Array
    country: pa.Array
    user_cdf: np.ndarray  # activity of the real users, cumulative
    shop_cdf: np.ndarray  # popularity of shops 1..N_SHOPS, cumulative
    target: int  # the account the brute force goes after
    attacker: int
    gateway: int
    internal: int

    @property
    def target_account(self) -> str:
        return str(self.account[self.target].as_py())


@lru_cache(maxsize=8)
def population(seed: int) -> Population:
    """The users and shops of one seed (cached: every day and tick of a seed shares them)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x05E125]))
    n = N_USERS
    chars = _ID_CHARS[rng.integers(0, len(_ID_CHARS), size=(n, 6))]
    user_ids = [bytes(row).decode() for row in chars]
    first = rng.integers(0, len(_FIRST), n)
    last = rng.integers(0, len(_LAST), n)
    num = rng.integers(1, 100, n)
    dom = rng.integers(0, len(_DOMAINS), n)
    accounts = [f"{_FIRST[f]}.{_LAST[la]}{k}@{_DOMAINS[d]}" for f, la, k, d in zip(first, last, num, dom, strict=True)]
    pre = rng.integers(0, len(_PREFIXES), n)
    octets = rng.integers(1, 255, size=(n, 2))
    ips = [f"{_PREFIXES[p]}.{a}.{b}" for p, (a, b) in zip(pre, octets, strict=True)]
    countries = [_COUNTRIES[c] for c in rng.choice(len(_COUNTRIES), size=n, p=_COUNTRY_P)]
    activity = rng.pareto(1.5, n) + 0.2  # a few heavy users, a long tail of occasional ones
    shop_weight = 1.0 / np.arange(1, N_SHOPS + 1) ** 0.9
    rng.shuffle(shop_weight)
    target = int(np.argmax(activity[:500] < np.median(activity)))  # an ordinary user
    gateway_ip = f"203.151.{int(rng.integers(1, 255))}.{int(rng.integers(1, 255))}"
    return Population(
        seed=seed,
        user_id=pa.array([*user_ids, None, None, None], pa.string()),
        account=pa.array([*accounts, None, None, None], pa.string()),
        ip=pa.array([*ips, ATTACKER_IP, gateway_ip, "0.0.0.0"], pa.string()),
        country=pa.array([*countries, ATTACKER_COUNTRY, "Thailand", None], pa.string()),
        user_cdf=np.cumsum(activity) / activity.sum(),
        shop_cdf=np.cumsum(shop_weight) / shop_weight.sum(),
        target=target,
        attacker=n,
        gateway=n + 1,
        internal=n + 2,
    )


def pick(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Indices drawn from a cumulative distribution with uniforms `u` (vectorised inverse CDF)."""
    return np.minimum(np.searchsorted(cdf, u, side="right"), len(cdf) - 1)
