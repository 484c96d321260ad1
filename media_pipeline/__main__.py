"""Command line: ``python -m media_pipeline probe FILE`` / ``transcode FILE OUTDIR``.

Exit status: 0 done, 2 the file was rejected by the policy, 1 any other failure. The JSON
result is on stdout; transcode progress lines go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from media_pipeline.errors import FfmpegError, MediaPipelineError, MediaRejectedError
from media_pipeline.probe import inspect_upload, probe
from media_pipeline.runner import Progress
from media_pipeline.spec import EncoderSpec, TranscodeSpec
from media_pipeline.transcode import transcode

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_REJECTED = 2


def _print_json(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def _rejection(error: MediaRejectedError) -> dict[str, Any]:
    return {
        "accepted": False,
        "code": error.code,
        "reason": error.reason,
        "params": error.params,
    }


def _probe_command(args: argparse.Namespace) -> int:
    try:
        result = inspect_upload(args.file)
    except MediaRejectedError as error:
        data = _rejection(error)
        # Show what was seen, when the file could be probed at all.
        with contextlib.suppress(MediaPipelineError):
            data["probe"] = probe(args.file).to_json()
        _print_json(data)
        return EXIT_REJECTED
    _print_json({"accepted": True, "code": None, "reason": None, "probe": result.to_json()})
    return EXIT_OK


def _progress_line(progress: Progress) -> None:
    eta = f"{progress.eta_s:.0f}s" if progress.eta_s is not None else "?"
    speed = f"{progress.speed:.2f}x" if progress.speed is not None else "?"
    sys.stderr.write(f"progress {progress.fraction * 100:5.1f}% speed {speed} eta {eta}\n")
    sys.stderr.flush()


def _transcode_command(args: argparse.Namespace) -> int:
    spec = TranscodeSpec()
    spec = replace(
        spec,
        encoder=EncoderSpec(preset=args.preset, crf=args.crf, tune=args.tune),
    )
    try:
        result = transcode(args.file, args.outdir, spec=spec, on_progress=_progress_line)
    except MediaRejectedError as error:
        _print_json(_rejection(error))
        return EXIT_REJECTED
    except FfmpegError as error:
        _print_json(
            {
                "accepted": True,
                "code": error.code,
                "error": str(error),
                "argv": list(error.argv),
                "stderr_tail": error.stderr_tail,
            }
        )
        return EXIT_FAILED
    except MediaPipelineError as error:
        _print_json({"accepted": True, "code": error.code, "error": str(error)})
        return EXIT_FAILED
    summary = result.to_json()
    summary["accepted"] = True
    _print_json(summary)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m media_pipeline")
    commands = parser.add_subparsers(dest="command", required=True)
    probe_parser = commands.add_parser("probe", help="probe a file and apply the policy")
    probe_parser.add_argument("file")
    probe_parser.set_defaults(handler=_probe_command)
    transcode_parser = commands.add_parser("transcode", help="write the HLS package")
    transcode_parser.add_argument("file")
    transcode_parser.add_argument("outdir")
    defaults = EncoderSpec()
    transcode_parser.add_argument("--preset", default=defaults.preset)
    transcode_parser.add_argument("--crf", type=int, default=defaults.crf)
    transcode_parser.add_argument("--tune", default=defaults.tune)
    transcode_parser.set_defaults(handler=_transcode_command)
    args = parser.parse_args(argv)
    handler = args.handler
    code: int = handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
