"""moto's server, with DynamoDB requests applied one at a time.

moto 5.2 makes TransactWriteItems atomic by copying the table before the transaction and putting
the copy back when a condition fails. With requests handled on several threads, that restore
silently undoes what another request committed in the meantime, so two racing conditional writes
can both "succeed". DynamoDB itself serialises conflicting writes; serialising moto's DynamoDB
requests gives tests the same guarantee. Other services stay concurrent (an SQS long poll must not
block the table).

It also answers `GET /plinth-api/ses/sent?source=<address>` with the emails SES accepted from that
sender: moto's own `/moto-api/data.json` dumps every backend, which grows to megabytes in a test run
(DynamoDB keeps its transaction snapshots there) and takes seconds to serve.

And it lifts moto's cap of 50 Firehose delivery streams per region (AWS's old default quota; it is
5,000 in the large regions now): every test file's stack has its own stream, and a run has more
than 50 files.
"""

import argparse
import json
from urllib.parse import parse_qs
import signal
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

dynamodb_lock = threading.Lock()

SENT_PATH = "/plinth-api/ses/sent"


def sent_emails(source):
    from moto.ses.models import Message, ses_backends

    found = []
    for region_backends in list(ses_backends.values()):
        for backend in list(region_backends.values()):
            for message in list(backend.sent_messages):
                if isinstance(message, Message) and (source is None or message.source == source):
                    found.append(
                        {
                            "id": message.id,
                            "source": message.source,
                            "subject": message.subject,
                            "body": message.body,
                            "to": (message.destinations or {}).get("ToAddresses", []),
                        }
                    )
    return found


def serve_sent_emails(environ, start_response):
    query = parse_qs(environ.get("QUERY_STRING", ""))
    source = query.get("source", [None])[0]
    body = json.dumps({"messages": sent_emails(source)}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def create_app():
    app = DomainDispatcherApplication(create_backend_app)

    def serialised(environ, start_response):
        if environ.get("PATH_INFO") == SENT_PATH:
            return serve_sent_emails(environ, start_response)
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
            with dynamodb_lock:
                # Drain the response inside the lock: werkzeug may produce it lazily.
                return list(app(environ, start_response))
        return app(environ, start_response)

    return serialised


def raise_firehose_quota():
    from moto.firehose.models import DeliveryStream

    DeliveryStream.MAX_STREAMS_PER_REGION = 5000


def main():
    raise_firehose_quota()
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    run_simple(args.host, args.port, create_app(), threaded=True)


if __name__ == "__main__":
    main()
