"""`entraide crisis check`: try the live crisis patterns on real examples.

    entraide crisis check < messages.jsonl

Reads JSON lines {"text": ..., "lang": ...} on standard input and writes one JSON result line
per input line on standard output (`moderation.crisis_check.run_check`), with the detector the
server would use now: the shipped patterns plus the admins' changes stored in DATABASE_URL
(whose schema is brought up to date first).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from moderation.crisis import CrisisDetector
from moderation.crisis_check import run_check
from moderation.crisis_rules import CrisisRules, live_detector
from rooms.db import make_engine, make_sessionmaker
from web.config import AppConfig
from web.database import upgrade

__all__ = ["add_crisis_commands", "run_crisis"]


def add_crisis_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    crisis = commands.add_parser("crisis", help="crisis detection")
    actions = crisis.add_subparsers(dest="crisis_command", required=True)
    actions.add_parser(
        "check", help="JSON lines {text, lang} on stdin, one JSON result per line on stdout (live patterns)",
    )


async def _detector(config: AppConfig) -> CrisisDetector:
    engine = make_engine(config.database)
    try:
        return await live_detector(CrisisRules(make_sessionmaker(engine)))
    finally:
        await engine.dispose()


def run_crisis(config: AppConfig, args: argparse.Namespace) -> int:
    upgrade(config.database.url)
    detector = asyncio.run(_detector(config))
    out = sys.stdout
    for line in run_check(sys.stdin, detector):
        out.write(line + "\n")
        out.flush()
    return 0
