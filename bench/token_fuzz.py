"""A million random and mutated QR tokens through the server's verifier: zero false admits.

The door admits a code only when `tokens.verify` says ok, so a false admit is a token that
verifies although the box office never issued it. Four kinds of input, a quarter each:
  - a valid token with one base32 character replaced,
  - a valid token's 80 bytes with 1-8 random bits flipped (well formed, reaches the signature),
  - 80 random bytes carrying the event's real key id (well formed, reaches the signature),
  - arbitrary text (printable, unicode, whitespace, wrong lengths).
Runs on both cores; prints counts per outcome. The browser's verifier has its own run:
`node bench/token_fuzz.mjs`.

    python -m bench.token_fuzz [--count 1000000] [--seed 1]
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.passes import tokens

B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
KID = 0x5EED0001
ISSUED = 64


def _ring() -> tuple[dict[int, object], set[bytes], list[str]]:
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    rng = random.Random(0)
    issued = [
        tokens.issue(private_key=key, kid=KID, pass_key=rng.randbytes(11)) for _ in range(ISSUED)
    ]
    raw = {base64.b32decode(t) for t in issued}
    return {KID: key.public_key()}, raw, issued


def _mutant(rng: random.Random, issued: list[str]) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        text = list(rng.choice(issued))
        at = rng.randrange(len(text))
        text[at] = rng.choice(B32.replace(text[at], ""))
        return "".join(text)
    if kind == 1:
        raw = bytearray(base64.b32decode(rng.choice(issued)))
        for _ in range(rng.randint(1, 8)):
            bit = rng.randrange(len(raw) * 8)
            raw[bit // 8] ^= 1 << (bit % 8)
        return base64.b32encode(bytes(raw)).decode()
    if kind == 2:
        raw = bytearray(rng.randbytes(tokens.TOKEN_BYTES))
        raw[:5] = base64.b32decode(issued[0])[:5]  # the version and the real event key's id
        return base64.b32encode(bytes(raw)).decode()
    alphabet = rng.choice([B32, B32.lower() + " \n\t=", "".join(map(chr, range(32, 0x2FF)))])
    return "".join(rng.choice(alphabet) for _ in range(rng.choice([0, 1, 127, 128, 129, 200])))


def _chunk(args: tuple[int, int]) -> Counter[str]:
    seed, count = args
    keys, issued_raw, issued = _ring()
    rng = random.Random(seed)
    seen: Counter[str] = Counter()
    for _ in range(count):
        text = _mutant(rng, issued)
        check = tokens.verify(text, keys=keys)  # type: ignore[arg-type]
        if check.ok:
            normalized = base64.b32decode(text.strip().upper())
            seen["FALSE ADMIT" if normalized not in issued_raw else "re-encoded issued token"] += 1
        else:
            seen[check.reason or "refused"] += 1
    return seen


def main(count: int, seed: int) -> int:
    workers = os.cpu_count() or 1
    share = [(seed * 1000 + i, count // workers + (i < count % workers)) for i in range(workers)]
    started = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        total: Counter[str] = sum(pool.map(_chunk, share), Counter())
    elapsed = time.perf_counter() - started
    print(f"{count:,} tokens in {elapsed:.1f} s on {workers} processes")
    for outcome, n in total.most_common():
        print(f"  {outcome}: {n:,}")
    false_admits = total["FALSE ADMIT"]
    print(f"false admits: {false_admits}")
    return 1 if false_admits else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    raise SystemExit(main(args.count, args.seed))
