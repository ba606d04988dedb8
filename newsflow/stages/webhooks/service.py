"""webhooks: alerts from Kafka POSTed to the webhooks their saved queries name.

    poll alerts.v1 → decode → POST each (step.py), retried with backoff → dead-letter what failed → commit

On the consumer runtime (newsflow/runtime/consumer.py), like index: an alert's offset is committed once it was
delivered or dead-lettered.
"""

from __future__ import annotations

import logging

import httpx

from newsflow.contract.alerts import Alert
from newsflow.contract.stages import stage
from newsflow.runtime.consumer import ConsumerRuntime, Limits, declare_metrics
from newsflow.runtime.process import begin, serve
from newsflow.stages.webhooks.settings import WebhookSettings
from newsflow.stages.webhooks.step import REASONS, WebhookStep

log = logging.getLogger("newsflow.webhooks")

STAGE = stage("webhooks")
declare_metrics(STAGE, REASONS, ())


def main() -> None:
    settings = WebhookSettings()
    stop = begin(STAGE, settings)
    # No redirects followed (an alert goes where its query says), and the answer's body is never read.
    client = httpx.Client(timeout=settings.webhook_timeout_s, follow_redirects=False)

    def post(url: str, body: bytes, headers: dict[str, str]) -> int:
        with client.stream("POST", url, content=body, headers=headers) as response:
            return response.status_code

    runtime = ConsumerRuntime(
        STAGE,
        settings,
        WebhookStep(
            post, settings.webhook_attempts, settings.webhook_max_backoff_s, settings.webhook_concurrency, stop
        ),
        Alert,
        limits=Limits(settings.webhook_batch, 5_000_000, 0.05),
        reasons=REASONS,
        stop=stop,
    )
    http = serve(STAGE, settings, lambda: runtime.ready())
    log.info("webhooks ready", extra={"port": http.port, "topic": runtime.topic})
    runtime.run()
    client.close()
    http.stop()
    log.info("webhooks stopped")


if __name__ == "__main__":
    main()
