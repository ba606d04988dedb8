from pydantic import Field

from newsflow.runtime.settings import CommonSettings


class WebhookSettings(CommonSettings):
    webhook_attempts: int = Field(6, ge=1, le=20, description="POSTs of one alert before it is dead-lettered.")
    webhook_timeout_s: float = Field(10.0, gt=0, le=120, description="Longest wait for one POST's answer.")
    webhook_max_backoff_s: float = Field(
        8.0, gt=0, description="Longest pause between two POSTs of one alert (exponential, with jitter, to it)."
    )
    webhook_concurrency: int = Field(8, ge=1, le=64, description="Alerts of a batch POSTed at once.")
    webhook_batch: int = Field(50, ge=1, description="Alerts taken from Kafka at once.")
