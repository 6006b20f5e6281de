"""The server's settings: one declarative table feeds CLI flags, environment variables and the settings page.

Precedence, lowest first: the table's default, the environment variable ``CLUSTERGRAPH_<NAME>``, an explicit
override (a CLI flag). Every value is checked and converted by its setting's type.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from clustergraph.errors import SettingsError
from clustergraph.iris import BASE

ENV_PREFIX = "CLUSTERGRAPH_"


@dataclass(frozen=True)
class Setting:
    """One row of the settings table."""

    name: str
    type: type
    default: Any
    help: str
    secret: bool = False

    @property
    def env_var(self) -> str:
        return ENV_PREFIX + self.name.upper()

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def convert(self, raw: Any, origin: str) -> Any:
        """Turn ``raw`` (text from the environment or a flag, or a typed value) into this setting's type.

        :raises SettingsError: naming the setting and where the bad value came from.
        """
        if isinstance(raw, self.type) and (self.type is bool or not isinstance(raw, bool)):
            if isinstance(raw, (int, float)) and not isinstance(raw, bool) and raw < 0:
                raise SettingsError(f"{origin}: {self.name} = {raw!r}: must not be negative")
            return raw
        text = str(raw).strip()
        try:
            if self.type is bool:
                if text.lower() in ("1", "true", "yes", "on"):
                    return True
                if text.lower() in ("0", "false", "no", "off", ""):
                    return False
                raise ValueError("expected true or false")
            if self.type is int:
                value = int(text)
            elif self.type is float:
                value = float(text)
            else:
                return text
        except ValueError as exc:
            raise SettingsError(f"{origin}: {self.name} = {text!r}: {exc}") from exc
        if value < 0:
            raise SettingsError(f"{origin}: {self.name} = {text!r}: must not be negative")
        return value


SETTINGS: tuple[Setting, ...] = (
    Setting("host", str, "127.0.0.1", "Interface to listen on."),
    Setting("port", int, 8000, "TCP port to listen on."),
    Setting("base_iri", str, BASE, "Base of the persistent IRIs; IRIs under it dereference at the same path here."),
    Setting("time_limit", float, 10.0, "Seconds a query may run before it is stopped; a request may only lower it."),
    Setting("row_cap", int, 10000, "Most rows (or triples) one query answer holds; larger answers are truncated "
            "and flagged. 0 means no cap."),
    Setting("body_cap", int, 1_000_000, "Largest request body accepted, in bytes."),
    Setting("workers", int, 6, "Query slots: queries run at once, each in a worker process that is killed at the "
            "time limit."),
    Setting("reserved_workers", int, 4, "Slots kept for short queries: queries known to run long never use them, "
            "so heavy work cannot starve light work. They are threads of one process sharing one store handle; "
            "each other slot is a process of its own. At most workers - 1 are kept (fewer workers lower it)."),
    Setting("long_query", float, 0.25, "Seconds after which a running query counts as long: it moves to a long slot, "
            "or is restarted in one when they are all taken, and its text is remembered as long."),
    Setting("page_threads", int, 2, "Threads rendering pages and linked data at once; Python runs one at a time, so "
            "more only slow down the event loop that relays query answers."),
    Setting("page_cache_mb", int, 64, "Memory for rendered pages and linked-data documents of the current build "
            "(answered again without rendering); 0 turns the cache off."),
    Setting("answer_cache_mb", int, 32, "Memory for query answers of the current build (/sparql and the named-query "
            "API): a request seen before is answered without running its query again; 0 turns the cache off. "
            "Not used with store_url (that server's data can change under us)."),
    Setting("build_file_time_limit", float, 300.0, "Seconds one per-build computation may take (the labels, browse "
            "lists and VoID statistics pages read, the dumps); it runs once per build in a child process at low "
            "CPU priority and is stopped past this."),
    Setting("answer_cap_mb", int, 64, "Most megabytes of terms one capped answer holds beside the row cap (a "
            "query answer is held before it is sent); larger answers are truncated like those past the row cap."),
    Setting("worker_memory_mb", int, 0, "Most memory (MB) one query worker, the build-files child or the write "
            "worker may take; past it, it is stopped (503) and replaced. 0: half the machine's memory shared among "
            "the workers and those two."),
    Setting("cors", bool, True, "Send Access-Control-Allow-Origin: * on data responses (never with credentials)."),
    Setting("write_token", str, "", "Bearer token enabling /update and writes to /store; empty means read-only.",
            secret=True),
    Setting("store_url", str, "", "SPARQL 1.1 query endpoint of a server to serve from (and to build into) instead "
            "of the local store; an Oxigraph base URL (http://host:7878) or a URL ending in /query also gives its "
            "/store and /update. Empty: the embedded store."),
    Setting("graph_store_url", str, "", "Graph Store Protocol endpoint of that server (loading, /store writes); "
            "empty: derived by Oxigraph's convention from store_url."),
    Setting("update_url", str, "", "SPARQL Update endpoint of that server (forwarded /update); empty: derived "
            "by Oxigraph's convention from store_url."),
)
_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """Resolved settings of one server."""

    host: str = "127.0.0.1"
    port: int = 8000
    base_iri: str = BASE
    time_limit: float = 10.0
    row_cap: int = 10000
    body_cap: int = 1_000_000
    workers: int = 6
    reserved_workers: int = 4
    long_query: float = 0.25
    page_threads: int = 2
    page_cache_mb: int = 64
    answer_cache_mb: int = 32
    build_file_time_limit: float = 300.0
    answer_cap_mb: int = 64
    worker_memory_mb: int = 0
    cors: bool = True
    write_token: str = ""
    store_url: str = ""
    graph_store_url: str = ""
    update_url: str = ""

    @property
    def writable(self) -> bool:
        return bool(self.write_token)

    @property
    def remote(self) -> bool:
        """Whether the app serves from a SPARQL server (store_url) rather than the local store."""
        return bool(self.store_url)

    def public_items(self) -> list[tuple[Setting, Any]]:
        """Each setting with its value, secrets masked, for the settings page."""
        items = []
        for setting in SETTINGS:
            value = getattr(self, setting.name)
            if setting.secret:
                value = "(set)" if value else "(not set)"
            elif isinstance(value, str) and "@" in value and "://" in value:
                value = _without_password(value)
            items.append((setting, value))
        return items


def load_settings(
    overrides: Mapping[str, Any] | None = None, *, environ: Mapping[str, str] | None = None
) -> Settings:
    """Defaults, then ``CLUSTERGRAPH_*`` environment variables, then non-None ``overrides``.

    :raises SettingsError: for an unknown setting or a value of the wrong type.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        value = setting.default
        if setting.env_var in environ:
            value = setting.convert(environ[setting.env_var], f"environment variable {setting.env_var}")
        values[setting.name] = value
    for name, raw in (overrides or {}).items():
        if name not in _BY_NAME:
            raise SettingsError(f"unknown setting {name!r}; known: {', '.join(_BY_NAME)}")
        if raw is not None:
            values[name] = _BY_NAME[name].convert(raw, _BY_NAME[name].flag)
    settings = Settings(**values)
    if settings.workers < 1:
        raise SettingsError("workers must be at least 1")
    if settings.page_threads < 1:
        raise SettingsError("page_threads must be at least 1")
    if settings.long_query <= 0:
        raise SettingsError("long_query must be more than 0 seconds")
    if settings.time_limit <= 0:
        raise SettingsError("time_limit must be more than 0 seconds")
    if not settings.base_iri.endswith("/"):
        raise SettingsError(f"base_iri {settings.base_iri!r} must end with '/'")
    for name in ("store_url", "graph_store_url", "update_url"):
        url = getattr(settings, name)
        parts = urlsplit(url)
        if url and (parts.scheme not in ("http", "https") or not parts.netloc):
            raise SettingsError(f"{name} {url!r} is not an http:// or https:// URL")
    if (settings.graph_store_url or settings.update_url) and not settings.store_url:
        raise SettingsError("graph_store_url and update_url need store_url (the server's query endpoint)")
    return settings


def _without_password(url: str) -> str:
    """``url`` with the password of its user part masked (a server URL may carry credentials)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


assert [f.name for f in fields(Settings)] == [s.name for s in SETTINGS], "Settings and SETTINGS disagree"
assert all(getattr(Settings(), s.name) == s.default for s in SETTINGS), "Settings defaults disagree with SETTINGS"
