"""What the routes ask for: start a remix from an upload, find one by id, say
where it stands, hand out its files, queue a re-render, cancel."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
import uuid
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from musicmixer.config import Settings
from musicmixer.stems import is_vocal, split_ignored_reason, stem_label, vocal_split_for

from . import results, versions
from .cards import cards_for
from .client_text import ClientText
from .downloads import stems_zip
from .jobs import ACTIVE, COMPLETE, EXPIRED, FINISHED, QUEUED, Job, JobStore
from .rerender import RerenderInputError, RerenderRequest, check_request
from .runner import TERMINAL_STEPS, Runner
from .security import is_owner, new_owner_token
from .uploads import FILE_FIELDS, StreamingForm, UploadError, check_song, display_name

STEP_OF_STATUS = {"complete": "complete", "failed": "error", "cancelled": "cancelled",
                  "expired": "error"}
DRAIN_LIMIT_FACTOR = 3  # after a refusal, read (and drop) at most this many limits more


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class RemixOptions(BaseModel):
    """Per-request options: the settings a person may choose for one remix."""

    model_config = ConfigDict(extra="forbid")

    vocal_sub_separation: bool | None = None
    target_lufs: float | None = Field(default=None, ge=-40.0, le=-5.0)
    ab_per_stem_eq_v1: bool | None = None
    ab_resonance_detection_v1: bool | None = None
    ab_multiband_comp_v1: bool | None = None
    ab_autolvl_tune_v1: bool | None = None
    ab_static_mastering_v1: bool | None = None
    ab_reference_mastering_v1: bool | None = None


def parse_id(remix_id: str) -> str:
    try:
        value = uuid.UUID(remix_id)
    except (ValueError, AttributeError, TypeError):
        value = None
    if value is None or str(value) != remix_id.lower() or len(remix_id) != 36:
        raise ApiError(400, f"{remix_id[:60]!r} is not a valid remix id (expected a UUID such as "
                            "3f2b6c1e-8a4d-4e2b-9c1a-2b3c4d5e6f70).")
    return str(value)


def find_job(store: JobStore, remix_id: str, *, allow_expired: bool = False) -> Job:
    job = store.get(parse_id(remix_id))
    if job is None:
        raise ApiError(404, "There is no remix with this id. Check the link, or make a new remix.")
    if job.status == EXPIRED and not allow_expired:
        raise ApiError(410, "This remix has expired and its files were deleted. Remixes are kept "
                            "for a few hours; make a new one.")
    return job


async def create_remix(request, settings: Settings, store: JobStore,
                       runner: Runner) -> tuple[str, str]:
    """Stream the upload in, check it, store the job and queue it; returns the id
    and the owner token (only its hash is kept)."""
    runner.check_room()
    max_bytes = int(settings.max_upload_mb * 1_000_000)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > 2 * max_bytes + 1_000_000:
        raise UploadError(f"The upload is {int(declared) / 1e6:.0f} MB; each song can be at most "
                          f"{settings.max_upload_mb:g} MB.", 413)
    job_id = str(uuid.uuid4())
    folder = runner.files.remix_folder(job_id)
    form = StreamingForm(request.headers.get("content-type", ""), results.uploads_dir(folder),
                         max_bytes=max_bytes, max_seconds=settings.max_song_minutes * 60,
                         max_prompt_chars=settings.max_prompt_chars)
    try:
        upload = await _receive(request, form, max_bytes)
        prompt, options = _check_fields(upload.fields, settings)
        missing = [f for f in FILE_FIELDS if f not in upload.files]
        if missing:
            raise UploadError(f"Choose two songs: {' and '.join(missing)} "
                              f"{'is' if len(missing) == 1 else 'are'} missing.", 422)
        for name in FILE_FIELDS:
            await asyncio.to_thread(check_song, name, upload.names[name], upload.files[name],
                                    settings.max_song_minutes * 60)
        runner.check_room()
        token, token_hash = new_owner_token()
        store.create(job_id, prompt, options, folder, settings.remix_ttl_hours * 3600,
                     owner_hash=token_hash,
                     names={k: display_name(v) for k, v in upload.names.items()})
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    runner.enqueue(job_id)
    return job_id, token


async def _receive(request, form: StreamingForm, max_bytes: int):
    drained = 0
    async for chunk in request.stream():
        if form.error is None:
            form.feed(chunk)
        else:
            drained += len(chunk)
            if drained > DRAIN_LIMIT_FACTOR * max_bytes:
                break
    return form.finish()


def _check_fields(fields: dict[str, str], settings: Settings) -> tuple[str, dict]:
    prompt = fields.pop("prompt", "").strip()
    if not prompt:
        raise UploadError("Type a prompt that says what the mashup should be, e.g. \"her voice "
                          "over their groove\".", 422)
    if len(prompt) > settings.max_prompt_chars:
        raise UploadError(f"The prompt is {len(prompt)} characters long; please keep it under "
                          f"{settings.max_prompt_chars}.", 413)
    raw = fields.pop("options", None)
    try:
        given = json.loads(raw) if raw else {}
        if not isinstance(given, dict):
            raise ValueError("options must be a JSON object")
        options = RemixOptions(**given, **fields)
    except (ValueError, ValidationError) as exc:
        raise UploadError(f"Invalid options: {_readable(exc)}", 422) from None
    offer = vocal_split_offer(settings)
    if options.vocal_sub_separation and not offer["available"]:
        raise UploadError(f"This server cannot split lead and backing vocals: {offer['why_not']}. "
                          "Make the mashup without that option.", 422)
    return prompt, options.model_dump(exclude_none=True)


def vocal_split_offer(settings: Settings) -> dict:
    """Whether a remix may ask for lead/backing vocals here, how they would be
    made ("karaoke model", "offline split"), and if not, why: the page offers
    the option only where the server can honour it."""
    method = vocal_split_for(settings)
    return {"available": method is not None, "method": method,
            "why_not": None if method else split_ignored_reason(settings.stem_backend)}


def _readable(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'options'}: {e['msg']}"
                         for e in exc.errors())
    return str(exc)


def status_of(store: JobStore, job: Job) -> dict:
    last = store.last_event(job.id)
    step = last.step if last else job.status
    if job.status in FINISHED and step not in TERMINAL_STEPS:
        step = STEP_OF_STATUS.get(job.status, step)
    base = f"/api/remix/{job.id}"
    ready = bool(job.result.get("mix"))
    out = {"session_id": job.id, "status": job.status, "prompt": job.prompt,
           "step": step, "detail": last.detail if last else "",
           "progress": last.progress if last else 0.0, "error": job.error,
           "created_at": job.created_at, "expires_at": job.expires_at,
           "expires_in_s": max(0, round(job.expires_at - time.time())),
           "share_url": f"/r/{job.id}"}
    if ready:
        current = versions.current_version(job.result)
        gains: dict = next((v.get("stem_gains", {}) for v in versions.versions_of(job.result)
                      if v["n"] == current), {})
        out |= {"audio_url": f"{base}/audio", "stems_url": f"{base}/stems",
                "plan_url": f"{base}/plan", "versions_url": f"{base}/versions",
                "stems_zip_url": f"{base}/stems.zip", "plan_file_url": f"{base}/plan.json",
                "rerendering": job.status in ACTIVE, "version": current,
                "version_count": len(versions.versions_of(job.result)), "stem_gains": gains,
                **{k: job.result.get(k) for k in ("duration_s", "preview_gain_db", "warnings",
                                                  "renders", "planner", "explanation")},
                **cards_for(job.result, job.names)}
    return out


def ready_result(job: Job) -> dict:
    if not job.result.get("mix"):
        if job.status in ACTIVE:
            raise ApiError(409, "The remix is still being made; wait for the progress to reach "
                                "complete.")
        raise ApiError(409, f"This remix has no audio: it {job.status}"
                            + (f" ({job.error})" if job.error else "") + ".")
    return job.result


def audio_file(job: Job, version: int | None = None) -> Path:
    """The served version's MP3, or the given version's."""
    result = ready_result(job)
    if version is None:
        return _existing(job.folder / result["mix"])
    entry = next((v for v in versions.versions_of(result) if v["n"] == version), None)
    if entry is None:
        raise ApiError(404, _no_version(version, result))
    return _existing(job.folder / entry["mix"])


def versions_listing(job: Job) -> dict:
    return versions.listing(job.id, ready_result(job))


def select_version(store: JobStore, job: Job, n: int) -> dict:
    """Serve version n again (the owner's "go back"); nothing is rendered."""
    result = ready_result(job)
    if job.status != COMPLETE:
        raise ApiError(409, "This remix is being re-rendered; wait for it to finish.")
    try:
        chosen = versions.select(result, n)
    except KeyError:
        raise ApiError(404, _no_version(n, result)) from None
    _existing(job.folder / chosen["mix"])
    if not store.transition(job.id, (COMPLETE,), result=chosen):
        raise ApiError(409, "This remix changed while the request was made; try again.")
    return versions.listing(job.id, chosen)


def _no_version(n: int, result: dict) -> str:
    have = ", ".join(str(v["n"]) for v in versions.versions_of(result))
    return f"This remix has no version {n}; its versions are {have}."


def stems_zip_stream(job: Job):
    """The job's stem FLACs, as named in its result, zipped while streamed."""
    result = ready_result(job)
    files = {n: _existing(job.folder / result["web_stems"][n]) for n in result.get("stems", [])
             if n in result.get("web_stems", {})}
    return stems_zip(files)


def plan_file(job: Job) -> dict:
    """The served version's plan.json, its explanation in the user's names."""
    return plan_of(job)["plan"]


def stems_listing(job: Job) -> dict:
    result = ready_result(job)
    return {"session_id": job.id, "preview_gain_db": result.get("preview_gain_db", 0.0),
            "stems": [{"name": n, "label": stem_label(n), "vocal": is_vocal(n),
                       "url": f"/api/remix/{job.id}/stems/{n}"} for n in result["stems"]]}


def stem_file(job: Job, name: str) -> Path:
    result = ready_result(job)
    if name not in result.get("web_stems", {}):
        raise ApiError(404, f"This remix has no stem named {name[:40]!r}; its stems are "
                            f"{', '.join(result.get('stems', []))}.")
    return _existing(job.folder / result["web_stems"][name])


def plan_of(job: Job) -> dict:
    result = ready_result(job)
    plan_path = _existing(results.current_folder(job.folder, result) / "plan.json")
    plan = json.loads(plan_path.read_text())
    if isinstance(plan.get("explanation"), str):  # as the status gives it: the user's names
        plan["explanation"] = ClientText(job.names)(plan["explanation"])
    return {"plan": plan, "sections": result.get("sections", []),
            "duration_s": result.get("duration_s")}


def queue_rerender(store: JobStore, runner: Runner, job: Job, body: RerenderRequest) -> None:
    result = ready_result(job)
    if job.status != COMPLETE:
        raise ApiError(409, "This remix is being re-rendered already; wait for it to finish.")
    try:
        wanted = check_request(body, result)
    except RerenderInputError as exc:
        raise ApiError(422, str(exc)) from None
    runner.check_room()
    if not store.transition(job.id, (COMPLETE,), status=QUEUED, kind="rerender",
                            options=json.dumps({**job.options, "rerender": wanted})):
        raise ApiError(409, "This remix changed while the request was made; try again.")
    runner.enqueue(job.id)


def require_owner(job: Job, token: str | None) -> None:
    if not token:
        raise ApiError(403, "Only the browser that made this remix can change it: the owner "
                            "token (header X-Owner-Token) is missing. The share link is for "
                            "listening.")
    if not is_owner(job.owner_hash, token):
        raise ApiError(403, "The owner token does not match this remix.")


def delete(store: JobStore, job: Job) -> str:
    if job.status in ACTIVE:
        raise ApiError(409, "This remix is still being made; cancel it first, then delete it.")
    if store.transition(job.id, FINISHED, status=EXPIRED, result={}, expires_at=time.time()):
        shutil.rmtree(job.folder, ignore_errors=True)
    return EXPIRED


def cancel(runner: Runner, job: Job) -> str:
    if job.status not in ACTIVE:
        raise ApiError(409, f"Nothing to cancel: this remix is already {job.status}.")
    return runner.cancel(job.id)


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise ApiError(410, "The files of this remix are gone (it expired or was deleted).")
    return path
