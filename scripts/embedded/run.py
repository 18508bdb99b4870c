"""`scripts/run`: start the whole embedded stack with the demo cluster and print its URLs."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

from . import workflows
from .stack import ROOT, EmbeddedStack

# `scripts/run` keeps the rate limits on, so what a deployed stage refuses is refused here too, at values for
# one laptop, where every browser tab and script is 127.0.0.1: a person clicking through the pages (a few calls
# a page) never meets them, a script creating sessions or holds in a loop does within a minute, and a script
# guessing gift-card or discount codes after 10 codes per session, 30 per address, in 10 minutes.
LOCAL_RATE_LIMITS = {
    "RATE_LIMIT_WINDOW_SECONDS": "60",
    "RATE_LIMIT_PER_ADDRESS": "300",
    "RATE_LIMIT_PER_SESSION": "120",
    "RATE_LIMIT_CODE_WINDOW_SECONDS": "600",
    "RATE_LIMIT_CODES_PER_ADDRESS": "30",
    "RATE_LIMIT_CODES_PER_SESSION": "10",
}


def staff_tokens(stage: str, key: str) -> dict[str, str]:
    """Tokens from the local issuer: the coordinator and an admin of each demo house."""
    os.environ.setdefault("PODIUM_STAGE", stage)
    from chalicelib.web.auth import Role, issue_token

    from .seed import HOUSES

    tokens = {"coordinator": issue_token(key, "demo-coordinator", Role.COORDINATOR, None)}
    for house in HOUSES:
        tokens[house["id"]] = issue_token(key, f"admin@{house['id']}", Role.HOUSE_ADMIN, house["id"])
    return tokens


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/run", description=__doc__)
    parser.add_argument("--fresh", action="store_true", help="forget the saved local state and seed anew")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PODIUM_PORT", 8000)), help="API port")
    parser.add_argument("--moto-port", type=int, default=int(os.environ.get("PODIUM_MOTO_PORT", 5000)))
    parser.add_argument("--stage", default="demo")
    parser.add_argument("--state-dir", type=Path, default=ROOT / ".local", help="where state, logs and tokens go")
    parser.add_argument(
        "--staff-key-days",
        type=float,
        default=float(os.environ.get("PODIUM_STAFF_KEY_DAYS", 30)),
        help="rotate the local issuer's staff signing key when it is older (0: never); "
        "tokens of the previous key stay valid until the next rotation",
    )
    return parser.parse_args(argv)


def stack_for(args: argparse.Namespace) -> EmbeddedStack:
    """The stack `scripts/run` starts (not started yet)."""
    state_dir = args.state_dir.resolve()
    return EmbeddedStack(
        stage=args.stage,
        moto_port=args.moto_port,
        api_port=args.port,
        fresh=args.fresh,
        state_dir=state_dir,
        gateway_log=state_dir / "logs" / "gateway.log",
        staff_key_days=args.staff_key_days,
        rate_limits=dict(LOCAL_RATE_LIMITS),
    )


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    os.environ["PODIUM_STAGE"] = args.stage
    state_dir = args.state_dir.resolve()
    (state_dir / "logs").mkdir(parents=True, exist_ok=True)
    stack = stack_for(args)
    print(f"Starting Podium ({args.stage}) …", flush=True)
    stack.start()
    stopped = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        tokens = staff_tokens(args.stage, stack.secret_values["StaffTokenSecret"])
        if stack.restored_items == 0:
            from .seed import seed_demo

            began = time.monotonic()
            created = seed_demo(stack.api_url, tokens["coordinator"], tokens)
            print(
                f"Seeded the demo cluster in {time.monotonic() - began:.1f} s: "
                f"{sum(map(len, created.values()))} performances in {len(created)} houses."
            )
            stack.save()
        else:
            print(f"Restored {stack.restored_items} items from {stack.snapshot_path}.")
        (state_dir / "tokens.json").write_text(json.dumps(tokens, indent=2))
        print(
            f"""
Podium is running (started in {stack.startup_seconds:.1f} s).
  Public API     {stack.api_url}/agenda
  Staff API      {stack.api_url}/staff/…   (bearer tokens in {state_dir / "tokens.json"})
  Local AWS      {stack.moto.url}   (moto: DynamoDB, SNS, SQS, Step Functions, Secrets Manager …)
  Payments       {stack.payments.url}   (local Stripe: pay page /pay/<payment intent>, webhooks → /webhooks/stripe)
  Outbox         {stack.outbox.url}   (every e-mail sent, tickets PDF attached)
  publiq / UiT   auth {stack.uit.auth.url}, UiTdatabank {stack.uit.uitdatabank.url}, UiTPAS {stack.uit.uitpas.url}
  Exchange       {stack.uit.exchange.url}/_control/transactions   (what the UiTwisselingsplatform received)
  Ops            {stack.ops.url}   (the CloudWatch dashboard's metrics per minute, from the EMF lines)
  Functions      {workflows.dispatcher.remote_url}   (the workflow tasks and queue consumers, a process as Lambda's)
  Gateway log    {stack.gateway_log}
  State          {stack.snapshot_path} (kept across restarts; --fresh starts clean)
Press Ctrl-C to stop.""",
            flush=True,
        )
        while not stopped.wait(1):
            if stack.gateway.poll() is not None:
                print("The API gateway stopped unexpectedly; see the gateway log.", file=sys.stderr)
                return 1
            if stack.functions is not None and stack.functions.poll() is not None:
                print("The local Lambda service stopped unexpectedly; see the output above.", file=sys.stderr)
                return 1
    finally:
        print("\nStopping: saving state …", flush=True)
        stack.stop()
        print("Stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
