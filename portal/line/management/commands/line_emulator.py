"""``manage.py line_emulator --port 8765``: the local LINE platform stand-in (see portal/line/emulator.py)."""

import signal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from portal.line.devtools.emulator import DEFAULT_LIMITS, EmulatorState, Faults, make_server


def _limit(value: str) -> tuple[int, float]:
    """``200`` or ``200/1`` or ``60/3600``: requests per window seconds."""
    count, _, window = value.partition("/")
    return int(count), float(window or 1)


class Command(BaseCommand):
    help = "Run the LINE platform emulator (Messaging API and data host on one port)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--token", default=None, help="channel access token it accepts (default: settings)")
        for endpoint, (count, window) in DEFAULT_LIMITS.items():
            parser.add_argument(
                f"--limit-{endpoint}", type=_limit, default=None, help=f"requests/window seconds (default {count}/{window:g})"
            )
        parser.add_argument("--fault-429", type=float, default=0.0, help="share of send requests answered 429")
        parser.add_argument("--fault-500", type=float, default=0.0, help="share of send requests answered 500")
        parser.add_argument("--fault-delay", type=float, default=0.0, help="share of send requests answered late")
        parser.add_argument("--delay-seconds", type=float, default=None, help="default: LINE_REQUEST_TIMEOUT + 1")
        parser.add_argument("--reply-token-ttl", type=float, default=60.0)
        parser.add_argument("--detail-users", type=int, default=20000, help="keep messages (not only counts) for this many users")
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument(
            "--allow-http-media",
            action="append",
            default=[],
            metavar="PREFIX",
            help="accept plain-HTTP image/video URLs starting with PREFIX (LINE accepts HTTPS only; "
            "for the local demo, whose portal serves http://127.0.0.1:8000)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        limits = {endpoint: options[f"limit_{endpoint}"] for endpoint in DEFAULT_LIMITS if options.get(f"limit_{endpoint}")}
        delay = options["delay_seconds"]
        if delay is None:
            delay = float(settings.LINE_REQUEST_TIMEOUT) + 1.0
        state = EmulatorState(
            token=options["token"] or settings.LINE_CHANNEL_ACCESS_TOKEN,
            limits=limits,
            faults=Faults(
                rate_429=options["fault_429"],
                rate_500=options["fault_500"],
                delay_rate=options["fault_delay"],
                delay_seconds=delay,
            ),
            detail_users=options["detail_users"],
            reply_token_ttl=options["reply_token_ttl"],
            seed=options["seed"],
            allow_http_media=tuple(options["allow_http_media"]),
        )
        server = make_server(options["host"], options["port"], state)
        host, port = server.server_address[:2]
        self.stdout.write(f"LINE emulator on http://{host}:{port} (admin: /_emulator/summary)")  # type: ignore[str-bytes-safe]  # a str host
        self.stdout.flush()

        def stop(*_args: object) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
            server.serve_forever(poll_interval=0.5)
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
