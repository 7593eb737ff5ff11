"""Local AWS: moto's threaded server, in its own process so it does not share the app's GIL.

Run as `python -m local.aws_server PORT`. MOTO_PORT must be set before moto is imported: the
Step Functions interpreter calls back into the server through it.
"""

from __future__ import annotations

import os
import sys

from local.stop_signals import hold_stop_signals, wait_for_stop_signal


def main() -> None:
    hold_stop_signals()
    port = int(sys.argv[1])
    os.environ["MOTO_PORT"] = str(port)
    from moto.server import ThreadedMotoServer

    from local.moto_patches import (
        cheap_transaction_backups,
        fresh_task_token_per_retry,
        keep_given_cognito_sub,
        keep_task_failure_cause,
        serialise_dynamodb,
        ses_sent_messages_endpoint,
    )

    cheap_transaction_backups()  # first: the lock below then covers its backups too
    serialise_dynamodb()
    keep_given_cognito_sub()
    fresh_task_token_per_retry()
    keep_task_failure_cause()
    ses_sent_messages_endpoint()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    print(f"local AWS listening on http://127.0.0.1:{port}", flush=True)
    wait_for_stop_signal()
    server.stop()


if __name__ == "__main__":
    main()
