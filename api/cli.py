"""The `poctix` command: run, migrate, worker, outbox, demo, scanner-link, organizer, member,
sign-in-link, settings."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import click

from api.db.database import database
from api.settings import Settings, SettingsError, describe
from api.web.observability import configure_logging, init_sentry

if TYPE_CHECKING:
    from api.lan.serve import HttpsPlan

log = logging.getLogger("poctix")
T = TypeVar("T")
# Open server-sent event streams (the live door view) never end by themselves: on shutdown,
# give requests this long to finish, then close what is left.
GRACE_SECONDS = 5
# `poctix run` starts the outbox worker as a child process this much nicer than itself: drawing
# the QR images of confirmation emails then only takes CPU the pages leave over (under an
# on-sale spike, inside the web process, it took a third of it: bench/README.md). It runs in a
# session of its own, whose autogroup gets this niceness too (`_nice_autogroup`).
WORKER_NICENESS = 10
# ... and this many of them. Rendering and sending a confirmation is CPU work in one Python
# process (one core at most); with two, one works while the other waits on PostgreSQL or SMTP,
# and once an on-sale burst of webhooks is answered both cores send (200 paid orders at once:
# p95 2.2 s with one, 1.8 s with two; bench/README.md). Niced, they still take only what the
# pages leave over.
WORKER_PROCESSES = 2


def _settings() -> Settings:
    """The settings of a command that does work; Sentry reports its errors from here on (the
    worker's jobs that fail for good among them), scrubbed as the web app's are."""
    try:
        settings = Settings.from_env().with_secret_key()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    init_sentry(settings.sentry_dsn, environment=settings.environment)
    return settings


def _served_links(settings: Settings, port: int | None = None) -> Settings:
    """With no BASE_URL, links name the address `poctix run` serves on: PORT already does
    (`Settings.from_env`); `--port` overrides it here."""
    if "BASE_URL" in os.environ or port is None or port == settings.port:
        return settings
    return dataclasses.replace(settings, base_url=f"http://127.0.0.1:{port}")


def _with_session(settings: Settings, work: Callable[..., Awaitable[T]]) -> T:
    from api.db.engine import create_engine, session_factory

    async def runner() -> T:
        assert settings.database_url
        engine = create_engine(settings.database_url, pool_size=2)
        try:
            async with session_factory(engine)() as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(runner())


def _migrate(settings: Settings) -> None:
    from api.db.migrate import upgrade

    assert settings.database_url
    upgrade(settings.database_url)


@click.group()
def main() -> None:
    """POCtix: ticketing with an offline-first door scanner."""
    configure_logging()


@main.command()
@click.option("--host", default=None, help="Interface to listen on (default: HOST setting).")
@click.option("--port", default=None, type=int, help="Port to listen on (default: PORT setting).")
@click.option("--demo", is_flag=True, help="Load the demo organizer and event first.")
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1, 64),
    help="Processes serving requests (one per core is a good start).",
)  # fmt: skip
@click.option(
    "--https", "https", is_flag=True,
    help="Serve HTTPS on the LAN address with a local certificate authority (phones need it).",
)  # fmt: skip
@click.option(
    "--https-name", "https_names", multiple=True, metavar="NAME",
    help="One more host name the HTTPS certificate must cover (repeatable).",
)  # fmt: skip
def run(
    host: str | None, port: int | None, demo: bool, workers: int, https: bool,
    https_names: tuple[str, ...],
) -> None:  # fmt: skip
    """Start the database (embedded unless DATABASE_URL), migrate, and serve (with the outbox
    worker as a child process unless WORKER_IN_PROCESS=false)."""
    _exit_on_sigterm()
    settings = _settings()
    configure_logging(settings.log_level)
    tls = None
    if https:
        from api.lan.serve import plan_https

        tls = plan_https(
            data_dir=settings.data_dir, base_url=settings.base_url, port=port or settings.port,
            host=host, extra_names=https_names, environ=os.environ,
        )  # fmt: skip
        settings = dataclasses.replace(settings, base_url=tls.base_url)
        os.environ["BASE_URL"] = tls.base_url  # links made by worker processes too
    elif (served := _served_links(settings, port)) is not settings:
        settings = served
        os.environ["BASE_URL"] = settings.base_url  # links made by worker processes too
    with database(settings) as ready:
        _migrate(ready)
        if demo:
            _print_demo(ready, qr=tls is not None)
        bind_host, bind_port = host or ready.host, port or ready.port
        if tls is None:
            click.echo(f"POCtix is serving at http://{bind_host}:{bind_port}/", err=True)
        else:
            from api.lan.terminal import echo_https

            bind_host = tls.bind_host
            echo_https(tls)
        assert ready.database_url
        # Worker processes (and the outbox worker) build their settings from the environment
        # this process resolved.
        os.environ.update(DATABASE_URL=ready.database_url, SECRET_KEY=ready.secret_key)
        outbox_workers = (
            [_start_worker() for _ in range(WORKER_PROCESSES)] if settings.worker_in_process else []
        )
        try:
            _serve(bind_host, bind_port, workers, ready, tls=tls)
        finally:
            _stop_workers(outbox_workers)


def _exit_on_sigterm() -> None:
    """SIGTERM (docker stop, systemd, most process managers) stops `run` as SIGINT does: the web
    workers, then the outbox worker, then the embedded PostgreSQL.

    Python's default for SIGTERM ends the process on the spot, skipping every `finally`; and
    uvicorn, after its own graceful shutdown, raises the signal again for the previous handler.
    So the handler turns it into SystemExit, which unwinds through the cleanup. A second SIGTERM
    during that cleanup is ignored; SIGKILL remains for a stop that hangs.
    """

    def stop(signum: int, frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        log.info("SIGTERM: stopping")
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    # And SIGINT stops it even when it was started with SIGINT ignored (a shell's background
    # job inherits that): Python then installs no KeyboardInterrupt of its own.
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _serve(
    host: str, port: int, workers: int, ready: Settings, *, tls: HttpsPlan | None = None
) -> None:
    import uvicorn

    from api.app import create_app

    certfile, keyfile = (str(tls.certfile), str(tls.keyfile)) if tls else (None, None)
    if workers == 1:
        config = uvicorn.Config(
            create_app(ready), host=host, port=port, log_config=None,
            proxy_headers=False, server_header=False, access_log=False,
            timeout_graceful_shutdown=GRACE_SECONDS, ssl_certfile=certfile, ssl_keyfile=keyfile,
        )  # fmt: skip
        uvicorn.Server(config).run()
        return
    uvicorn.run(
        "api.asgi:app_from_env", factory=True, workers=workers, host=host, port=port,
        log_config=None, proxy_headers=False, server_header=False, access_log=False,
        timeout_graceful_shutdown=GRACE_SECONDS, ssl_certfile=certfile, ssl_keyfile=keyfile,
    )  # fmt: skip


def _start_worker() -> subprocess.Popen[bytes]:
    """`poctix worker` beside the web server, niced, ending with this process."""
    return subprocess.Popen(
        [
            sys.executable, "-m", "api.cli", "worker",
            "--nice", str(WORKER_NICENESS), "--parent", str(os.getpid()),
        ],
        start_new_session=True,  # its own autogroup; `run` stops it (`_stop_workers`)
    )  # fmt: skip


def _stop_workers(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to each (jobs in flight finish and commit, api/outbox/worker.py STOP_GRACE, all at
    once), then SIGKILL to any still running."""
    from api.outbox.worker import STOP_GRACE

    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + STOP_GRACE + 5
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@main.command()
def migrate() -> None:
    """Apply every database migration (alembic upgrade head)."""
    settings = _settings()
    with database(settings) as ready:
        _migrate(ready)
    click.echo("Database is up to date.")


@main.command()
@click.option(
    "--nice", "niceness", default=0, show_default=True, type=click.IntRange(0, 19),
    help="Run at this much lower CPU priority (os.nice).",
)  # fmt: skip
@click.option("--parent", "parent_pid", default=None, type=int, hidden=True)
def worker(niceness: int, parent_pid: int | None) -> None:
    """Run the background worker (outbox delivery) until interrupted."""
    settings = _settings()
    if niceness:
        os.nice(niceness)
        _nice_autogroup(niceness)

    async def serve_jobs(url: str) -> None:
        from api.db.engine import create_engine, session_factory
        from api.outbox.worker import CONCURRENCY, work_forever

        # A connection for each job in flight and one for the hold sweep: with fewer, the pool
        # closed its overflow connections after every job and opened new ones (a PostgreSQL
        # backend each), and the worker spent its time connecting.
        engine = create_engine(url, pool_size=CONCURRENCY + 1)
        loop = asyncio.get_running_loop()
        task = asyncio.create_task(work_forever(session_factory(engine), settings))
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        if parent_pid is not None:
            orphaned = asyncio.create_task(_cancel_when_orphaned(parent_pid, task))
        log.info("worker started")
        try:
            await task
        except asyncio.CancelledError:
            pass
        finally:
            if parent_pid is not None:
                orphaned.cancel()
            await engine.dispose()
        log.info("worker stopped")

    with database(settings) as ready:
        assert ready.database_url
        asyncio.run(serve_jobs(ready.database_url))


def _nice_autogroup(niceness: int) -> None:
    """Where Linux groups processes by session for CPU time (autogroup, on by default in
    Debian's kernel), a process's niceness only ranks it inside its session's group: the
    PostgreSQL server, in a session of its own, got as much CPU as the web workers and the niced
    worker together, and the worker took a share of a sale burst's two cores (bench/README.md,
    "Sold-out burst"). Leading a session of its own (`_start_worker`), the worker gives its
    group the same niceness. Not when it shares a terminal's session (that would nice the shell)."""
    if os.getsid(0) != os.getpid():
        return
    try:
        with open("/proc/self/autogroup", "w") as group:
            group.write(str(niceness))
    except OSError:  # no autogroup here (another kernel, a container): the niceness stands
        pass


async def _cancel_when_orphaned(parent_pid: int, task: asyncio.Task[None]) -> None:
    """`poctix run` killed outright (SIGKILL, OOM) cannot stop its worker: the worker stops
    itself once it has been handed to another parent (polled: a parent's death sends no event)."""
    while os.getppid() == parent_pid:  # noqa: ASYNC110
        await asyncio.sleep(1)
    log.warning("poctix run (pid %d) is gone; the worker stops", parent_pid)
    task.cancel()


@main.command()
@click.option("--all", "everything", is_flag=True, help="Also list sent messages.")
@click.option("--limit", default=50, show_default=True, help="Most rows to list, newest first.")
@click.option(
    "--release",
    is_flag=True,
    help="Queue kept emails again (once MAIL_API_URL or SMTP_HOST is set).",
)
@click.option("--show", "show_id", default=None, help="Print what the message with this id says.")
def outbox(everything: bool, limit: int, release: bool, show_id: str | None) -> None:
    """List the outbox: pending, kept (no email provider configured) and failed messages."""
    import uuid

    from sqlalchemy.ext.asyncio import AsyncSession

    from api.db import OutboxMessage
    from api.mail import list_outbox, preview, release_kept

    settings = _settings()
    statuses = (
        ("pending", "kept", "failed", "sent") if everything else ("pending", "kept", "failed")
    )

    async def show(session: AsyncSession) -> str | None:
        try:
            row = await session.get(OutboxMessage, uuid.UUID(show_id or ""))
        except ValueError:
            return None
        return None if row is None else await preview(session, row=row, settings=ready)

    async def look(session: AsyncSession) -> tuple[int, list[OutboxMessage]]:
        released = await release_kept(session) if release else 0
        await session.commit()
        return released, await list_outbox(session, statuses=statuses, limit=limit)

    with database(settings) as ready:
        if show_id is not None:
            text = _with_session(ready, show)
            if text is None:
                raise click.ClickException(f"No outbox message with id {show_id!r}.")
            click.echo(text)
            return
        released, rows = _with_session(ready, look)
    if release:
        click.echo(f"Queued {released} kept message(s) again.")
    if not rows:
        click.echo("The outbox is empty." if everything else "Nothing pending, kept or failed.")
    for row in rows:
        to = row.payload.get("to") or row.payload.get("email") or ""
        click.echo(
            f"{row.id}  {row.created_at:%Y-%m-%d %H:%M:%S}  {row.status:<7}  {row.kind:<18}  "
            f"attempts={row.attempts}  provider={row.provider or '-'}"
            + (f"\n    to {to}: {row.payload.get('subject', '')}" if to else "")
            + (f"\n    last error: {row.last_error}" if row.last_error else "")
        )
    if any(row.status == "kept" for row in rows):
        click.echo("Read one with: poctix outbox --show ID")


def _print_demo(settings: Settings, *, qr: bool = False) -> None:
    from api.demo import DEMO_OWNER, load_demo

    links = _with_session(
        settings,
        lambda session: load_demo(
            session,
            base_url=settings.base_url,
            secret_key=settings.secret_key,
            currency=next(iter(settings.fees)),
        ),
    )
    status = "Created the demo event." if links.created else "The demo event already exists."
    click.echo(
        f"{status}\n  Event page:   {links.event_url}\n  Door scanner: {links.scanner_url}\n"
        f"  Dashboard:    {links.admin_url}\n"
        f"  Sign in as the demo owner ({DEMO_OWNER}), once, within 15 minutes:\n"
        f"                {links.owner_sign_in_url}\n"
        f"  (a new link: poctix sign-in-link {DEMO_OWNER})\n"
        f"  Operator: {_operator_hint(settings)}"
    )
    if qr:  # phones are at hand (poctix run --https): the links they open, as QR codes
        from api.lan.terminal import echo_link

        echo_link("Event page", links.event_url)
        echo_link("Door scanner (pair a phone)", links.scanner_url)


def _operator_hint(settings: Settings) -> str:
    from api.admin.auth import operator_configured

    if operator_configured(settings):
        return (
            f"sign in at {settings.base_url.rstrip('/')}/admin/sign-in as {settings.admin_username}"
        )
    return "set ADMIN_USERNAME and ADMIN_PASSWORD, restart, then sign in at /admin/sign-in"


@main.command()
def demo() -> None:
    """Create the demo organizer and event (once) and print its links."""
    settings = _served_links(_settings())
    with database(settings) as ready:
        _migrate(ready)
        _print_demo(ready)


@main.command("scanner-link")
@click.argument("event_slug")
@click.option("--door", default="Door", show_default=True, help="Door name for the device.")
@click.option(
    "--uses",
    type=click.IntRange(1, 50),
    default=1,
    show_default=True,
    help="How many phones the link may pair (1: single use).",
)
def scanner_link(event_slug: str, door: str, uses: int) -> None:
    """Print a pairing link for door phones to scan EVENT_SLUG (audited)."""
    from sqlalchemy import select
    from sqlalchemy.ext.asyncio import AsyncSession

    from api.checkin.services import create_pairing, pairing_link
    from api.db import Event
    from api.ops.staff import cli_actor

    settings = _served_links(_settings())

    async def make(session: AsyncSession) -> str | None:
        event = await session.scalar(select(Event).where(Event.slug == event_slug))
        if event is None:
            return None
        pairing = await create_pairing(
            session, event_id=event.id, door=door, uses=uses, actor=cli_actor()
        )
        await session.commit()
        return pairing_link(settings.base_url, pairing.code)

    with database(settings) as ready:
        link = _with_session(ready, make)
    if link is None:
        raise click.ClickException(f"No event with slug {event_slug!r}.")
    click.echo(link)


@main.group()
def organizer() -> None:
    """Organizers (for a host whose email is not set up yet)."""


@organizer.command("create")
@click.argument("name")
@click.option("--owner", "owner_email", required=True, help="Email of the first owner.")
def organizer_create(name: str, owner_email: str) -> None:
    """Create an organizer NAME with its first owner (audited)."""
    from api.ops import staff

    made = _staff_command(
        lambda session: staff.create_organizer(
            session, name=name, owner_email=owner_email, actor=staff.cli_actor()
        )
    )
    click.echo(f"Created {made.name} (slug {made.slug}, id {made.id}) with owner {owner_email}.")
    click.echo(f"Sign them in with: poctix sign-in-link {owner_email}")


@main.group()
def member() -> None:
    """Organizer members (owner, manager, door)."""


@member.command("add")
@click.argument("organizer_key", metavar="ORGANIZER")
@click.argument("email")
@click.option(
    "--role", type=click.Choice(["owner", "manager", "door"]), default="manager",
    show_default=True, help="owner: everything; manager: events, orders, money; door: the door.",
)  # fmt: skip
def member_add(organizer_key: str, email: str, role: str) -> None:
    """Add EMAIL to ORGANIZER (its slug or id) with a role (audited)."""
    from api.ops import staff

    made = _staff_command(
        lambda session: staff.add_organizer_member(
            session, organizer_key=organizer_key, email=email, role=role, actor=staff.cli_actor()
        )
    )
    click.echo(f"{email.strip().lower()} is now {role} of {made.name}.")


@main.command("sign-in-link")
@click.argument("email")
def sign_in_link(email: str) -> None:
    """Print a one-time sign-in link for EMAIL (15 minutes; audited)."""
    from api.ops import staff

    settings = _served_links(_settings())
    link = _staff_command(
        lambda session: staff.print_sign_in_link(
            session, email=email, base_url=settings.base_url, actor=staff.cli_actor()
        ),
        settings,
    )
    where = ", ".join(link.organizers) if link.organizers else "no organizer (a buyer's account)"
    click.echo(f"Works once, for 15 minutes. Opens the dashboard of: {where}", err=True)
    click.echo(link.url)


def _staff_command(work: Callable[..., Awaitable[T]], settings: Settings | None = None) -> T:
    """Run one `api.ops.staff` operation on the migrated database; a refusal is a clean error."""
    from api.ops.staff import Refused

    settings = settings or _settings()
    with database(settings) as ready:
        _migrate(ready)
        try:
            return _with_session(ready, work)
        except Refused as exc:
            raise click.ClickException(str(exc)) from exc


@main.command()
@click.option("--online", is_flag=True, help="Also ask Stripe and the mail provider.")
def check(online: bool) -> None:
    """Say what the configuration lacks before the first sale (exit 1 on any problem)."""
    from api.ops.check import run_check

    lines, failed = run_check(online=online)
    for line in lines:
        click.echo(line)
    if failed:
        sys.exit(1)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, writable=True, allow_dash=True))
def backup(file: str) -> None:
    """Write the database and the uploads into FILE (`-`: standard output). SECRET_KEY is not
    in it: keep it apart."""
    from api.ops import backup as ops

    settings = _settings()
    with database(settings) as ready, ops.file_or_stdout(file) as target:
        assert ready.database_url
        try:
            manifest = ops.backup(
                database_url=ready.database_url, data_dir=ready.data_dir, target=target
            )
        except ops.BackupError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Backed up to {file}: the database (revision {manifest['alembic_revision']}) and "
        f"{manifest['uploads']} upload(s).\n{ops.KEY_NOTE}",
        err=file == "-",
    )


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--force", is_flag=True, help="Restore even if the database already has tables.")
def restore(file: str, force: bool) -> None:
    """Restore a `poctix backup` FILE (`-`: standard input) into an empty database, put the
    uploads back, migrate."""
    from api.ops import backup as ops

    try:
        # Not with_secret_key(): a development key generated now would not be the old host's.
        settings = Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    with database(settings) as ready, ops.file_or_stdin(file) as source:
        assert ready.database_url
        try:
            done = ops.restore(
                source=source, database_url=ready.database_url, data_dir=ready.data_dir,
                force=force,
            )  # fmt: skip
        except ops.BackupError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Restored {file} (POCtix {done['poctix_version']}, made {done['created_at']}): the "
        f"database, {done['uploads_restored']} upload(s), migrated to this version.\n"
        f"{ops.KEY_NOTE}"
    )


@main.command("settings")
@click.option(
    "--env", "as_env", is_flag=True,
    help="Print .env.example instead: every setting for docker compose, grouped, commented.",
)  # fmt: skip
def show_settings(as_env: bool) -> None:
    """List every setting with its default and meaning."""
    if as_env:
        from api.ops.env_example import render_env_example

        click.echo(render_env_example(), nl=False)
        return
    for name, default, doc in describe():
        click.echo(f"{name}  (default: {default or 'unset'})\n    {doc}")


if __name__ == "__main__":
    sys.exit(main())
