"""Command line interface; the one place that maps library errors to exit codes.

Exit codes: 0 success, 1 invalid data (syntax error or SHACL violation), 2 usage or runtime error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from clustergraph import __version__
from clustergraph.errors import (
    ClusterGraphError,
    DataError,
    NamedQueryError,
    QueryError,
)
from clustergraph.iris import compact
from clustergraph.kg.build import build as run_build
from clustergraph.kg.build import check
from clustergraph.kg.layout import Layout
from clustergraph.kg.stats import collect
from clustergraph.kg.store import StoreRoot
from clustergraph.querying.named import load_named_queries
from clustergraph.querying.results import GRAPH_FORMATS, OUTPUT_FORMATS, render
from clustergraph.settings import SETTINGS, load_settings

app = typer.Typer(
    help="Build, validate, query and export the clustergraph knowledge graph.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

RootOption = Annotated[Path, typer.Option("--root", help="Project root holding ontology/, data/, shapes/, queries/.")]
StoreOption = Annotated[
    Optional[Path], typer.Option("--store", help="Store folder (builds + 'current' link). Default: ROOT/.store")
]
EngineOption = Annotated[str, typer.Option(
    help="SHACL engine: 'sparql' (shapes compiled to SPARQL, run in Oxigraph; fast at any size) or 'pyshacl' "
         "(the reference implementation; small projects only).")]
EXPORT_FORMATS = {"turtle": "turtle", "nquads": "nquads", "trig": "trig", "jsonld": "jsonld", "ntriples": "ntriples"}


def _setting_help(name: str) -> str:
    setting = next(s for s in SETTINGS if s.name == name)
    return f"{setting.help} (env {setting.env_var}, default {setting.default})"


def _store_root(root: Path, store: Path | None) -> StoreRoot:
    return StoreRoot(store or Layout(root).default_store)


def _progress(message: str) -> None:
    err.print(f"[dim]… {message}[/dim]")


def _print_warnings(warnings: list) -> None:
    if warnings:
        err.print(f"[yellow]{len(warnings)} warning(s):[/yellow]")
        for warning in warnings:
            err.print(warning.describe(), markup=False, highlight=False)


@app.command()
def build(
    root: RootOption = Path("."),
    store: StoreOption = None,
    store_url: Annotated[Optional[str], typer.Option(help=_setting_help("store_url"))] = None,
    graph_store_url: Annotated[Optional[str], typer.Option(help=_setting_help("graph_store_url"))] = None,
    engine: EngineOption = "sparql",
) -> None:
    """Load the data into a fresh store, validate it there (SHACL), then publish it atomically.

    With --store-url (or CLUSTERGRAPH_STORE_URL), publish to that SPARQL server instead: each project graph is
    replaced through the Graph Store Protocol (not atomic across graphs); nothing is sent if validation fails.
    """
    settings = load_settings({"store_url": store_url, "graph_store_url": graph_store_url})
    if settings.remote:
        _build_remote(root, settings)
        return
    report = run_build(Layout(root), _store_root(root, store), engine=engine, progress=_progress)
    _print_warnings(report.warnings)
    timing = ", ".join(f"{k} {v:.2f}s" for k, v in report.seconds.items())
    out.print(f"built {report.quads} quads from {report.files} files into {report.store} ({timing})")


def _build_remote(root: Path, settings) -> None:
    from clustergraph.remote.build import build_remote
    from clustergraph.remote.store import RemoteStore

    remote = RemoteStore.from_urls(settings.store_url, graph_store_url=settings.graph_store_url)
    result = build_remote(Layout(root), remote, progress=_progress)
    _print_warnings(result.build.warnings)
    push = result.push
    out.print(f"built {result.build.quads} quads from {result.build.files} files and sent {push.triples} triples "
              f"in {len(push.replaced)} graphs to {remote.store_url} (deleted {len(push.deleted)} stale project "
              f"graph(s); push {push.seconds:.2f}s)")


@app.command()
def validate(root: RootOption = Path("."), engine: EngineOption = "sparql") -> None:
    """Check syntax and SHACL shapes in a throw-away store, publishing nothing; exit 1 on any violation."""
    report, files = check(Layout(root), engine=engine, progress=_progress)
    _print_warnings(report.warnings)
    report.raise_for_violations()
    out.print(f"valid: {files} files conform to the shapes ({len(report.warnings)} warning(s))")


@app.command()
def query(
    sparql: Annotated[Optional[str], typer.Argument(help="SPARQL query text.")] = None,
    file: Annotated[Optional[Path], typer.Option("--file", "-f", help="Read the query from a file.")] = None,
    name: Annotated[Optional[str], typer.Option("--name", "-n", help="Run a named query from queries/.")] = None,
    param: Annotated[list[str], typer.Option("--param", "-p", help="Named-query parameter as key=value.")] = [],
    fmt: Annotated[str, typer.Option("--format", help=f"One of: {', '.join(OUTPUT_FORMATS)}.")] = "table",
    root: RootOption = Path("."),
    store: StoreOption = None,
) -> None:
    """Run a SPARQL query (text, file or named query) against the current store."""
    if sum(x is not None for x in (sparql, file, name)) != 1:
        raise typer.BadParameter("give exactly one of SPARQL, --file or --name")
    if fmt not in OUTPUT_FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(OUTPUT_FORMATS)}")
    if name is not None:
        text = _named_query_text(Layout(root), name, param)
    else:
        if param:
            raise typer.BadParameter("--param only goes with --name")
        text = file.read_text(encoding="utf-8") if file is not None else str(sparql)
    result = render(_store_root(root, store).open_current().query(text), fmt)
    _print_result(result)


def _named_query_text(layout: Layout, name: str, params: list[str]) -> str:
    queries = load_named_queries(layout.queries_dir)
    if name not in queries:
        raise NamedQueryError(f"no named query {name!r}; known: {', '.join(queries)}")
    values: dict[str, str] = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"--param {item!r}: expected key=value")
        values[key] = value
    return queries[name].bind(values)


def _print_result(result: str | list[list[str]]) -> None:
    if isinstance(result, str):
        sys.stdout.write(result if result.endswith("\n") else result + "\n")
        return
    table = Table(*result[0], show_lines=False)
    for row in result[1:]:
        table.add_row(*row)
    out.print(table)
    out.print(f"[dim]{len(result) - 1} row(s)[/dim]")


@app.command("queries")
def list_queries(root: RootOption = Path(".")) -> None:
    """List the named queries with their parameters."""
    table = Table("name", "title", "parameters")
    for q in load_named_queries(Layout(root).queries_dir).values():
        params = ", ".join(f"{p.name}:{p.type}{'' if p.required else '?'}" for p in q.params)
        table.add_row(q.name, q.title, params)
    out.print(table)


@app.command()
def stats(
    root: RootOption = Path("."),
    store: StoreOption = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Report triples, instances per class and facts per source document of the current store."""
    result = collect(_store_root(root, store).open_current())
    if fmt == "json":
        out.print_json(json.dumps(result.as_dict()))
        return
    out.print(f"quads: {result.quads}   distinct triples: {result.distinct_triples}   graphs: {result.graphs}")
    classes = Table("class", "instances", title="Instances per class (distinct resources typed in any graph, ontology included; as in VoID)")
    for cls, n in result.per_class:
        classes.add_row(compact(cls), str(n))
    out.print(classes)
    sources = Table("graph", "source document", "file id", "triples", title="Facts per source")
    for graph, doc, ident, n in result.per_source:
        sources.add_row(compact(graph), compact(doc), ident, str(n))
    out.print(sources)


@app.command()
def export(
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    fmt: Annotated[str, typer.Option("--format", help="turtle, ntriples, jsonld (union) or nquads, trig (graphs).")]
    = "trig",
    root: RootOption = Path("."),
    store: StoreOption = None,
) -> None:
    """Export the current store to a file."""
    import pyoxigraph as ox

    formats = {"nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG, **GRAPH_FORMATS}
    formats.pop("rdfxml")
    if fmt not in formats:
        raise typer.BadParameter(f"--format must be one of {', '.join(formats)}")
    _store_root(root, store).open_current().dump(output, formats[fmt])
    out.print(f"wrote {output}")


@app.command()
def serve(
    root: RootOption = Path("."),
    store: StoreOption = None,
    host: Annotated[Optional[str], typer.Option(help=_setting_help("host"))] = None,
    port: Annotated[Optional[int], typer.Option(help=_setting_help("port"))] = None,
    base_iri: Annotated[Optional[str], typer.Option(help=_setting_help("base_iri"))] = None,
    time_limit: Annotated[Optional[float], typer.Option(help=_setting_help("time_limit"))] = None,
    row_cap: Annotated[Optional[int], typer.Option(help=_setting_help("row_cap"))] = None,
    body_cap: Annotated[Optional[int], typer.Option(help=_setting_help("body_cap"))] = None,
    workers: Annotated[Optional[int], typer.Option(help=_setting_help("workers"))] = None,
    reserved_workers: Annotated[Optional[int], typer.Option(help=_setting_help("reserved_workers"))] = None,
    long_query: Annotated[Optional[float], typer.Option(help=_setting_help("long_query"))] = None,
    page_threads: Annotated[Optional[int], typer.Option(help=_setting_help("page_threads"))] = None,
    page_cache_mb: Annotated[Optional[int], typer.Option(help=_setting_help("page_cache_mb"))] = None,
    answer_cache_mb: Annotated[Optional[int], typer.Option(help=_setting_help("answer_cache_mb"))] = None,
    build_file_time_limit: Annotated[Optional[float],
                                     typer.Option(help=_setting_help("build_file_time_limit"))] = None,
    worker_memory_mb: Annotated[Optional[int], typer.Option(help=_setting_help("worker_memory_mb"))] = None,
    answer_cap_mb: Annotated[Optional[int], typer.Option(help=_setting_help("answer_cap_mb"))] = None,
    cors: Annotated[Optional[bool], typer.Option("--cors/--no-cors", help=_setting_help("cors"))] = None,
    store_url: Annotated[Optional[str], typer.Option(help=_setting_help("store_url"))] = None,
    graph_store_url: Annotated[Optional[str], typer.Option(help=_setting_help("graph_store_url"))] = None,
    update_url: Annotated[Optional[str], typer.Option(help=_setting_help("update_url"))] = None,
) -> None:
    """Serve the SPARQL endpoint, named-query API, linked data and web pages (FastAPI under uvicorn).

    The write token is read from CLUSTERGRAPH_WRITE_TOKEN only, so it never shows in a process list.
    """
    import uvicorn

    from clustergraph.limits import limit_malloc_arenas
    from clustergraph.web.app import create_app
    from clustergraph.web.http_limits import BoundedHttpToolsProtocol

    overrides = {"host": host, "port": port, "base_iri": base_iri, "time_limit": time_limit, "row_cap": row_cap,
                 "body_cap": body_cap, "workers": workers, "reserved_workers": reserved_workers,
                 "long_query": long_query, "page_threads": page_threads, "page_cache_mb": page_cache_mb,
                 "answer_cache_mb": answer_cache_mb,
                 "build_file_time_limit": build_file_time_limit, "worker_memory_mb": worker_memory_mb,
                 "answer_cap_mb": answer_cap_mb,
                 "cors": cors, "store_url": store_url,
                 "graph_store_url": graph_store_url, "update_url": update_url}
    limit_malloc_arenas()  # before uvicorn and the app start their threads
    settings = load_settings(overrides)
    store_root = _store_root(root, store)
    application = create_app(settings, store_root, layout=Layout(root))
    if settings.remote:
        remote = application.state.services.remote
        remote.ping()  # fail early, naming the URL, when the server does not answer
        source = f"the SPARQL server {remote.query_url}"
    else:
        store_root.open_current()  # fail early, with the CLI's message, when nothing has been built
        source = str(store_root.current())
    err.print(f"serving {source} at http://{settings.host}:{settings.port}/")
    uvicorn.run(application, host=settings.host, port=settings.port, log_level="warning", access_log=False,
                http=BoundedHttpToolsProtocol)


@app.command()
def network(
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write (csv: PATH-nodes.csv, PATH-edges.csv).")],
    view: Annotated[str, typer.Option(help="collaboration, participation, alignment or compare.")] = "collaboration",
    family: Annotated[Optional[str], typer.Option(help="Initiative family, e.g. vanguard, i3, escp.")] = None,
    year: Annotated[Optional[str], typer.Option(help="Report edition: 2022 or 2024.")] = None,
    ecosystem: Annotated[Optional[str], typer.Option(help="Ecosystem or PNRR item IRI (alignment view).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="html, gexf, graphml, csv or json.")] = "html",
    max_members: Annotated[Optional[int], typer.Option(
        "--max-members", help="Leave items with more clusters than this out of the collaboration projection "
                              "(default 50; 0 keeps every item).")] = None,
    ties: Annotated[str, typer.Option(
        help="What ties two clusters: collaboration (joint projects, partnerships, pilots; the default) or all "
             "(shared networks, platforms and programmes too).")] = "collaboration",
    root: RootOption = Path("."),
    store: StoreOption = None,
) -> None:
    """Build a network view from the current store and write it as an HTML view or a Gephi-ready file."""
    from clustergraph.network import export as network_export
    from clustergraph.network.views import Filters, build_view, store_select

    writers = {"gexf": network_export.to_gexf, "graphml": network_export.to_graphml, "json": network_export.to_json}
    if fmt not in (*writers, "html", "csv"):
        raise typer.BadParameter("--format must be one of html, gexf, graphml, csv, json")
    filters = Filters.parse(family, year, ecosystem, max_members, ties)
    queries = load_named_queries(Layout(root).queries_dir)
    built = build_view(store_select(_store_root(root, store).open_current()), queries, view, filters)
    if fmt == "csv":
        stem = output.with_suffix("")
        written = [Path(f"{stem}-nodes.csv"), Path(f"{stem}-edges.csv")]
        written[0].write_text(network_export.nodes_csv(built.graph), encoding="utf-8")
        written[1].write_text(network_export.edges_csv(built.graph), encoding="utf-8")
    else:
        if fmt == "html":
            from clustergraph.network.render import render_html

            content: str | bytes = render_html(built, link=lambda iri: iri)
        else:
            content = writers[fmt](built.graph)
        output.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        written = [output]
    graph = built.graph
    out.print(f"{view}: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges, "
              f"{len(built.communities)} communities (modularity {built.modularity}); wrote "
              + ", ".join(str(p) for p in written))
    if "tie_rule" in graph.graph:
        out.print(graph.graph["tie_rule"])
    if built.affiliations:
        out.print("affiliations making no tie: "
                  + "; ".join(f"{i['label']} ({i['members']} cluster{'s' if i['members'] != 1 else ''})" for i in built.affiliations))
    if built.left_out:
        out.print(f"left out of the projection (more than {filters.max_members} clusters): "
                  + "; ".join(f"{i['label']} ({i['members']} clusters)" for i in built.left_out))
    if graph.graph.get("betweenness", "exact") != "exact":
        out.print(f"betweenness {graph.graph['betweenness']}")


@app.command()
def synth(
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder to write: use it as a project's data/.")],
    preset: Annotated[Optional[str], typer.Option(help="region (~7k triples), eccp (~1M) or 10m (~10M).")] = None,
    clusters: Annotated[Optional[int], typer.Option(help="Cluster organisations (overrides the preset).")] = None,
    scale: Annotated[Optional[float], typer.Option(help="Members and projects per cluster, as a factor.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed writes the same bytes.")] = 42,
    overwrite: Annotated[bool, typer.Option(help="Replace earlier synthetic output in the folder.")] = False,
    root: RootOption = Path("."),
) -> None:
    """Write reproducible synthetic data in the project's ontology, conforming to the shapes."""
    from clustergraph.synth import PRESETS, SynthConfig, generate

    if preset is not None and preset not in PRESETS:
        raise typer.BadParameter(f"--preset must be one of {', '.join(PRESETS)}")
    base = PRESETS[preset] if preset else SynthConfig(clusters=clusters or 15)
    config = SynthConfig(clusters=clusters or base.clusters, scale=scale if scale is not None else base.scale,
                         seed=seed)
    report = generate(config, output, reference=Layout(root).data_dir / "reference", overwrite=overwrite)
    out.print(f"wrote {report.triples} triples in {report.files} files to {output} "
              f"({report.clusters} clusters, {report.organisations} organisations, {report.projects} projects, "
              f"{report.seconds:.1f}s)")


@app.command()
def version() -> None:
    """Print the version."""
    out.print(__version__)


def main() -> None:
    """Entry point: run the app and map library errors to exit codes once."""
    try:
        app()
    except DataError as exc:
        err.print(str(exc), markup=False, highlight=False)
        sys.exit(1)
    except (QueryError, NamedQueryError, ClusterGraphError) as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(2)
