"""`entraide user ...`: staff accounts from the command line, and the first-admin setup link.

    entraide user add USERNAME --role helper|admin [--rooms slug,slug|all] --password-stdin
    entraide user disable USERNAME [--reason TEXT]
    entraide user list
    entraide user setup-link

Each works on the configured DATABASE_URL and brings its schema up to date first. What
the command line does is written to the audit log with the actor "cli".
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from moderation.accounts import AccountError
from moderation.audit import Actor
from moderation.staff_service import parse_rooms
from rooms.db import make_engine, make_sessionmaker
from rooms.store import RoomStore
from web.config import AppConfig
from web.database import upgrade
from web.staff import StaffServices

__all__ = ["add_user_commands", "print_setup_link", "run_user"]

CLI = Actor("cli", "system")
_T = TypeVar("_T")

_ERRORS = {
    "username_taken": ("ce nom d'utilisateur est déjà pris", "this username is taken"),
    "bad_username": (
        "nom d'utilisateur : 3 à 32 caractères parmi a-z 0-9 . _ -",
        "username: 3 to 32 characters among a-z 0-9 . _ -",
    ),
    "weak_password": (
        "mot de passe : au moins 12 caractères, différent du nom",
        "password: at least 12 characters, not the username",
    ),
    "unknown_room": ("salon inconnu", "unknown room"),
    "not_found": ("compte introuvable", "no such account"),
    "last_admin": ("c'est le dernier compte admin actif", "this is the last active admin account"),
    "bad_field": ("valeur refusée", "value refused"),
}


def add_user_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = commands.add_parser("user", help="helper and admin accounts")
    actions = user.add_subparsers(dest="user_command", required=True)
    add = actions.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--role", choices=["helper", "admin"], required=True)
    add.add_argument("--rooms", default=None, help="slug,slug or all (helpers; default: none)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    disable = actions.add_parser("disable", help="disable an account and end its logins")
    disable.add_argument("username")
    disable.add_argument("--reason", default=None)
    actions.add_parser("list", help="list accounts")
    actions.add_parser("setup-link", help="print a new first-admin setup link (when there is no admin)")


async def _with_staff(config: AppConfig, work: Callable[[StaffServices], Awaitable[_T]]) -> _T:
    engine = make_engine(config.database)
    try:
        sessions = make_sessionmaker(engine)
        rooms = RoomStore(sessions)
        # Rooms exist before anyone is given some to moderate, as when the server starts.
        await rooms.seed(config.rooms.seed, datetime.now(UTC))
        staff = StaffServices.build(config.accounts, config.helplines, sessions, rooms, config.chat.history_size)
        return await work(staff)
    finally:
        await engine.dispose()


def _read_password(args: argparse.Namespace) -> str | None:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        return None
    first = getpass.getpass("Mot de passe / password: ")
    if getpass.getpass("Encore / again: ") != first:
        print("entraide : les deux mots de passe diffèrent / the passwords differ", file=sys.stderr)
        return None
    return first


def _fail(error: AccountError) -> int:
    fr, en = _ERRORS.get(error.code, (error.code, error.code))
    extra = f" ({', '.join(error.extra['rooms'])})" if "rooms" in error.extra else ""
    print(f"entraide : {fr} / {en}{extra}", file=sys.stderr)
    return 1


def _setup_url(host: str, port: int, token: str) -> str:
    # Loopback and "every interface" both read best as localhost (and the log-privacy test
    # rightly refuses any dotted address in the server's output).
    local = ("", "0.0.0.0", "::", "127.0.0.1", "::1")  # noqa: S104 - bind addresses compared, not bound
    shown = "localhost" if host in local else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/setup#{token}"


def print_setup_link(config: AppConfig, host: str, port: int) -> bool:
    """When no admin exists, print a one-time link to create the first one, on stderr only.

    `print`, not logging: it must not reach log files or a log service. Each call makes a
    new link and the earlier one stops working, so only one works at a time.
    """
    token = asyncio.run(_with_staff(config, lambda staff: staff.service.new_setup_link()))
    if token is None:
        return False
    hours = config.accounts.setup_link_hours
    print(
        "\nentraide : aucun compte admin. Ouvrez ce lien pour créer le premier "
        f"(valable {hours:g} h, une seule fois) :\n"
        f"entraide: no admin account yet. Open this link to create the first one (valid {hours:g} h, once):\n\n"
        f"    {_setup_url(host, port, token)}\n\n"
        "(Sur un autre hôte, gardez le chemin /setup#… / on another host, keep the /setup#… part.)\n",
        file=sys.stderr, flush=True,
    )
    return True


def run_user(config: AppConfig, args: argparse.Namespace) -> int:
    upgrade(config.database.url)
    try:
        match args.user_command:
            case "add":
                return _add(config, args)
            case "disable":
                account = asyncio.run(_with_staff(
                    config, lambda staff: staff.service.disable(CLI, args.username, args.reason)
                ))
                print(f"entraide : compte {account.username} désactivé / account disabled "
                      "(ses connexions s'arrêtent / its logins end)", file=sys.stderr)
                return 0
            case "list":
                accounts = asyncio.run(_with_staff(config, lambda staff: staff.service.list_accounts()))
                for a in accounts:
                    rooms = "all" if a.rooms is None else ",".join(sorted(a.rooms)) or "-"
                    state = "disabled" if a.disabled_at else "active"
                    last = a.last_login_at.strftime("%Y-%m-%d %H:%M") if a.last_login_at else "-"
                    print(f"{a.username}\t{a.role}\t{rooms}\t{state}\t{last}")
                return 0
            case "setup-link":
                if not print_setup_link(config, config.server.host, config.server.port):
                    print("entraide : un compte admin existe déjà / an admin account already exists", file=sys.stderr)
                    return 1
                return 0
    except AccountError as error:
        return _fail(error)
    return 2


def _add(config: AppConfig, args: argparse.Namespace) -> int:
    password = _read_password(args)
    if password is None:
        print("entraide : donnez le mot de passe avec --password-stdin / pass the password with --password-stdin",
              file=sys.stderr)
        return 2
    rooms = None if args.role == "admin" else (parse_rooms(args.rooms) if args.rooms else frozenset())
    account = asyncio.run(_with_staff(
        config, lambda staff: staff.service.add_account(CLI, args.username, password, args.role, rooms)
    ))
    shown = "all" if account.rooms is None else ",".join(sorted(account.rooms)) or "-"
    print(f"entraide : compte {account.role} {account.username} créé / account created (rooms: {shown})",
          file=sys.stderr)
    return 0
