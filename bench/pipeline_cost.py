"""Micro-benchmark of the moderation check pipeline: cost per 300-character message, all checks on.

Builds `default_pipeline` with the shipped crisis detector and every check, then runs it over
300-character messages in French and English: plain chat, and about one in six with a phone
number, a link, an insult, a crisis message or a repeat of the session's previous message.
Each message comes with its session's five previous texts, as the hub gives them. Prints the
median, p99 and max time per message for the whole pipeline (`Pipeline.run`, measured from
outside) and for each check (the pipeline's own timings), and the load average.

Run: ``python bench/pipeline_cost.py [--messages N]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import sys
import time
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from moderation.crisis import CrisisDetector  # noqa: E402  (after the path is set)
from moderation.pipeline import Candidate, Pipeline, default_pipeline  # noqa: E402
from moderation.pipeline_config import PipelineConfig  # noqa: E402

LENGTH = 300
SESSIONS = 200
CHAT = {
    "fr": [
        "Salut tout le monde, ça va ce soir ?", "Merci pour vos messages, ça me touche beaucoup.",
        "J'ai eu une journée compliquée au travail mais ça va mieux maintenant.",
        "Quelqu'un a des conseils pour mieux dormir ? Je me réveille à 4h toutes les nuits.",
        "Ma psy m'a conseillé d'écrire un journal, j'essaie depuis une semaine.",
        "On se retrouve jeudi pour le groupe de parole ?", "Bon courage à toi, on est là.",
        "Mon médecin a augmenté à 50 mg, rendez-vous le 12/03 à 10h30.", "J'ai 23 ans et ça fait 2 ans que ça dure.",
    ],
    "en": [
        "Hi everyone, how's your evening going?", "Thanks for all the kind messages, it means a lot.",
        "Rough day at work but I'm feeling a bit better now.",
        "Anyone have tips for sleeping better? I keep waking up at 4am.",
        "My therapist suggested journaling, I've been trying it for a week.",
        "See you all on Thursday for the group?", "Hang in there, we're here for you.",
        "They moved my appointment to 10:30 on the 3rd, and the dose to 2 x 25mg.",
    ],
}
EXTRAS = {
    "fr": ["appelle-moi au 06 12 34 56 78", "va voir doctissimo.fr", "t'es qu'un connard", "ajoute moi sur snap",
           "j'habite 12 rue de la Paix", "SOS Amitié 09 72 39 40 50"],
    "en": ["text me on +44 7700 900123", "check www.example.com/page", "you're such an idiot", "add me on insta",
           "I live at 221B Baker Street", "Samaritans 116 123"],
}


def messages(count: int, seed: int) -> Sample:
    """`count` (text, lang, session) of exactly 300 characters; every third is built around a
    crisis message or a hard negative from the evaluation set, one in six holds an extra."""
    rng = random.Random(seed)
    rows = [json.loads(line) for line in (ROOT / "tests/moderation/crisis_eval.jsonl").read_text("utf-8").splitlines()]
    out = []
    for i in range(count):
        lang = ("fr", "en")[i % 2]
        parts = []
        if i % 3 == 0:
            parts.append(rng.choice([r["text"] for r in rows if r["lang"] == lang]))
        if i % 6 == 1:
            parts.append(rng.choice(EXTRAS[lang]))
        while sum(len(p) + 1 for p in parts) < LENGTH:
            parts.insert(rng.randrange(len(parts) + 1), rng.choice(CHAT[lang]))
        out.append((" ".join(parts)[:LENGTH].ljust(LENGTH), lang, rng.randrange(SESSIONS)))
    return out


Sample = list[tuple[str, str, int]]


def run(pipeline: Pipeline, sample: Sample, rng: random.Random) -> tuple[list[int], dict[str, list[int]]]:
    recent: dict[int, deque[str]] = {s: deque(maxlen=5) for s in range(SESSIONS)}
    totals: list[int] = []
    per_check: dict[str, list[int]] = {name: [] for name in pipeline.names}
    clock = time.perf_counter_ns
    for text, lang, session in sample:
        mine = recent[session]
        if mine and rng.random() < 0.03:
            text = mine[-1]  # the same message again
        candidate = Candidate(text, lang, "anxiete", str(session), "peer", "hold", tuple(mine), 0.0)
        before = clock()
        outcome = pipeline.run(candidate)
        totals.append(clock() - before)
        for name, ns in outcome.timings().items():
            per_check[name].append(ns)
        mine.append(text)
    return totals, per_check


def summary(label: str, ns: list[int]) -> str:
    ns = sorted(ns)
    median, p99, top = statistics.median(ns) / 1000, ns[int(len(ns) * 0.99) - 1] / 1000, ns[-1] / 1000
    return f"{label:<14} median {median:6.1f} µs  p99 {p99:6.1f} µs  max {top:7.1f} µs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    started = time.perf_counter()
    pipeline = default_pipeline(CrisisDetector.shipped(), PipelineConfig())
    build_ms = (time.perf_counter() - started) * 1000
    sample = messages(args.messages + 1000, args.seed)
    run(pipeline, sample[:1000], random.Random(args.seed))  # warm-up
    # Long-lived objects out of the collector's way, as a server is after start-up.
    gc.collect()
    gc.freeze()
    load_before = os.getloadavg()[0]
    totals, per_check = run(pipeline, sample[1000:], random.Random(args.seed + 1))
    load_after = os.getloadavg()[0]
    print(f"pipeline built in {build_ms:.0f} ms ({', '.join(pipeline.names)}); {len(totals)} messages of "
          f"{LENGTH} characters; load average {load_before:.2f} → {load_after:.2f} on {os.cpu_count()} CPUs")
    print(summary("whole pipeline", totals))
    for name, ns in per_check.items():
        print(summary(name, ns))
    # On a busy machine the p99 and max above are mostly the scheduler and the collector. The
    # cost of each message without that noise: the median of 9 runs of the same candidate.
    costs = []
    clock = time.perf_counter_ns
    for text, lang, session in sample[1000:3000]:
        candidate = Candidate(text, lang, "anxiete", str(session), "peer", "hold", (text[::-1],) * 5, 0.0)
        repeats = []
        for _ in range(9):
            before = clock()
            pipeline.run(candidate)
            repeats.append(clock() - before)
        costs.append(int(statistics.median(repeats)))
    print(summary("per message*", costs))
    print("* the median of 9 runs of each of 2,000 messages, each with five recent texts to compare; from the "
          "second run on, the repetition check finds the message folded in its cache (about 7 µs less)")


if __name__ == "__main__":
    main()
