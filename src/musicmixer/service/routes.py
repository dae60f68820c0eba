"""HTTP routes: each one reads its inputs, calls `remixes`, and answers."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    StreamingResponse,
)
from pydantic import BaseModel, ConfigDict, Field

from musicmixer.config import Settings
from musicmixer.stages import stage_table

from . import remixes
from .events import parse_last_event_id, progress_stream
from .jobs import JobStore
from .prometheus import metrics_text
from .rerender import RerenderRequest
from .runner import Runner
from .security import OWNER_HEADER

STATIC = Path(__file__).parent / "static"

router = APIRouter()


class VersionChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=0, description="The version to serve (see GET .../versions)")


def get_settings(request: Request):
    return request.app.state.settings


def get_store(request: Request) -> JobStore:
    return request.app.state.store


def get_runner(request: Request) -> Runner:
    return request.app.state.runner


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def owned_job(remix_id: str, request: Request, store: JobStore):
    """The job, if the request carries its owner token (403 otherwise)."""
    job = remixes.find_job(store, remix_id)
    remixes.require_owner(job, request.headers.get(OWNER_HEADER))
    return job


_UPLOAD_DOC = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["song_a", "song_b", "prompt"],
    "properties": {
        "song_a": {"type": "string", "format": "binary", "description": "Vocal song, .mp3 or .wav"},
        "song_b": {"type": "string", "format": "binary", "description": "Instrumental song"},
        "prompt": {"type": "string", "description": "What the mashup should be"},
        "options": {"type": "string", "description": "JSON object of per-remix options, e.g. "
                    "{\"vocal_sub_separation\": true, \"target_lufs\": -14}"}}}}}}}


@router.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
@router.api_route("/r/{remix_id}", methods=["GET", "HEAD"], include_in_schema=False)
def page(remix_id: str | None = None):
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


@router.api_route("/docs", methods=["GET", "HEAD"], include_in_schema=False)
def docs(request: Request):
    """Swagger UI from local assets; without the package, a note and the schema link."""
    if not any(getattr(r, "name", "") == "docs-assets" for r in request.app.routes):
        return HTMLResponse("<!doctype html><title>musicmixer API</title><p>The interactive API "
                            "page needs the fastapi-offline package (it ships Swagger UI). The API description is "
                            "at <a href=\"/openapi.json\">/openapi.json</a>.</p>")
    return FileResponse(STATIC / "docs.html", headers={"Cache-Control": "no-cache"})


@router.api_route("/favicon.ico", methods=["GET", "HEAD"], include_in_schema=False)
def favicon():
    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml",
                        headers={"Cache-Control": "max-age=86400"})


@router.get("/health", tags=["service"])
def health(settings: Settings = Depends(get_settings), store: JobStore = Depends(get_store)):
    return {"status": "ok", "queued": store.count("queued"), "running": store.count("running"),
            "workers": settings.web_workers, "queue_depth": settings.web_queue_depth,
            "limits": {"max_upload_mb": settings.max_upload_mb,
                       "max_song_minutes": settings.max_song_minutes,
                       "max_prompt_chars": settings.max_prompt_chars},
            "vocal_split": remixes.vocal_split_offer(settings),
            "cluster_workers": _live_workers(settings, store)}


def _live_workers(settings: Settings, store: JobStore) -> list[dict] | None:
    """Cluster mode: the workers whose heartbeat is fresh (id, host, jobs running)."""
    if not settings.queue_url:
        return None
    since = time.time() - settings.queue_heartbeat_timeout_s
    return [{"id": wid, "host": info.get("host"), "concurrency": info.get("concurrency"),
             "busy": len(info.get("busy", [])), "seen_s_ago": round(time.time() - seen, 1)}
            for wid, (info, seen) in sorted(store.workers(seen_since=since).items())]


@router.get("/ready", tags=["service"])
def ready(runner: Runner = Depends(get_runner)):
    """Readiness (for a load balancer): 200 while this node can take remixes,
    503 with the reason while it cannot (its store or its workers are down)."""
    problem = runner.not_ready()
    if problem:
        return JSONResponse({"status": "not ready", "detail": problem}, status_code=503)
    return {"status": "ready"}


@router.get("/metrics", tags=["service"], response_class=PlainTextResponse)
def metrics(store: JobStore = Depends(get_store), runner: Runner = Depends(get_runner)):
    """Prometheus text: queue depth, jobs by state, live workers, run lengths."""
    return PlainTextResponse(metrics_text(store, runner.live_workers(), runner.queue_messages()),
                             media_type="text/plain; version=0.0.4")


@router.get("/api/stages", tags=["service"])
def stages():
    """The job's stages (name, progress step, weight, label) and the page's step list."""
    return stage_table()


@router.post("/api/remix", status_code=202, tags=["remix"], openapi_extra=_UPLOAD_DOC)
async def create_remix(request: Request, settings: Settings = Depends(get_settings),
                       store: JobStore = Depends(get_store), runner: Runner = Depends(get_runner)):
    """Upload two songs and a prompt; returns the id to follow the remix with and, once
    only, the `owner_token` that Apply, Cancel and delete need (header `X-Owner-Token`)."""
    request.app.state.limiter.hit(client_of(request))
    job_id, token = await remixes.create_remix(request, settings, store, runner)
    return {"session_id": job_id, "owner_token": token}


@router.get("/api/remix/{remix_id}/progress", tags=["remix"])
async def progress(remix_id: str, request: Request, store: JobStore = Depends(get_store)):
    """Server-Sent Events `{step, detail, progress}`; the last event comes first."""
    job = remixes.find_job(store, remix_id)
    stream = progress_stream(store, job.id,
                             parse_last_event_id(request.headers.get("last-event-id")),
                             request.app.state.heartbeat_s)
    return StreamingResponse(stream, media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/api/remix/{remix_id}/status", tags=["remix"])
def status(remix_id: str, store: JobStore = Depends(get_store)):
    return remixes.status_of(store, remixes.find_job(store, remix_id))


@router.get("/api/remix/{remix_id}/audio", tags=["remix"])
@router.head("/api/remix/{remix_id}/audio", include_in_schema=False)
def audio(remix_id: str, download: bool = False, version: int | None = None,
          store: JobStore = Depends(get_store)):
    """The mastered remix (MP3) of the version served, or of `version`; supports
    Range requests for seeking."""
    job = remixes.find_job(store, remix_id)
    path = remixes.audio_file(job, version)
    shown = remixes.versions.current_version(job.result) if version is None else version
    name = f"musicmixer-{job.id[:8]}-v{shown}.mp3"
    return FileResponse(path, media_type="audio/mpeg", filename=name if download else None,
                        content_disposition_type="attachment" if download else "inline",
                        headers={"Cache-Control": "no-cache"})


@router.get("/api/remix/{remix_id}/stems.zip", tags=["remix"])
def stems_zip(remix_id: str, store: JobStore = Depends(get_store)):
    """All stems of the first render, `{stem}.flac` in one zip, streamed."""
    job = remixes.find_job(store, remix_id)
    stream = remixes.stems_zip_stream(job)
    disposition = f'attachment; filename="musicmixer-{job.id[:8]}-stems.zip"'
    return StreamingResponse(stream, media_type="application/zip",
                             headers={"Content-Disposition": disposition})


@router.get("/api/remix/{remix_id}/plan.json", tags=["remix"])
def plan_download(remix_id: str, store: JobStore = Depends(get_store)):
    """The served version's plan (sections, gains, explanation) as a file."""
    job = remixes.find_job(store, remix_id)
    disposition = f'attachment; filename="musicmixer-{job.id[:8]}-plan.json"'
    return JSONResponse(remixes.plan_file(job), headers={"Content-Disposition": disposition})


@router.get("/api/remix/{remix_id}/versions", tags=["remix"])
def versions(remix_id: str, store: JobStore = Depends(get_store)):
    """Every version (0 = first render, then one per Apply) with its stem gains,
    and which one is served."""
    return remixes.versions_listing(remixes.find_job(store, remix_id))


@router.post("/api/remix/{remix_id}/version", tags=["remix"])
def select_version(remix_id: str, body: VersionChoice, request: Request,
                   store: JobStore = Depends(get_store)):
    """Serve an earlier (or later) version again: the audio, download, plan and
    share link follow. Nothing is rendered. Needs `X-Owner-Token`."""
    job = owned_job(remix_id, request, store)
    return remixes.select_version(store, job, body.version)


@router.get("/api/remix/{remix_id}/stems", tags=["remix"])
def stems(remix_id: str, store: JobStore = Depends(get_store)):
    return remixes.stems_listing(remixes.find_job(store, remix_id))


@router.get("/api/remix/{remix_id}/stems/{name}", tags=["remix"])
@router.head("/api/remix/{remix_id}/stems/{name}", include_in_schema=False)
def stem(remix_id: str, name: str, store: JobStore = Depends(get_store)):
    """One rendered stem (lossless FLAC) for the page's live mix."""
    path = remixes.stem_file(remixes.find_job(store, remix_id), name)
    return FileResponse(path, media_type="audio/flac")


@router.get("/api/remix/{remix_id}/plan", tags=["remix"])
def plan(remix_id: str, store: JobStore = Depends(get_store)):
    """The plan of the current render, and its sections in seconds."""
    return remixes.plan_of(remixes.find_job(store, remix_id))


@router.post("/api/remix/{remix_id}/cancel", tags=["remix"])
def cancel(remix_id: str, request: Request, store: JobStore = Depends(get_store),
           runner: Runner = Depends(get_runner)):
    """Stop a waiting or running remix or re-render. Needs `X-Owner-Token`."""
    job = owned_job(remix_id, request, store)
    return {"session_id": job.id, "status": remixes.cancel(runner, job)}


@router.post("/api/remix/{remix_id}/rerender", status_code=202, tags=["remix"])
def rerender(remix_id: str, body: RerenderRequest, request: Request,
             store: JobStore = Depends(get_store), runner: Runner = Depends(get_runner)):
    """Render the master again with new stem gains (no new separation). Needs
    `X-Owner-Token`."""
    job = owned_job(remix_id, request, store)
    request.app.state.limiter.hit(client_of(request))
    remixes.queue_rerender(store, runner, job, body)
    return {"session_id": job.id, "status": "queued"}


@router.delete("/api/remix/{remix_id}", tags=["remix"])
def delete(remix_id: str, request: Request, store: JobStore = Depends(get_store)):
    """Delete a finished remix and its files now (its id then answers 410). Needs
    `X-Owner-Token`; a remix still being made is cancelled first."""
    job = owned_job(remix_id, request, store)
    return {"session_id": job.id, "status": remixes.delete(store, job)}
